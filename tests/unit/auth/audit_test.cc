// The audit trail in-process: the engine on a real SQLite store and a manual clock, the trail as
// its hook, and the offline verification of the database file, which the tests edit directly.

#include "daemon/auth/audit_trail.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <utility>  // before Boost.Asio with GCC 12 in C++20

#include <boost/asio.hpp>
#include <filesystem>
#include <future>
#include <thread>

#include "daemon/auth/audit_chain.h"
#include "daemon/auth/audit_verify.h"
#include "daemon/store/sqlite/sqlite_store.h"
#include "tests/unit/store/must.h"

namespace shequ::auth {
namespace {

using engine::Caller;
using engine::json;
using engine::Reply;

constexpr int64_t kStartMs = 1772413200000;  // 2026-03-02 09:00 Beijing
constexpr int64_t kDay = 86'400'000;

constexpr char kReview[] = R"(
id: review
start: review
nodes:
  review: {type: user, role: clerk, outcomes: [ok], next: done}
  done: {type: end}
)";

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("audit-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    options_.signing_key = (dir_ / "audit-signing.key").string();
    options_.public_key = (dir_ / "audit-signing.pub").string();
    options_.witness = (dir_ / "audit-checkpoints.log").string();
    options_.checkpoint_every = 4;
    options_.retention_days = 183;
    Open();
  }
  void TearDown() override {
    Close();
    std::filesystem::remove_all(dir_);
  }

  std::string db() const { return (dir_ / "db").string(); }

  void Open() {
    auto store = store::SqliteStore::Open({db()});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    ASSERT_TRUE(store_->AttachModule(audit::Schema()).ok());
    io_ = std::make_unique<boost::asio::io_context>();
    engine_ = std::make_unique<engine::Engine>(*io_, *store_, clock_, calendar_);
    ASSERT_TRUE(engine_->Recover().ok());
    auto trail = AuditTrail::Open(*store_, *engine_, clock_, options_);
    ASSERT_TRUE(trail.ok()) << trail.status();
    trail_ = *std::move(trail);
    work_ = std::make_unique<Work>(io_->get_executor());
    thread_ = std::thread([this] { io_->run(); });
  }
  void Close() {
    if (!engine_) return;
    work_.reset();
    thread_.join();
    engine_.reset();
    trail_.reset();
    store_.reset();
  }

