#pragma once

// SqliteStore: the embedded default backend of Store.
//
// One file in WAL mode. A single writer thread owns the only read-write connection and group
// commits whatever the engine queued (one BEGIN IMMEDIATE ... COMMIT, so one fsync, per group).
// Reads use a pool of read-only connections, so readers on any thread never block the writer
// and always see the last committed transaction. Every connection caches its prepared statements.
// The parts: connection.{h,cc}, migrations.{h,cc} (migrations/NNNN_name.sql), writer.cc and
// rows.h, queries.cc; the internal headers are for this directory and the engine benchmark.
//
// Reads log an SQLite error and return it (SqliteError: UNAVAILABLE when the database is busy,
// locked or the disk failed, INTERNAL for a corrupt file, ...), never a partial or empty answer,
// except that ForEachTimer/ForEachJob may have passed rows before the error. Write failures
// are sticky, see store.h.

#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/store/store.h"
#include "spdlog/spdlog.h"

namespace shequ::store {

namespace sqlite_internal {
class Connection;
class Statement;
struct ModuleTable;
using ModuleTableMap = std::unordered_map<std::string, std::shared_ptr<const ModuleTable>>;
}  // namespace sqlite_internal

struct SqliteOptions {
  std::string path;                  // database file, e.g. var/shequd.db; parent directory created
  std::string synchronous = "FULL";  // FULL (default, durable against power loss) or NORMAL
  int readers = 4;                   // read-only connections in a pool
  int max_batches_per_commit = 512;  // group-commit limit
  int64_t max_size_bytes = 0;        // 0 = unlimited; else a storage quota via
                                     // PRAGMA max_page_count, a commit that would exceed it
                                     // fails (SQLITE_FULL) like a full disk
};

class SqliteStore : public Store {
 public:
  // Upper bounds of the CommitStats histogram buckets; each bucket counts the commits with
  // value <= its bound and > the previous bound (NOT cumulative). One more bucket follows for
  // +Inf, so group_size_buckets has kGroupSizeBounds.size() + 1 entries, likewise latency.
  // Latency is the time of one transaction, BEGIN IMMEDIATE through COMMIT (incl. the fsync).
  static constexpr std::array<int64_t, 10> kGroupSizeBounds = {1,  2,  4,   8,   16,
                                                               32, 64, 128, 256, 512};
  static constexpr std::array<int64_t, 11> kLatencyBoundsUs = {
      100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000};

  // Opens (creating if needed) the database, applies pending migrations, starts the writer.
  // A database whose schema is newer than this code is refused with FAILED_PRECONDITION.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const SqliteOptions& options);
  // The schema version this code migrates to.
  static int SchemaVersion();
  // Every migration version it knows, ascending (there may be gaps).
  static std::vector<int> SchemaVersions();

  // Drains the queue (every queued batch is committed or failed), stops the writer thread and
  // closes the connections.
  ~SqliteStore() override;

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // Once the store is broken, `done` runs at once on the calling thread with the sticky error.
  void Commit(WriteBatch batch, Done done) override;
  absl::Status CheckBatch(const WriteBatch& batch) const override;
  // Called from a `done` callback (the writer thread) it cannot wait for itself and only
  // returns Health().
  absl::Status Flush() override;
  absl::Status Health() const override;
  CommitStats GetCommitStats() const override;

  absl::StatusOr<std::vector<DefinitionRow>> LoadDefinitions() override;
  absl::StatusOr<std::vector<DefinitionRow>> LoadLiveDefinitions() override;
  absl::StatusOr<std::optional<DefinitionRow>> GetDefinition(const std::string& id,
                                                             int32_t version) override;
  absl::StatusOr<std::map<std::string, int64_t>> LoadSequences() override;
  absl::StatusOr<std::map<std::string, int64_t>> HighestIds() override;
  absl::Status ForEachTimer(const std::function<void(const TimerRow&)>& fn) override;
  // state "" = every job.
  absl::Status ForEachJob(const std::string& state,
                          const std::function<void(const JobRow&)>& fn) override;
  absl::StatusOr<std::vector<MessageRow>> LoadMessages() override;
  absl::StatusOr<std::vector<SubscriptionRow>> LoadSubscriptions() override;

