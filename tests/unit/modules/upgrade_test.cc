// A database written before the modules owned their data (the store's own registry and
// campaign tables) opens with its data in the modules' records, and the old tables gone.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <boost/asio.hpp>
#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/core/calendar.h"
#include "daemon/core/clock.h"
#include "daemon/core/config.h"
#include "daemon/core/sealer.h"
#include "daemon/domain/workforce/model.h"
#include "daemon/engine/engine.h"
#include "daemon/modules/recruitment/module.h"
#include "daemon/modules/workforce/module.h"
#include "daemon/store/sqlite/sqlite_store.h"

namespace shequ::modules {
namespace {

namespace wf = ::shequ::domain::workforce;
using engine::json;

constexpr char kIdNumber[] = "11010519491231002X";

class UpgradeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "modules_upgrade_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    path_ = tmpl + "/shequd.db";
    config_.policy_dir = std::string(SHEQU_SOURCE_DIR) + "/config/policy";
  }

  void OpenStore() {
    store::SqliteOptions opts;
    opts.path = path_;
    auto s = store::SqliteStore::Open(opts);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }

  // Statements straight into the database, as the code before modules wrote them.
  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    const std::string message = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message << "\n" << sql;
  }
  int64_t Count(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open(path_.c_str(), &db);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
    int64_t n = -1;
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
  }

  // The old rows: a district with one community, its quota revision and open review, a
  // worker, a campaign's reservation and its first logged command.
  void WriteOldRows() {
    wf::Unit district{"bh", "", "包河区", wf::UnitKind::kDistrict};
    district.unit_class = 2;
    district.created = district.updated = "2024-01-01";
    wf::Unit street{"bh.whl", "bh", "芜湖路街道", wf::UnitKind::kStreet};
    street.created = street.updated = "2024-01-01";
    wf::Unit community{"bh.whl.jx", "bh.whl", "绩溪社区", wf::UnitKind::kCommunity,
                       wf::CommunityType::kUrbanCommunity, 3000, 8000, 0.8};
    community.created = community.updated = "2024-01-01";
    wf::QuotaRevision rev;
    rev.id = 7;
    rev.unit_id = community.id;
    rev.approved = 9;
    rev.effective_from = "2024-01-01";
    rev.reason = "initial";
    rev.approved_by = "district";
    rev.recorded_at = "2024-01-01";
    wf::Worker w;
    w.id = 42;
    w.personal = {"王小明", kIdNumber, "13800138000"};
    w.education = wf::Education::kBachelor;
    w.post = "assistant";
    w.grade = 16;
    w.unit_id = community.id;
    w.hired_on = "2020-03-01";
    w.community_since = "2020-03-01";
    std::string worker_body = wf::WorkerRecordJson(w);
    worker_body.pop_back();
    absl::StrAppend(&worker_body, ",\"sealed\":\"", *sealer_.Seal(wf::PersonalJson(w.personal)),
                    "\"}");
    wf::Reservation r{"whl-2026-2", community.id, 2, 0, 0, "2026-11-02", "2026-11-02"};
    auto q = [](const std::string& s) {
      std::string out = "'";
      for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
      return out + "'";
    };
    std::string sql = "BEGIN;";
    for (const wf::Unit& u : {district, street, community}) {
      absl::StrAppend(&sql, "INSERT INTO units VALUES (", q(u.id), ",", q(u.parent_id), ",",
                      q(json(u).dump()), ");");
    }
    absl::StrAppend(&sql, "INSERT INTO quota_revisions VALUES (7,", q(rev.unit_id), ",",
                    q(json(rev).dump()), ");");
    absl::StrAppend(&sql, "INSERT INTO workers VALUES (42,", q(w.unit_id), ",'on_post',",
                    q(worker_body), ");");
    absl::StrAppend(&sql, "INSERT INTO quota_reservations VALUES ('whl-2026-2',",
                    q(community.id), ",", q(json(r).dump()), ");");
    absl::StrAppend(&sql, "INSERT INTO campaign_log VALUES ('whl-2026-2', 1, 1790000000000, ",
                    "'create', CAST(", q(*sealer_.Seal(R"({"not":"replayed here"})")),
                    " AS BLOB));");
    // The unit's open review and an ended one of another unit.
    absl::StrAppend(&sql,
                    "INSERT INTO instances VALUES (5, 'quota-review', 1, 'quota-review/bh.whl.jx', "
                    "'bh.whl.jx', 'active', 0, 1, 1, ",
                    q(R"({"variables":{"unit_id":"bh.whl.jx","effective_from":"2024-01-01"}})"),
                    ");");
    absl::StrAppend(&sql,
                    "INSERT INTO instances VALUES (6, 'quota-review', 1, 'quota-review/bh.whl', "
                    "'bh.whl', 'completed', 0, 1, 1, ",
                    q(R"({"variables":{"unit_id":"bh.whl","effective_from":"2023-01-01"}})"),
                    ");");
    sql += "COMMIT;";
    Sql(sql);
  }

  std::string path_;
  Config config_;
  Sealer sealer_ = Sealer::FromKey({1, 2, 3});
  std::unique_ptr<store::SqliteStore> store_;
};

