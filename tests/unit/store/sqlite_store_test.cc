// SQLite-specific behaviour: group commit, sticky failure, migrations, pragmas.
// Deterministic: the writer is held on a gate inside a done callback instead of sleeping.

#include "daemon/store/sqlite/sqlite_store.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <array>
#include <atomic>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/unit/store/must.h"

// Filters and pages are written with designated initializers naming only the fields that matter.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace shequ::store {
namespace {

InstanceRow Instance(int64_t id, std::string body = "{}") {
  return InstanceRow{id, "recruit", 1, "BK", "u1", "active", 0, 1, 2, std::move(body)};
}

WriteBatch InstanceBatch(int64_t id, std::string body = "{}") {
  WriteBatch b;
  b.instances.push_back(Instance(id, std::move(body)));
  return b;
}

// Commits one batch and waits for its done.
absl::Status CommitSync(Store& store, WriteBatch batch) {
  auto result = std::make_shared<std::promise<absl::Status>>();
  auto future = result->get_future();
  store.Commit(std::move(batch), [result](absl::Status s) { result->set_value(std::move(s)); });
  return future.get();
}

// Runs one statement on a connection of the test's own; returns the first column or "".
std::string QueryRaw(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  } else {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
  return out;
}

// Holds the writer thread inside a done callback until Open() is called.
class WriterGate {
 public:
  Store::Done Callback() {
    return [this](absl::Status s) {
      status_ = s;
      entered_.set_value();
      opened_.get_future().wait();
    };
  }
  void WaitEntered() { entered_.get_future().wait(); }
  void Open() { opened_.set_value(); }
  absl::Status status() const { return status_; }

 private:
  std::promise<void> entered_, opened_;
  absl::Status status_;
};

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "sqlite_store_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/shequd.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  SqliteOptions Options() const {
    SqliteOptions o;
    o.path = path_;
    return o;
  }
  std::unique_ptr<SqliteStore> OpenStore(const SqliteOptions& o) {
    auto store = SqliteStore::Open(o);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  std::string dir_, path_;
};

TEST_F(SqliteStoreTest, GroupCommitGroupsQueuedBatches) {
  SqliteOptions o = Options();
  o.max_batches_per_commit = 64;
  auto store = OpenStore(o);
  ASSERT_NE(store, nullptr);

  // The first batch commits alone; its done holds the writer while the others queue up.
  WriterGate gate;
  store->Commit(InstanceBatch(1), gate.Callback());
  gate.WaitEntered();

  constexpr int kThreads = 4, kPerThread = 100;
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        WriteBatch b = InstanceBatch(1000 + t * kPerThread + i);
        b.events.push_back({1000 + t * kPerThread + i, 1, "Created", 0, "{}"});
        store->Commit(std::move(b), [&](absl::Status s) { ++(s.ok() ? ok : failed); });
      }
    });
  }
  for (auto& t : threads) t.join();
  gate.Open();
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_TRUE(gate.status().ok()) << gate.status();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(failed.load(), 0);

  // 1 + 400 batches: the lone first one, then six full groups of 64 and one of 16.
  const CommitStats stats = store->GetCommitStats();
  EXPECT_EQ(stats.batches, 1 + kThreads * kPerThread);
  EXPECT_EQ(stats.records, 1 + 2 * kThreads * kPerThread);
  EXPECT_EQ(stats.commits, 8);
  EXPECT_LT(stats.commits, stats.batches);
  ASSERT_EQ(stats.group_size_buckets.size(), SqliteStore::kGroupSizeBounds.size() + 1);
  std::vector<int64_t> expected_groups(SqliteStore::kGroupSizeBounds.size() + 1, 0);
  expected_groups[0] = 1;  // <= 1
  expected_groups[4] = 1;  // <= 16
  expected_groups[6] = 6;  // <= 64
  EXPECT_EQ(stats.group_size_buckets, expected_groups);
  ASSERT_EQ(stats.latency_us_buckets.size(), SqliteStore::kLatencyBoundsUs.size() + 1);

  auto all = Must(store->ListInstances({}, {.after_id = 0, .limit = 10000}));
  EXPECT_EQ(all.size(), static_cast<size_t>(1 + kThreads * kPerThread));
  EXPECT_EQ(Must(store->History(1, 0, 10000)).size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST_F(SqliteStoreTest, DefaultLimitTakesWholeQueueInOneCommit) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  WriterGate gate;
  store->Commit(InstanceBatch(1), gate.Callback());
  gate.WaitEntered();
  for (int i = 0; i < 300; ++i) store->Commit(InstanceBatch(10 + i), nullptr);
  gate.Open();
  ASSERT_TRUE(store->Flush().ok());
  const CommitStats stats = store->GetCommitStats();
  EXPECT_EQ(stats.commits, 2);
  EXPECT_EQ(stats.batches, 301);
  EXPECT_EQ(stats.group_size_buckets[0], 1);
  EXPECT_EQ(stats.group_size_buckets[9], 1);  // 257..512
}

