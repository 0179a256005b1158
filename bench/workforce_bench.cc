// workforce_bench: importing a 100,000-worker roster, against raw SQLite inserting the same rows,
// and the occupancy report over the result.
//
// Registry side: the daemon's own path in process: an Engine on a real SqliteStore (WAL,
// synchronous=FULL) and a DurableRegistry (daemon/modules/workforce/durable_registry.h) holding
// a district of 10 street offices and 1,000 communities with room in their quotas. The timed import starts from
// the CSV text and ends when the commit is durable: ParseRoster, every rule of ImportRoster
// (ID checksums, grades, quotas, uniqueness), sealing each worker's personal data (AES-GCM),
// the rows and one history entry per worker, all in one transaction.
//
// Baseline: a fresh database with the same schema (the store's and the workforce module's
// migrations) and the same synchronous setting; the very rows the import wrote (workers and
// their history entries, read back from the registry's database) inserted with prepared sqlite3
// statements in one transaction. The ratio is registry rows/s ÷ raw rows/s; each round uses
// fresh databases and the judged figure is the median over rounds.
//
// Also printed: the time of the occupancy report over the whole district and of the pay-parity
// report (best of 5), the resident memory the import added per worker, and the time a restart
// takes to load the registry back (reading and unsealing every worker).
//
//   workforce_bench [--quick] [--workers N] [--rounds N]

#include <sqlite3.h>

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <boost/asio.hpp>
#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "daemon/core/calendar.h"
#include "daemon/core/clock.h"
#include "daemon/core/logging.h"
#include "daemon/core/sealer.h"
#include "daemon/domain/workforce/roster.h"
#include "daemon/engine/engine.h"
#include "daemon/modules/workforce/durable_registry.h"
#include "daemon/modules/workforce/module.h"
#include "daemon/store/sqlite/sqlite_store.h"