  template <typename Fn>
  absl::StatusOr<json> Run(Fn&& command) {
    std::promise<absl::StatusOr<json>> done;
    command([&](absl::StatusOr<json> r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  }
  static Caller Api(std::string user, std::string call = "shequ.v1.Instances/Start") {
    Caller c;
    c.user = std::move(user);
    c.roles = {"clerk"};
    c.call = std::move(call);
    return c;
  }
  absl::StatusOr<json> Start(Caller caller, std::string request_id = "") {
    return Run([&](Reply r) {
      engine_->Start(std::move(caller), {{"review", 0, "", "", json::object()}, request_id},
                     std::move(r));
    });
  }
  void Deploy() {
    auto r = Run([&](Reply reply) {
      engine_->Deploy(Api("admin", "shequ.v1.Definitions/Deploy"), {kReview, ""},
                      std::move(reply));
    });
    ASSERT_TRUE(r.ok()) << r.status();
  }
  void Advance(int64_t ms) {
    auto r = Run([&](Reply reply) {
      engine_->AdvanceClock(clock_, clock_.NowMs() + ms, std::move(reply));
    });
    ASSERT_TRUE(r.ok()) << r.status();
  }
  std::vector<audit::StoredEntry> Entries() {
    std::vector<audit::StoredEntry> out;
    store::RecordScan scan;
    scan.table = audit::kEntries;
    Must(store::ForEachRecord(*store_, scan, [&](store::Record&& r) -> absl::Status {
      auto e = audit::ParseEntry(r.body);
      if (!e.ok()) return e.status();
      out.push_back(*std::move(e));
      return absl::OkStatus();
    }));
    return out;
  }
  AuditVerifyResult Verify(bool witness = true) {
    auto r = VerifyAuditTrail({db(), witness ? options_.witness : "", trail_key_});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : AuditVerifyResult{};
  }
  // Runs SQL on the closed database file, as someone with access to the disk would.
  void Edit(const std::string& sql) {
    Close();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(this->db().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_free(err);
    sqlite3_close(db);
  }
  // n calls, each an entry.
  void Calls(int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(Start(Api("wang.li")).ok());
  }

  using Work = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::filesystem::path dir_;
  AuditOptions options_;
  ManualClock clock_{kStartMs};
  WorkCalendar calendar_ = WorkCalendar::Empty();
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<AuditTrail> trail_;
  std::string trail_key_;
  std::unique_ptr<Work> work_;
  std::thread thread_;
};

TEST_F(AuditTest, EveryApiCallCommitsOneChainedEntryWithWhatItWrote) {
  Deploy();
  auto started = Start(Api("wang.li"), "req-7");
  ASSERT_TRUE(started.ok()) << started.status();
  // The daemon's own commands (no call) leave no entry.
  ASSERT_TRUE(Start(Caller{"system"}).ok());
  auto entries = Entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].entry.method, "shequ.v1.Definitions/Deploy");
  EXPECT_EQ(entries[0].entry.resources, std::vector<std::string>{"definition:review@1"});
  const auto& e = entries[1];
  EXPECT_EQ(e.seq, 2);
  EXPECT_EQ(e.entry.principal, "wang.li");
  EXPECT_EQ(e.entry.roles, std::vector<std::string>{"clerk"});
  EXPECT_EQ(e.entry.method, "shequ.v1.Instances/Start");
  EXPECT_EQ(e.entry.request_id, "req-7");
  EXPECT_EQ(e.entry.outcome, "ok");
  EXPECT_EQ(e.entry.at_ms, kStartMs);
  const std::string instance = absl::StrCat("instance:", (*started)["instance_id"].get<int64_t>());
  EXPECT_NE(std::find(e.entry.resources.begin(), e.entry.resources.end(), instance),
            e.entry.resources.end());
  EXPECT_NE(std::find(e.entry.resources.begin(), e.entry.resources.end(), "task:1"),
            e.entry.resources.end());
  // The chain: each hash covers the one before.
  const auto h1 = audit::ChainHash(audit::kGenesis, entries[0].canonical);
  EXPECT_EQ(entries[0].hash, audit::Hex(h1));
  EXPECT_EQ(entries[1].hash, audit::Hex(audit::ChainHash(h1, entries[1].canonical)));
  // A retry of the call is answered from the first one: no second entry.
  ASSERT_TRUE(Start(Api("wang.li"), "req-7").ok());
  EXPECT_EQ(Entries().size(), 2u);
  // A refused command commits nothing, so it has no "ok" entry.
  auto refused = Run([&](Reply r) {
    engine_->Cancel(Api("wang.li", "shequ.v1.Instances/Cancel"), {999, "", ""}, std::move(r));
  });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Entries().size(), 2u);
}

TEST_F(AuditTest, ResourcesAreBoundedAndCounted) {
  auto done = Run([&](Reply r) {
    engine_->ExecuteDomain(
        "Test.Many", "", Api("wang.li", "shequ.v1.Workforce/ImportRoster"),
        [](engine::Engine::DomainTx& tx) -> absl::StatusOr<json> {
          for (int i = 1; i <= 100; ++i) {
            tx.Record(absl::StrCat("worker:", i), "bh", "workforce.worker.created", json::object());
          }
          return json::object();
        },
        std::move(r));
  });
  ASSERT_TRUE(done.ok()) << done.status();
  auto entries = Entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].entry.resources.size(), engine::kMaxAuditResources);
  EXPECT_EQ(entries[0].entry.resources[0], "worker:1");
  EXPECT_EQ(entries[0].entry.resource_count, 100);
}

TEST_F(AuditTest, ABatchTheStoreRefusesTakesNoSeq) {
  Deploy();
  auto refused = Run([&](Reply r) {
    engine_->ExecuteDomain(
        "Test.Malformed", "", Api("wang.li", "shequ.v1.Workforce/CreateWorker"),
        [](engine::Engine::DomainTx& tx) -> absl::StatusOr<json> {
          tx.rows().records.push_back(
              {store::RecordWrite::Op::kPut, "no_such_table", "k", "{}", {}});
          return json::object();
        },
        std::move(r));
  });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << refused.status();
  Calls(1);
  auto entries = Entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].seq, 2);
  EXPECT_TRUE(Verify().ok) << Verify().problem;
}