TEST_F(SqliteStoreTest, FailedCommitIsStickyAndLeavesNoTrace) {
  SqliteOptions o = Options();
  o.max_size_bytes = 1 << 20;  // 1 MiB
  auto store = OpenStore(o);
  ASSERT_NE(store, nullptr);

  // Acknowledged rows, well under the quota.
  const std::string body(8 * 1024, 'x');
  for (int64_t id = 1; id <= 20; ++id) {
    ASSERT_TRUE(CommitSync(*store, InstanceBatch(id, body)).ok());
  }

  // One group of three: a small batch, one far over the quota, another small one.
  WriterGate gate;
  store->Commit(InstanceBatch(100, body), gate.Callback());
  gate.WaitEntered();
  std::vector<absl::Status> group(3);
  store->Commit(InstanceBatch(201), [&](absl::Status s) { group[0] = s; });
  store->Commit(InstanceBatch(202, std::string(2 << 20, 'y')),
                [&](absl::Status s) { group[1] = s; });
  WriteBatch third = InstanceBatch(203);
  third.sequences["instance"] = 203;
  store->Commit(std::move(third), [&](absl::Status s) { group[2] = s; });
  gate.Open();

  const absl::Status flushed = store->Flush();
  EXPECT_EQ(flushed.code(), absl::StatusCode::kUnavailable) << flushed;
  EXPECT_TRUE(gate.status().ok()) << gate.status();
  for (const absl::Status& s : group) {
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
    EXPECT_NE(s.message().find("SQLITE_FULL"), absl::string_view::npos) << s;
  }
  const absl::Status health = store->Health();
  EXPECT_EQ(health.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(health, group[1]);

  // Later commits fail at once, without reaching the writer.
  bool called = false;
  absl::Status later;
  store->Commit(InstanceBatch(300), [&](absl::Status s) {
    called = true;
    later = s;
  });
  EXPECT_TRUE(called);
  EXPECT_EQ(later.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store->Flush().code(), absl::StatusCode::kUnavailable);

  // Reads keep working and show none of the failed group.
  EXPECT_TRUE(Must(store->GetInstance(100)).has_value());
  EXPECT_FALSE(Must(store->GetInstance(201)).has_value());
  store.reset();

  // Reopened without a quota: every acknowledged row, nothing of the failed group.
  store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->Health().ok());
  for (int64_t id : {1, 7, 20, 100}) {
    auto row = Must(store->GetInstance(id));
    ASSERT_TRUE(row.has_value()) << id;
    EXPECT_EQ(row->body, body);
  }
  EXPECT_EQ(Must(store->ListInstances({}, {.after_id = 0, .limit = 1000})).size(), 21u);
  for (int64_t id : {201, 202, 203, 300})
    EXPECT_FALSE(Must(store->GetInstance(id)).has_value()) << id;
  EXPECT_TRUE(Must(store->LoadSequences()).empty());
  store.reset();
  EXPECT_EQ(QueryRaw(path_, "PRAGMA integrity_check"), "ok");
}