namespace shequ::bench {
namespace {

namespace wf = domain::workforce;
using engine::json;

constexpr int kStreets = 10;
constexpr int kCommunitiesPerStreet = 100;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "workforce_bench: %s\n", what.c_str());
  std::exit(1);
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string IdNumber(int64_t n) {
  // Region 340111, birth dates spread over 1970-1999, sequence from n; check per MOD 11-2.
  char first17[18];
  std::snprintf(first17, sizeof first17, "340111%04d%02d%02d%03d", 1970 + static_cast<int>(n % 30),
                1 + static_cast<int>(n / 30 % 12), 1 + static_cast<int>(n / 360 % 28),
                static_cast<int>(n / 10080 % 1000));
  static const int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return std::string(first17) + "10X98765432"[sum % 11];
}

std::string CommunityId(int s, int c) { return "bz.s" + std::to_string(s) + ".c" + std::to_string(c); }

std::string Roster(int64_t workers) {
  static const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"};
  static const char* kGiven[] = {"芳", "伟", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰"};
  std::string csv = "工号,姓名,身份证号,手机号,单位,岗位,等级,用工性质,状态,学历,入职日期\n";
  const int communities = kStreets * kCommunitiesPerStreet;
  for (int64_t i = 0; i < workers; ++i) {
    const int c = static_cast<int>(i % communities);
    char phone[24];
    std::snprintf(phone, sizeof phone, "139%08lld", static_cast<long long>(i % 100'000'000));
    const int grade = 3 + static_cast<int>(i % 12);
    csv += "W" + std::to_string(i) + "," + kSurnames[i % 10] + kGiven[i / 10 % 10] +
           kGiven[i / 100 % 10] + "," + IdNumber(i) + "," + phone + "," +
           CommunityId(c / kCommunitiesPerStreet, c % kCommunitiesPerStreet) + ",主办," +
           std::to_string(grade) + "," + (i % 7 == 0 ? "自聘" : "聘用合同") + "," +
           (i % 9 == 0 ? "借调街道" : "在岗") + ",本科,2019-0" + std::to_string(1 + i % 9) +
           "-15\n";
  }
  return csv;
}

absl::StatusOr<json> Await(const std::function<void(engine::Reply)>& call) {
  std::promise<absl::StatusOr<json>> done;
  call([&done](absl::StatusOr<json> r) { done.set_value(std::move(r)); });
  return done.get_future().get();
}

// The daemon's registry path on its own store: engine, io threads, quota-review workflow.
class Harness {
 public:
  Harness(const std::string& dir, int quota_per_community)
      : calendar_(WorkCalendar::Empty()), clock_(1772413200000) {
    store::SqliteOptions opts;
    opts.path = dir + "/shequd.db";
    auto s = store::SqliteStore::Open(opts);
    if (!s.ok()) Die("open store: " + s.status().ToString());
    store_ = *std::move(s);
    if (auto st = store_->AttachModule(modules::workforce::WorkforceModule().Schema()); !st.ok()) {
      Die("attach workforce: " + st.ToString());
    }
    engine_ = std::make_unique<engine::Engine>(io_, *store_, clock_, calendar_);
    if (auto st = engine_->Recover(); !st.ok()) Die("recover: " + st.ToString());
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
    auto deployed = Await([&](engine::Reply r) {
      engine_->Deploy(
          {Slurp(std::string(SHEQU_SOURCE_DIR) + "/config/workflows/quota-review.yaml"), ""},
          std::move(r));
    });
    if (!deployed.ok()) Die("deploy: " + deployed.status().ToString());
    auto quota = wf::ParseQuotaPolicy(Slurp(std::string(SHEQU_SOURCE_DIR) + "/config/policy/quota.yaml"));
    auto grades = wf::ParseGradePolicy(Slurp(std::string(SHEQU_SOURCE_DIR) + "/config/policy/grades.yaml"));
    if (!quota.ok() || !grades.ok()) Die("policy files");
    registry_ = std::make_unique<modules::workforce::DurableRegistry>(
        *engine_, *store_, Sealer::FromKey({}), wf::Registry(*std::move(quota), *std::move(grades)));
    if (auto st = registry_->Recover(); !st.ok()) Die("registry: " + st.ToString());

    auto made = Await([&](engine::Reply reply) {
      registry_->Mutate("Bench.Units", {"bench"}, "",
                        [quota_per_community](wf::Registry& reg, const std::string& today)
                            -> absl::StatusOr<wf::Change> {
        wf::Change all;
        auto add = [&](absl::StatusOr<wf::Change> c) -> absl::Status {
          if (!c.ok()) return c.status();
          for (auto& u : c->units) all.units.push_back(std::move(u));
          for (auto& r : c->revisions) all.revisions.push_back(std::move(r));
          return absl::OkStatus();
        };
        auto unit = [](std::string id, std::string parent, wf::UnitKind kind) {
          wf::Unit u;
          u.id = std::move(id);
          u.parent_id = std::move(parent);
          u.name = u.id;
          u.kind = kind;
          if (kind == wf::UnitKind::kCommunity) {
            u.community_type = wf::CommunityType::kUrbanCommunity;
            u.households = 2500;
          } else if (kind == wf::UnitKind::kStreet) {
            u.unit_class = 2;
          }
          return u;
        };
        if (auto s = add(reg.CreateUnit(unit("bz", "", wf::UnitKind::kDistrict), today)); !s.ok()) {
          return s;
        }
        for (int s = 0; s < kStreets; ++s) {
          const std::string street = "bz.s" + std::to_string(s);
          if (auto st = add(reg.CreateUnit(unit(street, "bz", wf::UnitKind::kStreet), today));
              !st.ok()) {
            return st;
          }
          for (int c = 0; c < kCommunitiesPerStreet; ++c) {
            const std::string id = CommunityId(s, c);
            if (auto st = add(reg.CreateUnit(unit(id, street, wf::UnitKind::kCommunity), today));
                !st.ok()) {
              return st;
            }
            if (auto st = add(reg.ReviseQuota(id, quota_per_community, "2024-01-01", "bench",
                                              "bench", today));
                !st.ok()) {
              return st;
            }
          }
        }
        return all;
      }, std::move(reply));
    });
    if (!made.ok()) Die("units: " + made.status().ToString());
  }

  ~Harness() {
    store_->Flush().IgnoreError();
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
    registry_.reset();
    engine_.reset();
    store_.reset();
  }

  // CSV text to durable commit; returns the rows imported.
  int64_t Import(const std::string& csv) {
    auto rows = registry_->Read(
        [&](const wf::Registry& reg) { return wf::ParseRoster(csv, reg.grade_policy()); });
    if (!rows.ok()) Die("parse: " + rows.status().ToString());
    const int64_t n = static_cast<int64_t>(rows->size());
    auto imported = Await([&](engine::Reply reply) {
      registry_->Mutate("Workforce.ImportRoster", {"bench"}, "",
                        [&rows](wf::Registry& reg, const std::string& today) {
                          reg.Reserve(rows->size());
                          return reg.ImportRoster(std::move(*rows), today);
                        },
                        std::move(reply));
    });
    if (!imported.ok()) Die("import: " + imported.status().ToString());
    return n;
  }

  // A second registry loaded from what the import stored, as at a restart; returns seconds.
  double Reload() {
    auto quota = wf::ParseQuotaPolicy(Slurp(std::string(SHEQU_SOURCE_DIR) + "/config/policy/quota.yaml"));
    auto grades = wf::ParseGradePolicy(Slurp(std::string(SHEQU_SOURCE_DIR) + "/config/policy/grades.yaml"));
    const auto t0 = SteadyClock::now();
    modules::workforce::DurableRegistry reloaded(*engine_, *store_, Sealer::FromKey({}),
                                     wf::Registry(*std::move(quota), *std::move(grades)));
    if (auto st = reloaded.Recover(); !st.ok()) Die("reload: " + st.ToString());
    return SecondsSince(t0);
  }

  modules::workforce::DurableRegistry& registry() { return *registry_; }
  store::SqliteStore& store() { return *store_; }
  int64_t LastSeq() {
    store_->Flush().IgnoreError();
    auto ids = store_->HighestIds();
    if (!ids.ok()) Die("highest ids: " + ids.status().ToString());
    return ids->count("event") ? (*ids)["event"] : 0;
  }

 private:
  WorkCalendar calendar_;
  ManualClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::vector<std::thread> threads_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<modules::workforce::DurableRegistry> registry_;
};

// A worker record as the registry stored it, with its declared columns.
struct WorkerRecord {
  std::string key, body, unit_id, status;
};

// Inserts the given rows with nothing but sqlite3 calls, in one transaction; returns seconds.
double RawInsert(const std::string& path, const std::vector<WorkerRecord>& workers,
                 const std::vector<store::EventRow>& events) {
  {
    store::SqliteOptions o;
    o.path = path;
    auto s = store::SqliteStore::Open(o);  // the same schema, by the store's and module's
    if (!s.ok()) Die("raw schema: " + s.status().ToString());  // migrations
    if (auto st = (*s)->AttachModule(modules::workforce::WorkforceModule().Schema()); !st.ok()) {
      Die("raw schema: " + st.ToString());
    }
  }
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) Die("raw open");
  auto exec = [&](const char* sql) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) Die(sqlite3_errmsg(db));
  };
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=FULL");
  sqlite3_stmt* w = nullptr;
  sqlite3_stmt* e = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO workforce_workers (key, unit_id, status, body) "
                     "VALUES (?1, ?2, ?3, ?4)",
                     -1, &w, nullptr);
  sqlite3_prepare_v2(db,
                     "INSERT INTO events (seq, instance_id, type, at_ms, body, subject, unit) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                     -1, &e, nullptr);
  const auto t0 = SteadyClock::now();
  exec("BEGIN IMMEDIATE");
  for (const auto& r : workers) {
    sqlite3_bind_text(w, 1, r.key.data(), static_cast<int>(r.key.size()), SQLITE_STATIC);
    sqlite3_bind_text(w, 2, r.unit_id.data(), static_cast<int>(r.unit_id.size()), SQLITE_STATIC);
    sqlite3_bind_text(w, 3, r.status.data(), static_cast<int>(r.status.size()), SQLITE_STATIC);
    sqlite3_bind_text(w, 4, r.body.data(), static_cast<int>(r.body.size()), SQLITE_STATIC);
    if (sqlite3_step(w) != SQLITE_DONE) Die(sqlite3_errmsg(db));
    sqlite3_reset(w);
  }
  for (const auto& r : events) {
    sqlite3_bind_int64(e, 1, r.seq);
    sqlite3_bind_int64(e, 2, r.instance_id);
    sqlite3_bind_text(e, 3, r.type.data(), static_cast<int>(r.type.size()), SQLITE_STATIC);
    sqlite3_bind_int64(e, 4, r.at_ms);
    sqlite3_bind_text(e, 5, r.body.data(), static_cast<int>(r.body.size()), SQLITE_STATIC);
    sqlite3_bind_text(e, 6, r.subject.data(), static_cast<int>(r.subject.size()), SQLITE_STATIC);
    sqlite3_bind_text(e, 7, r.unit.data(), static_cast<int>(r.unit.size()), SQLITE_STATIC);
    if (sqlite3_step(e) != SQLITE_DONE) Die(sqlite3_errmsg(db));
    sqlite3_reset(e);
  }
  exec("COMMIT");
  const double seconds = SecondsSince(t0);
  sqlite3_finalize(w);
  sqlite3_finalize(e);
  sqlite3_close(db);
  return seconds;
}