TEST_F(AuditTest, RevealsAndRefusalsAreEntries) {
  Caller reader = Api("hr.zhao", "shequ.v1.Workforce/GetWorker");
  reader.roles = {"personnel"};
  auto r = Run([&](Reply reply) {
    engine_->RecordReveal(reader, {"worker:3"}, "personal data unmasked", std::move(reply));
  });
  ASSERT_TRUE(r.ok()) << r.status();
  // A flood of refusals of one principal and method makes one entry a minute.
  for (int i = 0; i < 50; ++i) {
    trail_->RecordRefusal("mallory", {}, "shequ.v1.Workforce/GetWorker", "",
                          absl::PermissionDeniedError("personnel only"));
  }
  clock_.Set(clock_.NowMs() + 61'000);
  trail_->RecordRefusal("mallory", {}, "shequ.v1.Workforce/GetWorker", "req-9",
                        absl::PermissionDeniedError("personnel only"));
  Deploy();  // queued after the refusals on the strand: committed after them
  auto entries = Entries();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].entry.principal, "hr.zhao");
  EXPECT_EQ(entries[0].entry.resources, std::vector<std::string>{"worker:3"});
  EXPECT_EQ(entries[0].entry.detail, "personal data unmasked");
  EXPECT_EQ(entries[1].entry.outcome, "PERMISSION_DENIED");
  EXPECT_EQ(entries[1].entry.detail, "personnel only");
  EXPECT_EQ(entries[2].entry.outcome, "PERMISSION_DENIED");
  EXPECT_EQ(entries[2].entry.detail, "personnel only (and 49 more refused before it)");
  EXPECT_EQ(entries[2].entry.request_id, "req-9");
  EXPECT_TRUE(Verify().ok);
}

TEST_F(AuditTest, AFreshTrailVerifiesAgainstItsEmptyWitness) {
  // Before the first checkpoint the witness exists and is empty: nothing signed, nothing lost.
  AuditVerifyResult r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.checkpoints, 0);
}

TEST_F(AuditTest, CleanChainVerifiesAndSurvivesRestart) {
  Deploy();
  Calls(5);  // checkpoints at 4
  EXPECT_EQ(trail_->head_seq(), 6);
  Close();
  Open();
  EXPECT_EQ(trail_->head_seq(), 6);  // the head is read back
  Calls(3);
  trail_key_ = trail_->public_key();
  auto r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.entries, 9);
  EXPECT_EQ(r.first_seq, 1);
  EXPECT_EQ(r.last_seq, 9);
  EXPECT_TRUE(r.signatures_checked);
  EXPECT_EQ(r.checkpoints, 4);  // 4 and 8, in the database and the witness
  // The key is kept: the restarted trail signs with the same one.
  EXPECT_EQ(std::filesystem::status(options_.signing_key).permissions() &
                std::filesystem::perms::group_all,
            std::filesystem::perms::none);
  EXPECT_EQ(*audit::ReadPublicKeyFile(options_.public_key), trail_key_);
}

TEST_F(AuditTest, VerifyNamesAnEditedEntry) {
  Deploy();
  Calls(5);
  trail_key_ = trail_->public_key();
  Edit("UPDATE audit_entries SET body = replace(body, 'wang.li', 'li.wang') "
       "WHERE key = '000000000003'");
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.problem, "entry 3: hash does not match (edited, or an entry before it was)");
}