TEST_F(SqliteStoreTest, ConstraintViolationNamesTheExtendedCode) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  WriteBatch b;
  b.events = {{1, 1, "Created", 0, "{}"}};
  ASSERT_TRUE(CommitSync(*store, b).ok());
  const absl::Status s = CommitSync(*store, b);  // the same seq again
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("SQLITE_CONSTRAINT_PRIMARYKEY"), absl::string_view::npos) << s;
  EXPECT_FALSE(store->Health().ok());
}

TEST_F(SqliteStoreTest, MigrationVersionIsRecordedOnce) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  store.reset();
  EXPECT_EQ(QueryRaw(path_, "SELECT MAX(version) FROM schema_migrations"),
            std::to_string(SqliteStore::SchemaVersion()));
  EXPECT_NE(QueryRaw(path_, "SELECT MIN(applied_at) FROM schema_migrations"), "0");
  store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  store.reset();
  EXPECT_EQ(QueryRaw(path_, "SELECT COUNT(*) FROM schema_migrations"),
            std::to_string(SqliteStore::SchemaVersions().size()));
}

// The indexes migration 3 made partial, in their former (migration 1) form.
constexpr std::array<std::array<const char*, 3>, 8> kPartialIndexes = {{
    {"instances_by_business_key", "instances", "business_key"},
    {"instances_by_unit", "instances", "unit"},
    {"instances_by_parent", "instances", "parent_id"},
    {"tasks_by_role", "tasks", "role"},
    {"tasks_by_unit", "tasks", "unit"},
    {"tasks_by_assignee", "tasks", "assignee"},
    {"notifications_by_recipient", "notifications", "recipient"},
    {"notifications_by_role", "notifications", "role"},
}};

TEST_F(SqliteStoreTest, FormerSchemaIsMigratedAcrossAGapInVersions) {
  ASSERT_NE(OpenStore(Options()), nullptr);
  // Put the database back as a build with migrations 1 and 3 but not 2 left it (2 and 3 were
  // written on different branches): 2 must still be applied, after 3.
  for (const char* sql : {"DELETE FROM schema_migrations WHERE version = 2", "DROP TABLE units",
                          "DROP TABLE quota_revisions", "DROP TABLE workers",
                          "DROP INDEX events_by_subject", "DROP INDEX events_by_unit",
                          "ALTER TABLE events DROP COLUMN subject",
                          "ALTER TABLE events DROP COLUMN unit"}) {
    QueryRaw(path_, sql);
  }
  {
    auto store = OpenStore(Options());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(CommitSync(*store, InstanceBatch(7)).ok());
    WriteBatch change;  // an event with the columns migration 2 adds
    change.events.push_back({1, 0, "unit.created", 1, "{}", "unit:bh", "bh"});
    ASSERT_TRUE(CommitSync(*store, std::move(change)).ok());
  }
  EXPECT_EQ(QueryRaw(path_, "SELECT group_concat(version) FROM schema_migrations"),
            "1,2,3,4,5,6,7");
  EXPECT_EQ(QueryRaw(path_, "SELECT COUNT(*) FROM events WHERE subject = 'unit:bh'"), "1");
  for (const auto& [name, table, column] : kPartialIndexes) {
    EXPECT_NE(
        QueryRaw(path_, absl::StrCat("SELECT sql FROM sqlite_master WHERE name = '", name, "'"))
            .find("WHERE"),
        std::string::npos)
        << name;
  }
  EXPECT_EQ(QueryRaw(path_, "PRAGMA integrity_check"), "ok");
}

// The query plan's details, one line each, from a connection of the test's own.
std::string Plan(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::string out;
  const std::string explain = "EXPLAIN QUERY PLAN " + sql;
  if (sqlite3_prepare_v2(db, explain.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  } else {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      absl::StrAppend(&out, reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3)), "\n");
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
  return out;
}

