// The writer: one thread owns the write connection and group commits the queued batches; a
// failed commit breaks the store for good (docs/decisions/0005-sqlite-store.md).

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/core/status.h"
#include "daemon/store/sqlite/rows.h"
#include "daemon/store/sqlite/sqlite_store.h"

namespace shequ::store {
namespace sqlite_internal {
namespace {

constexpr char kInsertDefinition[] =
    "INSERT INTO definitions (id, version, name, digest, yaml, deployed_at_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr char kUpsertInstance[] =
    "INSERT INTO instances (id, definition_id, version, business_key, unit, state, parent_id, "
    "created_at_ms, updated_at_ms, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
    "ON CONFLICT (id) DO UPDATE SET definition_id = excluded.definition_id, "
    "version = excluded.version, business_key = excluded.business_key, unit = excluded.unit, "
    "state = excluded.state, parent_id = excluded.parent_id, "
    "created_at_ms = excluded.created_at_ms, updated_at_ms = excluded.updated_at_ms, "
    "body = excluded.body";
constexpr char kUpsertTask[] =
    "INSERT INTO tasks (id, instance_id, state, role, unit, assignee, due_at_ms, created_at_ms, "
    "body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
    "ON CONFLICT (id) DO UPDATE SET instance_id = excluded.instance_id, state = excluded.state, "
    "role = excluded.role, unit = excluded.unit, assignee = excluded.assignee, "
    "due_at_ms = excluded.due_at_ms, created_at_ms = excluded.created_at_ms, "
    "body = excluded.body";
constexpr char kUpsertJob[] =
    "INSERT INTO jobs (id, instance_id, type, state, due_at_ms, body) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
    "ON CONFLICT (id) DO UPDATE SET instance_id = excluded.instance_id, type = excluded.type, "
    "state = excluded.state, due_at_ms = excluded.due_at_ms, body = excluded.body";
constexpr char kDeleteJob[] = "DELETE FROM jobs WHERE id = ?1";
constexpr char kUpsertTimer[] =
    "INSERT INTO timers (id, due_at_ms, instance_id, kind, ref_id, body) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
    "ON CONFLICT (id) DO UPDATE SET due_at_ms = excluded.due_at_ms, "
    "instance_id = excluded.instance_id, kind = excluded.kind, ref_id = excluded.ref_id, "
    "body = excluded.body";
constexpr char kDeleteTimer[] = "DELETE FROM timers WHERE id = ?1";
constexpr char kUpsertMessage[] =
    "INSERT INTO messages (id, name, correlation, expires_at_ms, body) "
    "VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT (id) DO UPDATE SET name = excluded.name, correlation = excluded.correlation, "
    "expires_at_ms = excluded.expires_at_ms, body = excluded.body";
constexpr char kDeleteMessage[] = "DELETE FROM messages WHERE id = ?1";
constexpr char kUpsertSubscription[] =
    "INSERT INTO subscriptions (instance_id, token_id, name, correlation) "
    "VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (instance_id, token_id) DO UPDATE SET name = excluded.name, "
    "correlation = excluded.correlation";
constexpr char kDeleteSubscription[] =
    "DELETE FROM subscriptions WHERE instance_id = ?1 AND token_id = ?2";
constexpr char kUpsertIncident[] =
    "INSERT INTO incidents (id, instance_id, state, created_at_ms, body) "
    "VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT (id) DO UPDATE SET instance_id = excluded.instance_id, state = excluded.state, "
    "created_at_ms = excluded.created_at_ms, body = excluded.body";
constexpr char kUpsertNotification[] =
    "INSERT INTO notifications (id, recipient, role, unit, acked, created_at_ms, body) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
    "ON CONFLICT (id) DO UPDATE SET recipient = excluded.recipient, role = excluded.role, "
    "unit = excluded.unit, acked = excluded.acked, created_at_ms = excluded.created_at_ms, "
    "body = excluded.body";
// A reused seq would mean the engine lost its sequence: fail loudly rather than drop history.
constexpr char kInsertEvent[] =
    "INSERT INTO events (seq, instance_id, type, at_ms, body, subject, unit) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
// The first answer is the one replayed on retries, so a second insert keeps it.
constexpr char kInsertRequest[] =
    "INSERT INTO requests (request_id, reply, at_ms) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (request_id) DO NOTHING";
// A full scan of the key-ordered table; run rarely (the engine does it about hourly).
constexpr char kForgetRequests[] = "DELETE FROM requests WHERE at_ms < ?1";
constexpr char kUpsertSequence[] =
    "INSERT INTO sequences (name, value) VALUES (?1, ?2) "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value";

// Runs `sql` once per element of `rows`, prepared once.
template <typename Rows, typename BindFn>
absl::Status ForRows(Connection& c, std::string_view sql, const Rows& rows, BindFn bind) {
  if (rows.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
  for (const auto& row : rows) {
    bind(st, row);
    RETURN_IF_ERROR(st.Run());
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteRows(Connection& c, const WriteBatch& b, const ModuleTableMap& tables) {
  RETURN_IF_ERROR(ForRows(c, kInsertDefinition, b.definitions, [](Statement& s, const auto& r) {
    s.BindAll(r.id, int64_t{r.version}, r.name, r.digest, r.yaml, r.deployed_at_ms);
  }));
  RETURN_IF_ERROR(ForRows(c, kUpsertInstance, b.instances, [](Statement& s, const auto& r) {
    s.BindAll(r.id, r.definition_id, int64_t{r.version}, r.business_key, r.unit, r.state,
              r.parent_id, r.created_at_ms, r.updated_at_ms, r.body);
  }));
  RETURN_IF_ERROR(ForRows(c, kUpsertTask, b.tasks, [](Statement& s, const auto& r) {
    s.BindAll(r.id, r.instance_id, r.state, r.role, r.unit, r.assignee, r.due_at_ms,
              r.created_at_ms, r.body);
  }));
  RETURN_IF_ERROR(ForRows(c, kUpsertJob, b.jobs, [](Statement& s, const auto& r) {
    s.BindAll(r.id, r.instance_id, r.type, r.state, r.due_at_ms, r.body);
  }));
  RETURN_IF_ERROR(
      ForRows(c, kDeleteJob, b.deleted_jobs, [](Statement& s, int64_t id) { s.BindAll(id); }));
  RETURN_IF_ERROR(ForRows(c, kUpsertTimer, b.timers, [](Statement& s, const auto& r) {
    s.BindAll(r.id, r.due_at_ms, r.instance_id, r.kind, r.ref_id, r.body);
  }));
  RETURN_IF_ERROR(
      ForRows(c, kDeleteTimer, b.deleted_timers, [](Statement& s, int64_t id) { s.BindAll(id); }));
  RETURN_IF_ERROR(ForRows(c, kUpsertMessage, b.messages, [](Statement& s, const auto& r) {
    s.BindAll(r.id, r.name, r.correlation, r.expires_at_ms, r.body);
  }));
  RETURN_IF_ERROR(ForRows(c, kDeleteMessage, b.deleted_messages,
                          [](Statement& s, int64_t id) { s.BindAll(id); }));
  RETURN_IF_ERROR(ForRows(c, kUpsertSubscription, b.subscriptions, [](Statement& s, const auto& r) {
    s.BindAll(r.instance_id, r.token_id, r.name, r.correlation);
  }));
  RETURN_IF_ERROR(ForRows(c, kDeleteSubscription, b.deleted_subscriptions,
                          [](Statement& s, const auto& k) { s.BindAll(k.first, k.second); }));
  RETURN_IF_ERROR(ForRows(c, kUpsertIncident, b.incidents, [](Statement& s, const auto& r) {
    s.BindAll(r.id, r.instance_id, r.state, r.created_at_ms, r.body);
  }));
  RETURN_IF_ERROR(ForRows(c, kUpsertNotification, b.notifications, [](Statement& s, const auto& r) {
    s.BindAll(r.id, r.recipient, r.role, r.unit, int64_t{r.acked ? 1 : 0}, r.created_at_ms, r.body);
  }));
  RETURN_IF_ERROR(ForRows(c, kInsertEvent, b.events, [](Statement& s, const auto& r) {
    s.BindAll(r.seq, r.instance_id, r.type, r.at_ms, r.body, r.subject, r.unit);
  }));
  RETURN_IF_ERROR(ForRows(c, kInsertRequest, b.requests, [](Statement& s, const auto& r) {
    s.Bind(1, r.request_id);
    s.BindBlob(2, r.reply);
    s.Bind(3, r.at_ms);
  }));
  RETURN_IF_ERROR(ForRows(c, kUpsertSequence, b.sequences,
                          [](Statement& s, const auto& kv) { s.BindAll(kv.first, kv.second); }));
  if (b.forget_requests_before_ms > 0) {
    ASSIGN_OR_RETURN(Statement st, c.Prepare(kForgetRequests));
    st.BindAll(b.forget_requests_before_ms);
    RETURN_IF_ERROR(st.Run());
  }
  for (const RecordWrite& w : b.records) {
    auto it = tables.find(w.table);
    if (it == tables.end()) {  // validated by Commit
      return absl::InternalError(absl::StrCat("records: undeclared table ", w.table));
    }
    const ModuleTable& t = *it->second;
    const std::string& sql = w.op == RecordWrite::Op::kPut      ? t.upsert
                             : w.op == RecordWrite::Op::kAppend ? t.insert
                                                                : t.remove;
    ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
    st.Bind(1, w.key);
    if (w.op != RecordWrite::Op::kDelete) {
      st.Bind(2, w.body);
      for (size_t i = 0; i < w.columns.size(); ++i) st.Bind(static_cast<int>(i) + 3, w.columns[i]);
    }
    absl::Status status = st.Run();
    if (!status.ok()) {
      return absl::Status(status.code(), absl::StrCat("table ", w.table, ": ", status.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRecords(const std::vector<RecordWrite>& records,
                             const ModuleTableMap& tables) {
  for (size_t i = 0; i < records.size(); ++i) {
    const RecordWrite& w = records[i];
    auto it = tables.find(w.table);
    if (it == tables.end()) {
      return absl::InvalidArgumentError(absl::StrCat("records[", i, "]: table '", w.table,
                                                     "' is not declared by an attached module"));
    }
    if (w.key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("records[", i, "]: table ", w.table, ": empty key"));
    }
    const std::vector<std::string>& declared = it->second->columns;
    if (w.op != RecordWrite::Op::kDelete && w.columns.size() != declared.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("records[", i, "]: table ", w.table, ": ", w.columns.size(),
                       " column values, the table declares ", declared.size(), " (",
                       absl::StrJoin(declared, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace sqlite_internal

namespace {

using sqlite_internal::Connection;
using sqlite_internal::Statement;

template <size_t N>
size_t BucketOf(const std::array<int64_t, N>& bounds, int64_t value) {
  return static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) -
                             bounds.begin());
}

bool IsPragmaName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace

absl::Status SqliteStore::CheckBatch(const WriteBatch& batch) const {
  return batch.records.empty() ? absl::OkStatus() : ValidateRecords(batch.records, *Tables());
}

void SqliteStore::Commit(WriteBatch batch, Done done) {
  absl::Status failed = CheckBatch(batch);
  if (!failed.ok()) {
    if (done) done(failed);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (broken_.ok() && !stop_) {
      queue_.push_back(Pending{std::move(batch), std::move(done)});
      ++enqueued_;
      queue_cv_.notify_one();
      return;
    }
    failed = broken_.ok() ? absl::UnavailableError("store is closing") : broken_;
  }
  if (done) done(failed);
}

absl::Status SqliteStore::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  if (std::this_thread::get_id() == writer_thread_.get_id()) return broken_;
  const uint64_t target = enqueued_;
  flush_cv_.wait(lock, [&] { return processed_ >= target; });
  return broken_;
}

absl::Status SqliteStore::Health() const {
  std::lock_guard<std::mutex> lock(mu_);
  return broken_;
}

CommitStats SqliteStore::GetCommitStats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return stats_;
}

void SqliteStore::WriterLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    queue_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stopping, and drained
    std::vector<Pending> group;
    const size_t n = std::min(queue_.size(), static_cast<size_t>(options_.max_batches_per_commit));
    group.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      group.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    ProcessGroup(group);
    group.clear();  // release batches and callbacks outside the lock
    lock.lock();
    processed_ += n;
    flush_cv_.notify_all();
  }
}

void SqliteStore::ProcessGroup(std::vector<Pending>& group) {
  absl::Status status = Health();
  size_t records = 0;
  for (const Pending& p : group) records += p.batch.size();
  if (status.ok() && records > 0) {
    const auto start = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> lock(writer_conn_mu_);
      status = ApplyGroup(group);
    }
    if (status.ok()) {
      const int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now() - start)
                             .count();
      RecordCommit(group.size(), records, us);
    } else {
      status = absl::UnavailableError(
          absl::StrCat("store commit failed, writes refused from now on: ", status.message()));
      log_->critical("{} ({} batches rolled back)", std::string(status.message()), group.size());
      std::lock_guard<std::mutex> lock(mu_);
      if (broken_.ok()) broken_ = status;
    }
  }
  for (Pending& p : group) {
    if (p.done) p.done(status);
  }
}

absl::Status SqliteStore::ApplyGroup(const std::vector<Pending>& group) {
  Connection& c = *writer_;
  auto run = [&c](std::string_view sql) -> absl::Status {
    ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
    return st.Run();
  };
  constexpr char kBegin[] = "BEGIN IMMEDIATE", kCommit[] = "COMMIT", kRollback[] = "ROLLBACK";
  const std::shared_ptr<const sqlite_internal::ModuleTableMap> tables = Tables();
  RETURN_IF_ERROR(run(kBegin));
  absl::Status status;
  for (const Pending& p : group) {
    status = WriteRows(c, p.batch, *tables);
    if (!status.ok()) break;
  }
  if (status.ok()) status = run(kCommit);
  // After some errors (SQLITE_FULL, IOERR, ...) SQLite may already have rolled back.
  if (!status.ok() && sqlite3_get_autocommit(c.db()) == 0) {
    absl::Status rollback = run(kRollback);
    if (!rollback.ok()) log_->error("rollback failed: {}", rollback.ToString());
  }
  return status;
}

void SqliteStore::RecordCommit(size_t batches, size_t records, int64_t latency_us) {
  std::lock_guard<std::mutex> lock(stats_mu_);
  ++stats_.commits;
  stats_.records += static_cast<int64_t>(records);
  stats_.batches += static_cast<int64_t>(batches);
  ++stats_.group_size_buckets[BucketOf(kGroupSizeBounds, static_cast<int64_t>(batches))];
  ++stats_.latency_us_buckets[BucketOf(kLatencyBoundsUs, latency_us)];
  stats_.latency_us_sum += latency_us;
}

absl::StatusOr<std::string> SqliteStore::WriterPragma(std::string_view name) {
  if (!IsPragmaName(name)) {
    return absl::InvalidArgumentError(absl::StrCat("not a pragma name: ", std::string(name)));
  }
  std::lock_guard<std::mutex> lock(writer_conn_mu_);
  return writer_->QueryText(absl::StrCat("PRAGMA ", std::string(name)));
}

}  // namespace shequ::store