template <typename Fn>
double BestOf(int n, Fn fn) {
  double best = 1e9;
  for (int i = 0; i < n; ++i) {
    const auto t0 = SteadyClock::now();
    fn();
    best = std::min(best, SecondsSince(t0));
  }
  return best;
}

}  // namespace
}  // namespace shequ::bench

int main(int argc, char** argv) {
  using namespace shequ::bench;
  const bool quick = HasFlag(argc, argv, "--quick");
  const int64_t workers = std::stoll(FlagValue(argc, argv, "--workers", quick ? "20000" : "100000"));
  const int rounds = std::stoi(FlagValue(argc, argv, "--rounds", quick ? "2" : "3"));
  shequ::SetLogLevel("warn");

  std::printf("workforce_bench: %lld workers, %d rounds; %s\n", static_cast<long long>(workers),
              rounds, MachineLine().c_str());
  const std::string csv = Roster(workers);
  const int quota = static_cast<int>(workers / (kStreets * kCommunitiesPerStreet)) + 2;
  Rule();
  std::printf("%-6s %14s %14s %8s %12s %12s\n", "round", "import rows/s", "raw rows/s", "ratio",
              "occupancy", "pay parity");
  std::vector<double> ratios;
  double occupancy_s = 0, parity_s = 0, rss_per_worker = 0, reload_s = 0;
  for (int round = 1; round <= rounds; ++round) {
    TempDir dir("shequ-workforce-bench");
    Harness h(dir.path(), quota);
    const int64_t rss0 = RssBytes();
    const int64_t seq0 = h.LastSeq();
    const auto t0 = SteadyClock::now();
    const int64_t n = h.Import(csv);
    const double import_s = SecondsSince(t0);
    rss_per_worker = static_cast<double>(RssBytes() - rss0) / static_cast<double>(n);

    occupancy_s = BestOf(5, [&] {
      auto report = h.registry().Read(
          [](const wf::Registry& reg) { return reg.Occupancy("", "2026-11-22"); });
      if (!report.ok()) Die("occupancy: " + report.status().ToString());
    });
    parity_s = BestOf(5, [&] {
      h.registry().Read([](const wf::Registry& reg) { return reg.PayParity(); });
    });

    reload_s = h.Reload();
    std::vector<WorkerRecord> rows;
    auto read = shequ::store::ForEachRecord(
        h.store(), {.table = shequ::modules::workforce::DurableRegistry::kWorkers},
        [&](shequ::store::Record&& r) {
          const auto body = nlohmann::json::parse(r.body);
          rows.push_back({std::move(r.key), std::move(r.body), body["unit_id"], body["status"]});
          return absl::OkStatus();
        });
    if (!read.ok()) Die("workers: " + read.ToString());
    std::vector<shequ::store::EventRow> events;
    auto history = h.store().History(0, seq0, static_cast<int>(n) * 2);
    if (!history.ok()) Die("history: " + history.status().ToString());
    for (const auto& e : *history) {
      if (!e.subject.empty()) events.push_back(e);
    }
    const double raw_s = RawInsert(dir.path() + "/raw.db", rows, events);
    const double ratio = raw_s / import_s;
    ratios.push_back(ratio);
    std::printf("%-6d %14.0f %14.0f %8.3f %10.1fms %10.1fms\n", round, n / import_s, n / raw_s,
                ratio, occupancy_s * 1e3, parity_s * 1e3);
  }
  Rule();
  const double median = Median(ratios);
  std::printf("NOTE workforce_reports occupancy=%.1fms pay_parity=%.1fms over %lld workers, "
              "%d units; RSS added by the import %.0f B/worker; reload at start-up %.2fs\n",
              occupancy_s * 1e3, parity_s * 1e3, static_cast<long long>(workers),
              1 + kStreets * (1 + kCommunitiesPerStreet), rss_per_worker, reload_s);
  std::printf("RESULT workforce_import ratio=%.3f (median of %d rounds, min %.3f, max %.3f; "
              "%lld workers) target>=0.3 %s\n",
              median, rounds, *std::min_element(ratios.begin(), ratios.end()),
              *std::max_element(ratios.begin(), ratios.end()), static_cast<long long>(workers),
              Verdict(median >= 0.3));
  return 0;
}