// The shapes of the filtered list queries of sqlite_store.cc (ListInstances, ListTasks,
// ListNotifications): each must still be answered from an index now that some are partial.
TEST_F(SqliteStoreTest, FilteredListsUseThePartialIndexes) {
  ASSERT_NE(OpenStore(Options()), nullptr);
  const std::pair<const char*, const char*> cases[] = {
      {"SELECT * FROM instances WHERE business_key = ? AND business_key != '' AND id > ? "
       "ORDER BY id LIMIT ?",
       "USING INDEX instances_by_business_key"},
      {"SELECT * FROM instances WHERE unit = ? AND unit != '' AND id > ? ORDER BY id LIMIT ?",
       "USING INDEX instances_by_unit"},
      {"SELECT * FROM instances WHERE parent_id = ? AND parent_id != 0 AND id > ? "
       "ORDER BY id LIMIT ?",
       "USING INDEX instances_by_parent"},
      {"SELECT * FROM tasks WHERE role = ? AND role != '' AND "
       "state IN ('open', 'claimed', 'delegated') AND id > ? ORDER BY id LIMIT ?",
       "USING INDEX tasks_by_role"},
      {"SELECT * FROM tasks WHERE assignee = ? AND assignee != '' AND "
       "state IN ('open', 'claimed', 'delegated') AND id > ? ORDER BY id LIMIT ?",
       "USING INDEX tasks_by_assignee"},
      {"SELECT * FROM tasks WHERE unit IN (?) AND unit != '' AND state = ? AND id > ? "
       "ORDER BY id LIMIT ?",
       "USING INDEX tasks_by_unit"},
      {"SELECT * FROM tasks WHERE unit IN (?, ?, ?) AND unit != '' AND "
       "state IN ('open', 'claimed', 'delegated') AND id > ? ORDER BY id LIMIT ?",
       "USING INDEX tasks_by_unit"},
      {"SELECT * FROM notifications WHERE ((recipient = ? AND recipient != '') OR "
       "(role IN (?, ?) AND role != '')) AND id > ? ORDER BY id LIMIT ?",
       "MULTI-INDEX OR"},
      {"SELECT * FROM notifications WHERE ((recipient = ? AND recipient != '')) AND id > ? "
       "ORDER BY id LIMIT ?",
       "USING INDEX notifications_by_recipient"},
      {"SELECT * FROM notifications WHERE ((role IN (?) AND role != '')) AND id > ? "
       "ORDER BY id LIMIT ?",
       "USING INDEX notifications_by_role"},
      // LoadLiveDefinitions' probe: one per stored version, not a walk of active instances.
      {"SELECT 1 FROM instances i WHERE i.state = 'active' AND i.definition_id = ? AND "
       "i.version = ?",
       "USING INDEX instances_active_by_definition"},
  };
  for (const auto& [sql, expected] : cases) {
    EXPECT_NE(Plan(path_, sql).find(expected), std::string::npos) << sql << "\n"
                                                                  << Plan(path_, sql);
  }
}

ModuleSchema Notes() {
  ModuleSchema s;
  s.module = "notes";
  s.tables = {{"notes_items", {"owner"}}};
  s.migrations = {{1, "0001_items.sql",
                   "CREATE TABLE notes_items (key TEXT PRIMARY KEY, body TEXT NOT NULL, "
                   "owner TEXT NOT NULL DEFAULT '');\n"
                   "CREATE INDEX notes_items_by_owner ON notes_items (owner, key);\n"}};
  return s;
}

TEST_F(SqliteStoreTest, ModuleMigrationsAreRecordedPerModule) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->AttachModule(Notes()).ok());
  store.reset();
  EXPECT_EQ(QueryRaw(path_, "SELECT module || ':' || version || ':' || name FROM "
                            "module_migrations"),
            "notes:1:0001_items.sql");
  EXPECT_NE(QueryRaw(path_, "SELECT MIN(applied_at) FROM module_migrations"), "0");
  // A version this build does not know, as a newer build would have left it.
  QueryRaw(path_, "INSERT INTO module_migrations VALUES ('notes', 7, '0007_later.sql', 1)");
  store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  absl::Status s = store->AttachModule(Notes());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("migration 7 of module notes"), absl::string_view::npos) << s;
}