  absl::StatusOr<std::optional<InstanceRow>> GetInstance(int64_t id) override;
  absl::StatusOr<std::vector<InstanceRow>> ListInstances(const InstanceFilter& f,
                                                         const Page& p) override;
  absl::StatusOr<std::optional<TaskRow>> GetTask(int64_t id) override;
  absl::StatusOr<std::vector<TaskRow>> ListTasks(const TaskFilter& f, const Page& p) override;
  absl::StatusOr<std::optional<JobRow>> GetJob(int64_t id) override;
  absl::StatusOr<std::optional<TimerRow>> GetTimer(int64_t id) override;
  absl::StatusOr<std::optional<IncidentRow>> GetIncident(int64_t id) override;
  absl::StatusOr<std::vector<IncidentRow>> ListIncidents(const IncidentFilter& f,
                                                         const Page& p) override;
  absl::StatusOr<std::optional<NotificationRow>> GetNotification(int64_t id) override;
  // An empty recipient and no roles means no audience restriction.
  absl::StatusOr<std::vector<NotificationRow>> ListNotifications(const NotificationFilter& f,
                                                                 const Page& p) override;
  absl::StatusOr<std::vector<EventRow>> History(int64_t instance_id, int64_t after_seq,
                                                int limit) override;
  absl::StatusOr<std::optional<RequestRow>> GetRequest(const std::string& request_id) override;
  absl::StatusOr<std::vector<EventRow>> SubjectHistory(const std::string& subject,
                                                       const std::string& unit, int64_t after_seq,
                                                       int limit) override;
  // jobs_pending = activatable or active.
  absl::StatusOr<Counts> Count() override;

  // Module migrations are recorded in the table module_migrations (module, version). Attaching
  // a module again (same process) replaces its tables.
  absl::Status AttachModule(const ModuleSchema& schema) override;
  absl::StatusOr<std::optional<Record>> GetRecord(const std::string& table,
                                                  const std::string& key) override;
  absl::StatusOr<std::vector<Record>> ScanRecords(const RecordScan& scan) override;

  // Runs `PRAGMA <name>` on the writer connection (between groups) and returns the first
  // column of the first row as text, e.g. "2" for synchronous=FULL. For tests and diagnostics.
  absl::StatusOr<std::string> WriterPragma(std::string_view name);

 private:
  class ReaderLease;
  struct Pending {
    WriteBatch batch;
    Done done;
  };
  using Param = std::variant<int64_t, std::string>;
  using RowFn = std::function<void(sqlite_internal::Statement&)>;

  SqliteStore(SqliteOptions options, std::unique_ptr<sqlite_internal::Connection> writer,
              std::vector<std::unique_ptr<sqlite_internal::Connection>> readers);

  void WriterLoop();
  void ProcessGroup(std::vector<Pending>& group);
  absl::Status ApplyGroup(const std::vector<Pending>& group);
  void RecordCommit(size_t batches, size_t records, int64_t latency_us);

  // The attached modules' tables (a snapshot), and one of them or INVALID_ARGUMENT.
  std::shared_ptr<const sqlite_internal::ModuleTableMap> Tables() const;
  absl::StatusOr<std::shared_ptr<const sqlite_internal::ModuleTable>> FindTable(
      const std::string& table) const;

  // Runs a read-only query on a borrowed reader connection, calling on_row for each row.
  // Errors are logged with `what` and returned.
  absl::Status Read(std::string_view what, std::string_view sql, const std::vector<Param>& params,
                    const RowFn& on_row);

  const SqliteOptions options_;
  std::shared_ptr<spdlog::logger> log_;

  // The write connection; used by the writer thread, and by WriterPragma under the mutex.
  std::mutex writer_conn_mu_;
  std::unique_ptr<sqlite_internal::Connection> writer_;

  // Writer queue and sticky state.
  mutable std::mutex mu_;
  std::condition_variable queue_cv_;  // writer waits for work
  std::condition_variable flush_cv_;  // Flush waits for processed_
  std::deque<Pending> queue_;
  uint64_t enqueued_ = 0;   // batches ever queued
  uint64_t processed_ = 0;  // batches whose done has run
  bool stop_ = false;
  absl::Status broken_;  // first commit error, sticky
  std::thread writer_thread_;

  // Reader pool. A thread that already holds a reader (e.g. a ForEachTimer callback that reads
  // again) reuses it instead of waiting for a second one, which could deadlock.
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<sqlite_internal::Connection>> readers_;
  std::vector<sqlite_internal::Connection*> free_readers_;
  std::unordered_map<std::thread::id, std::pair<sqlite_internal::Connection*, int>> held_;

  mutable std::mutex stats_mu_;
  CommitStats stats_;

  // The attached modules' tables, replaced whole by AttachModule; readers and the writer take a
  // snapshot.
  mutable std::mutex tables_mu_;
  std::shared_ptr<const sqlite_internal::ModuleTableMap> tables_ =
      std::make_shared<sqlite_internal::ModuleTableMap>();
};

}  // namespace shequ::store