TEST_F(UpgradeTest, OldRowsMoveIntoTheModulesRecords) {
  OpenStore();  // the store's migrations make the old tables, as in every database
  store_.reset();
  WriteOldRows();

  OpenStore();
  workforce::WorkforceModule workforce;
  recruitment::RecruitmentModule recruitment;
  ASSERT_TRUE(store_->AttachModule(workforce.Schema()).ok());
  ASSERT_TRUE(store_->AttachModule(recruitment.Schema()).ok());
  for (const char* old : {"units", "quota_revisions", "quota_reservations", "workers",
                          "campaign_log"}) {
    EXPECT_EQ(Count(absl::StrCat("SELECT COUNT(*) FROM sqlite_master WHERE name = '", old, "'")),
              0)
        << old;
  }

  auto worker = store_->GetRecord("workforce_workers", "000000000042");
  ASSERT_TRUE(worker.ok() && worker->has_value());
  EXPECT_EQ(json::parse((*worker)->body)["unit_id"], "bh.whl.jx");
  auto review = store_->GetRecord("workforce_reviews", "bh.whl.jx");
  ASSERT_TRUE(review.ok() && review->has_value());
  EXPECT_EQ(json::parse((*review)->body), (json{{"instance_id", 5}, {"effective_from", ""}}));
  auto ended = store_->GetRecord("workforce_reviews", "bh.whl");
  ASSERT_TRUE(ended.ok());
  EXPECT_FALSE(ended->has_value());
  auto log = store_->GetRecord("recruitment_campaign_log", "whl-2026-2/000000000001");
  ASSERT_TRUE(log.ok() && log->has_value());
  json entry = json::parse((*log)->body);
  EXPECT_EQ(entry["command"], "create");
  EXPECT_EQ(entry["at_ms"], 1790000000000);
  EXPECT_EQ(*sealer_.Open(entry["sealed"].get<std::string>()), R"({"not":"replayed here"})");

  // The registry recovers from the records alone.
  boost::asio::io_context io;
  ManualClock clock(1795395600000);
  WorkCalendar calendar = WorkCalendar::Empty();
  engine::Engine engine(io, *store_, clock, calendar, {});
  ModuleContext ctx{engine, *store_, clock, calendar, sealer_, config_, nullptr};
  ASSERT_TRUE(workforce.Open(ctx).ok());
  ASSERT_TRUE(workforce.Recover().ok());
  workforce.registry().Read([&](const wf::Registry& reg) {
    EXPECT_EQ(reg.unit_count(), 3u);
    auto w = reg.GetWorker(42);
    ASSERT_TRUE(w.ok()) << w.status();
    EXPECT_EQ(w->personal.name, "王小明");
    EXPECT_EQ(w->personal.id_number, kIdNumber);
    EXPECT_EQ(*reg.ApprovedQuota("bh.whl.jx", "2026-01-01"), 9);
    EXPECT_EQ(reg.ReservedPosts("bh.whl.jx"), 2);
  });
  // The moved review belongs to the unit's latest revision.
  const auto& reviews = workforce.registry().open_reviews();
  ASSERT_EQ(reviews.size(), 1u);
  EXPECT_EQ(reviews.at("bh.whl.jx").instance_id, 5);
  EXPECT_EQ(reviews.at("bh.whl.jx").effective_from, "2024-01-01");

  // A second start applies nothing again.
  store_.reset();
  OpenStore();
  EXPECT_TRUE(store_->AttachModule(workforce.Schema()).ok());
  EXPECT_TRUE(store_->AttachModule(recruitment.Schema()).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM workforce_workers"), 1);
}

TEST_F(UpgradeTest, AStoredRecordWithAnUnknownFieldIsDataLossNamingIt) {
  OpenStore();
  workforce::WorkforceModule workforce;
  ASSERT_TRUE(store_->AttachModule(workforce.Schema()).ok());
  store_.reset();
  Sql(R"(INSERT INTO workforce_units (key, body, parent_id) VALUES ('bh',
         '{"id":"bh","parent_id":"","name":"包河区","kind":"district","colour":"red"}', ''))");
  OpenStore();
  ASSERT_TRUE(store_->AttachModule(workforce.Schema()).ok());
  boost::asio::io_context io;
  ManualClock clock(1795395600000);
  WorkCalendar calendar = WorkCalendar::Empty();
  engine::Engine engine(io, *store_, clock, calendar, {});
  ModuleContext ctx{engine, *store_, clock, calendar, sealer_, config_, nullptr};
  ASSERT_TRUE(workforce.Open(ctx).ok());
  absl::Status s = workforce.Recover();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("colour"), std::string::npos) << s;
  EXPECT_NE(s.message().find("workforce_units"), std::string::npos) << s;
}

}  // namespace
}  // namespace shequ::modules