// Scans by a declared column walk the module's (column, key) index in key order: no sort.
TEST_F(SqliteStoreTest, RecordScansUseTheKeyAndTheModulesIndexes) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->AttachModule(Notes()).ok());
  const std::string by_owner =
      Plan(path_, "SELECT key, body FROM \"notes_items\" WHERE \"owner\" = ? AND key > ? "
                  "ORDER BY key LIMIT ?");
  EXPECT_NE(by_owner.find("USING INDEX notes_items_by_owner"), std::string::npos) << by_owner;
  EXPECT_EQ(by_owner.find("TEMP B-TREE"), std::string::npos) << by_owner;
  const std::string by_prefix = Plan(
      path_, "SELECT key, body FROM \"notes_items\" WHERE key >= ? AND key < ? ORDER BY key "
             "LIMIT ?");
  EXPECT_NE(by_prefix.find("INDEX"), std::string::npos) << by_prefix;
  EXPECT_EQ(by_prefix.find("TEMP B-TREE"), std::string::npos) << by_prefix;
}

// A record read that fails returns SQLite's error, never an empty answer.
TEST_F(SqliteStoreTest, RecordReadErrorsReachTheCaller) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->AttachModule(Notes()).ok());
  WriteBatch b;
  b.records = {{RecordWrite::Op::kPut, "notes_items", "n-1", "{}", {"alice"}}};
  ASSERT_TRUE(CommitSync(*store, std::move(b)).ok());
  ASSERT_TRUE(store->GetRecord("notes_items", "n-1").value_or(std::nullopt).has_value());
  QueryRaw(path_, "DROP TABLE notes_items");  // behind the store's back
  absl::StatusOr<std::optional<Record>> got = store->GetRecord("notes_items", "n-1");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInternal) << got.status();
  EXPECT_NE(got.status().message().find("no such table"), absl::string_view::npos)
      << got.status();
  absl::StatusOr<std::vector<Record>> scanned =
      store->ScanRecords({.table = "notes_items", .column = "owner", .value = "alice"});
  EXPECT_EQ(scanned.status().code(), absl::StatusCode::kInternal) << scanned.status();
  absl::Status each = ForEachRecord(*store, {.table = "notes_items"},
                                    [](Record&&) { return absl::OkStatus(); });
  EXPECT_EQ(each.code(), absl::StatusCode::kInternal) << each;
}

TEST_F(SqliteStoreTest, CloseCheckpointsTheWal) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(CommitSync(*store, InstanceBatch(1)).ok());
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
  store.reset();
  // The last connection to close checkpoints the WAL into the file and removes it.
  EXPECT_FALSE(std::filesystem::exists(path_ + "-wal"));
  EXPECT_EQ(QueryRaw(path_, "SELECT COUNT(*) FROM instances"), "1");
}

TEST_F(SqliteStoreTest, NewerSchemaIsRefused) {
  ASSERT_NE(OpenStore(Options()), nullptr);
  const int newer = SqliteStore::SchemaVersion() + 1;
  QueryRaw(path_, "INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                      std::to_string(newer) + ", 1)");
  auto store = SqliteStore::Open(Options());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("newer"), absl::string_view::npos) << store.status();
  EXPECT_NE(store.status().message().find(std::to_string(newer)), absl::string_view::npos);
}

TEST_F(SqliteStoreTest, PragmasAreSet) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->WriterPragma("synchronous").value_or("?"), "2");  // FULL
  EXPECT_EQ(store->WriterPragma("journal_mode").value_or("?"), "wal");
  EXPECT_EQ(store->WriterPragma("max_page_count; DROP TABLE tasks").status().code(),
            absl::StatusCode::kInvalidArgument);
  store.reset();

  SqliteOptions normal = Options();
  normal.synchronous = "NORMAL";
  store = OpenStore(normal);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->WriterPragma("synchronous").value_or("?"), "1");
}

TEST_F(SqliteStoreTest, QuotaSetsMaxPageCount) {
  SqliteOptions o = Options();
  o.max_size_bytes = 8 << 20;
  auto store = OpenStore(o);
  ASSERT_NE(store, nullptr);
  const int64_t page_size = std::stoll(store->WriterPragma("page_size").value_or("0"));
  ASSERT_GT(page_size, 0);
  EXPECT_EQ(store->WriterPragma("max_page_count").value_or("?"),
            std::to_string((8 << 20) / page_size));
}