TEST_F(AuditTest, VerifyNamesAnEditedEntryWhoseHashWasRecomputed) {
  Deploy();
  Calls(5);
  trail_key_ = trail_->public_key();
  Close();
  // Entry 6 rewritten with a hash that fits its new text: no later entry, but checkpoint 4 and
  // the chain up to 6 are still checked; so edit entry 2, before the checkpoint, with its hash.
  auto s = store::SqliteStore::Open({db()});
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->AttachModule(audit::Schema()).ok());
  auto e1 = audit::ParseEntry(Must((*s)->GetRecord(audit::kEntries, audit::SeqKey(1)))->body);
  auto e2 = audit::ParseEntry(Must((*s)->GetRecord(audit::kEntries, audit::SeqKey(2)))->body);
  s->reset();
  ASSERT_TRUE(e1.ok() && e2.ok());
  engine::AuditEntry forged = e2->entry;
  forged.principal = "someone.else";
  const auto h = audit::ChainHash(*audit::HashFromHex(e1->hash), audit::Canonical(forged, 2));
  const std::string body = audit::EntryBody(forged, 2, h);
  Edit("UPDATE audit_entries SET body = '" + body + "' WHERE key = '000000000002'");
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.problem, "entry 3: hash does not match (edited, or an entry before it was)");
}

TEST_F(AuditTest, VerifyNamesADeletedEntry) {
  Deploy();
  Calls(5);
  Edit("DELETE FROM audit_entries WHERE key = '000000000003'");
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.problem, "entry 3 missing (seq jumps from 2 to 4)");
}

TEST_F(AuditTest, VerifyNamesATruncatedTail) {
  Deploy();
  Calls(8);  // 9 entries; checkpoints at 4 and 8
  trail_key_ = trail_->public_key();
  // Entries deleted from the end, and the checkpoint that signed them: the witness still has it.
  Edit("DELETE FROM audit_entries WHERE key > '000000000005';"
       "DELETE FROM audit_checkpoints WHERE key = '000000000008'");
  auto r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.problem,
            "truncated: the database ends at seq 5 but witness checkpoint seq 8 is signed");
  // Without the witness, what is left in the database is consistent: the tail after the last
  // checkpoint kept is all that can go unnoticed, which is why the witness exists.
  EXPECT_TRUE(Verify(/*witness=*/false).ok);
}

TEST_F(AuditTest, VerifyNamesATruncatedTailFromTheDatabaseCheckpoints) {
  Deploy();
  Calls(8);
  Edit("DELETE FROM audit_entries WHERE key > '000000000006'");
  auto r = Verify(/*witness=*/false);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.problem,
            "truncated: the database ends at seq 6 but database checkpoint seq 8 is signed");
}

TEST_F(AuditTest, VerifyNamesAForgedCheckpoint) {
  Deploy();
  Calls(5);
  trail_key_ = trail_->public_key();
  // Someone with the database but not the key rewrites the checkpoint to another hash.
  Edit("UPDATE audit_checkpoints SET body = replace(body, '\"at_ms\":1', '\"at_ms\":2') "
       "WHERE key = '000000000004'");
  auto r = Verify(/*witness=*/false);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.problem,
            "database checkpoint at seq 4: signature does not verify (forged or edited)");
}

TEST_F(AuditTest, RetentionDeletesUpToASignedCheckpointWhichAnchorsTheChain) {
  Deploy();
  Calls(9);  // 10 entries at the start time; checkpoints at 4 and 8
  Advance(100 * kDay);
  Calls(2);  // entries 11 and 12, a hundred days later (checkpoint at 12)
  EXPECT_EQ(Entries().size(), 12u);
  Advance(90 * kDay);  // the first ten are now older than 183 days: deleted up to checkpoint 8
  auto entries = Entries();
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.front().seq, 9);
  EXPECT_EQ(entries.back().seq, 12);
  trail_key_ = trail_->public_key();
  auto r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.first_seq, 9);
  EXPECT_EQ(r.entries, 4);
  // The anchor holds across a restart, and the chain goes on from the head.
  Close();
  Open();
  Calls(1);
  r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.last_seq, 13);
  // Deleting from the start down to a checkpoint without the key's anchor is caught.
  Edit("DELETE FROM audit_entries WHERE key <= '000000000012'");
  r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.problem, "entries 9 to 12 missing (seq jumps from 8 to 13)");
}

TEST_F(AuditTest, RetentionBelowSixMonthsIsRefused) {
  AuditOptions short_retention = options_;
  short_retention.retention_days = 90;
  auto trail = AuditTrail::Open(*store_, *engine_, clock_, short_retention);
  EXPECT_EQ(trail.status().code(), absl::StatusCode::kInvalidArgument);
  engine_->SetAuditHook(trail_.get());
}

}  // namespace
}  // namespace shequ::auth