TEST_F(SqliteStoreTest, BadOptionsAreRejected) {
  SqliteOptions o = Options();
  o.synchronous = "OFF";
  EXPECT_EQ(SqliteStore::Open(o).status().code(), absl::StatusCode::kInvalidArgument);
  o = Options();
  o.readers = 0;
  EXPECT_EQ(SqliteStore::Open(o).status().code(), absl::StatusCode::kInvalidArgument);
  o = Options();
  o.max_batches_per_commit = 0;
  EXPECT_EQ(SqliteStore::Open(o).status().code(), absl::StatusCode::kInvalidArgument);
  o = Options();
  o.path = "";
  EXPECT_EQ(SqliteStore::Open(o).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteStoreTest, NotADatabaseIsDataLoss) {
  {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::string junk(8192, 'j');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  auto store = SqliteStore::Open(Options());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  EXPECT_NE(store.status().message().find("SQLITE_NOTADB"), absl::string_view::npos)
      << store.status();
}

// A database that cannot answer (here its engine tables are gone under the store) makes every
// engine read fail with the SQLite error; none answers "nothing there".
TEST_F(SqliteStoreTest, ReadsOfABrokenDatabaseAnswerTheError) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  WriteBatch b = InstanceBatch(1);
  b.sequences["x"] = 1;
  ASSERT_TRUE(CommitSync(*store, std::move(b)).ok());
  ASSERT_TRUE(Must(store->GetInstance(1)).has_value());
  for (const char* table :
       {"definitions", "instances", "tasks", "jobs", "timers", "messages", "subscriptions",
        "incidents", "notifications", "events", "requests", "sequences"}) {
    QueryRaw(path_, absl::StrCat("DROP TABLE ", table));
  }

  auto expect_error = [](const absl::Status& status, const char* read) {
    EXPECT_FALSE(status.ok()) << read << " answered as if the database were fine";
    EXPECT_NE(status.message().find("no such table"), std::string::npos) << read << ": " << status;
  };
  expect_error(store->LoadDefinitions().status(), "LoadDefinitions");
  expect_error(store->LoadLiveDefinitions().status(), "LoadLiveDefinitions");
  expect_error(store->GetDefinition("review", 1).status(), "GetDefinition");
  expect_error(store->LoadSequences().status(), "LoadSequences");
  expect_error(store->HighestIds().status(), "HighestIds");
  int rows = 0;
  expect_error(store->ForEachTimer([&](const TimerRow&) { ++rows; }), "ForEachTimer");
  expect_error(store->ForEachJob("", [&](const JobRow&) { ++rows; }), "ForEachJob");
  EXPECT_EQ(rows, 0);
  expect_error(store->LoadMessages().status(), "LoadMessages");
  expect_error(store->LoadSubscriptions().status(), "LoadSubscriptions");
  expect_error(store->GetInstance(1).status(), "GetInstance");
  expect_error(store->ListInstances({}, {}).status(), "ListInstances");
  expect_error(store->GetTask(1).status(), "GetTask");
  expect_error(store->ListTasks({}, {}).status(), "ListTasks");
  expect_error(store->GetJob(1).status(), "GetJob");
  expect_error(store->GetTimer(1).status(), "GetTimer");
  expect_error(store->GetIncident(1).status(), "GetIncident");
  expect_error(store->ListIncidents({}, {}).status(), "ListIncidents");
  expect_error(store->GetNotification(1).status(), "GetNotification");
  expect_error(store->ListNotifications({}, {}).status(), "ListNotifications");
  expect_error(store->History(0, 0, 10).status(), "History");
  expect_error(store->GetRequest("r").status(), "GetRequest");
  expect_error(store->SubjectHistory("worker:1", "", 0, 10).status(), "SubjectHistory");
  expect_error(store->Count().status(), "Count");
}

TEST_F(SqliteStoreTest, NestedReadsWithASingleReaderDoNotDeadlock) {
  SqliteOptions o = Options();
  o.readers = 1;
  auto store = OpenStore(o);
  ASSERT_NE(store, nullptr);
  WriteBatch b;
  for (int64_t id = 1; id <= 5; ++id) b.timers.push_back({id, id, 1, "k", 0, "{}"});
  ASSERT_TRUE(CommitSync(*store, std::move(b)).ok());

  int outer = 0, inner = 0;
  Must(store->ForEachTimer([&](const TimerRow& t) {
    ++outer;
    EXPECT_TRUE(Must(store->GetTimer(t.id)).has_value());
    Must(store->ForEachTimer([&](const TimerRow&) { ++inner; }));  // same statement, nested
  }));
  EXPECT_EQ(outer, 5);
  EXPECT_EQ(inner, 25);
  // The cached statements are usable again afterwards.
  int again = 0;
  Must(store->ForEachTimer([&](const TimerRow&) { ++again; }));
  EXPECT_EQ(again, 5);
}

TEST_F(SqliteStoreTest, ReadersSeeCommittedSnapshotsWhileWriting) {
  SqliteOptions o = Options();
  o.readers = 2;
  auto store = OpenStore(o);
  ASSERT_NE(store, nullptr);
  constexpr int kBatches = 300;
  std::atomic<bool> writing{true};
  std::atomic<int> regressions{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {  // more threads than connections: they wait for one
    readers.emplace_back([&] {
      int64_t last = 0;
      while (writing.load()) {
        const int64_t now = Must(store->Count()).instances_active;
        if (now < last) ++regressions;
        last = now;
        // A batch holds an instance and its task together; never see one without the other.
        const Counts c = Must(store->Count());
        if (c.instances_active != c.tasks_open && c.instances_active > 0) {
          // The two counts come from one statement, hence one snapshot.
          ++regressions;
        }
      }
    });
  }
  for (int i = 1; i <= kBatches; ++i) {
    WriteBatch b = InstanceBatch(i);
    b.tasks.push_back({i, i, "open", "clerk", "u1", "", 0, 0, "{}"});
    store->Commit(std::move(b), nullptr);
  }
  ASSERT_TRUE(store->Flush().ok());
  writing = false;
  for (auto& t : readers) t.join();
  EXPECT_EQ(regressions.load(), 0);
  EXPECT_EQ(Must(store->Count()).instances_active, kBatches);
}

TEST_F(SqliteStoreTest, EmptyNotificationFilterHasNoAudienceRestriction) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  WriteBatch b;
  b.notifications = {{1, "alice", "", "u", false, 0, "{}"},
                     {2, "", "clerk", "u", false, 0, "{}"},
                     {3, "bob", "head", "u", true, 0, "{}"}};
  ASSERT_TRUE(CommitSync(*store, std::move(b)).ok());
  EXPECT_EQ(Must(store->ListNotifications({}, {})).size(), 2u);
  EXPECT_EQ(Must(store->ListNotifications({.include_acked = true}, {})).size(), 3u);
  // An empty recipient does not match notifications addressed to a role only.
  EXPECT_TRUE(Must(store->ListNotifications({.roles = {"hr"}}, {})).empty());
}

TEST_F(SqliteStoreTest, ManyTimersStream) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  constexpr int kTimers = 20000;
  WriteBatch b;
  for (int i = 1; i <= kTimers; ++i) b.timers.push_back({i, kTimers - i, 1, "k", 0, "{}"});
  ASSERT_TRUE(CommitSync(*store, std::move(b)).ok());
  int count = 0;
  int64_t last_due = -1;
  bool ordered = true;
  Must(store->ForEachTimer([&](const TimerRow& t) {
    ++count;
    ordered = ordered && t.due_at_ms >= last_due;
    last_due = t.due_at_ms;
  }));
  EXPECT_EQ(count, kTimers);
  EXPECT_TRUE(ordered);
  EXPECT_EQ(Must(store->Count()).timers, kTimers);
}

}  // namespace
}  // namespace shequ::store
