#pragma once

// The Store: durable state of the daemon.
//
// Writes come only from the engine strand, as WriteBatches handed to Commit(). A backend
// commits batches in order, may group several queued batches into one transaction (one fsync),
// and calls each batch's `done` after the transaction is durable. After a failed commit the
// store is broken for good ("sticky"): every later Commit() fails with UNAVAILABLE and Health()
// reports the first error, so nothing is acknowledged that was not written.
//
// Reads may come from any thread and see the last committed state. Each row type keeps the
// columns that are filtered or indexed; everything else lives in `body`, a JSON text owned by
// the engine's model (daemon/engine/model.h).
//
// Domain modules do not add row types here: they keep their own records in tables they declare
// (records.h, AttachModule), written through WriteBatch::records in the same transaction as the
// engine rows.
//
// A Commit() whose batch is malformed (records naming an undeclared table, a wrong number of
// column values, an empty key) is refused at once with INVALID_ARGUMENT, before anything is
// queued; that is the caller's bug, not a storage failure, and does not break the store.

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/store/records.h"

namespace shequ::store {

// Sequences (WriteBatch::sequences) of rows that are never deleted: HighestIds() recovers
// them from the rows, so writing them with every batch is unnecessary.
inline constexpr std::array<std::string_view, 5> kIdsRecoveredFromRows = {
    "event", "incident", "instance", "notification", "task"};

struct DefinitionRow {
  std::string id;
  int32_t version = 0;
  std::string name;
  std::string digest;  // SHA-256 hex of yaml
  std::string yaml;
  int64_t deployed_at_ms = 0;
};

struct InstanceRow {
  int64_t id = 0;
  std::string definition_id;
  int32_t version = 0;
  std::string business_key;
  std::string unit;
  std::string state;  // active, completed, cancelled, failed
  int64_t parent_id = 0;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::string body;
};

struct TaskRow {
  int64_t id = 0;
  int64_t instance_id = 0;
  std::string state;  // open, claimed, delegated, completed, cancelled
  std::string role;
  std::string unit;
  std::string assignee;
  int64_t due_at_ms = 0;
  int64_t created_at_ms = 0;
  std::string body;
};

struct JobRow {
  int64_t id = 0;
  int64_t instance_id = 0;
  std::string type;
  std::string state;  // activatable, active, failed (incident), completed
  int64_t due_at_ms = 0;  // activatable from (retry back-off), or lock deadline when active
  std::string body;
};

struct TimerRow {
  int64_t id = 0;
  int64_t due_at_ms = 0;
  int64_t instance_id = 0;
  std::string kind;
  int64_t ref_id = 0;  // the task, job, or token the timer belongs to
  std::string body;
};

struct MessageRow {
  int64_t id = 0;
  std::string name;
  std::string correlation;
  int64_t expires_at_ms = 0;
  std::string body;
};

struct SubscriptionRow {
  int64_t instance_id = 0;
  std::string token_id;
  std::string name;
  std::string correlation;
};

struct IncidentRow {
  int64_t id = 0;
  int64_t instance_id = 0;
  std::string state;  // open, resolved
  int64_t created_at_ms = 0;
  std::string body;
};

struct NotificationRow {
  int64_t id = 0;
  std::string recipient;
  std::string role;
  std::string unit;
  bool acked = false;
  int64_t created_at_ms = 0;
  std::string body;
};

struct EventRow {
  int64_t seq = 0;  // assigned by the engine, strictly increasing
  int64_t instance_id = 0;
  std::string type;
  int64_t at_ms = 0;
  std::string body;
  // A module's changes (instance_id 0) name what they changed ("<kind>:<id>") and its unit.
  std::string subject;
  std::string unit;
};

struct RequestRow {
  std::string request_id;
  std::string reply;  // the first answer, replayed on retries
  int64_t at_ms = 0;
};

// Everything one or more engine commands changed. Applied in one transaction, in field order;
// within a vector, later entries win.
struct WriteBatch {
  std::vector<DefinitionRow> definitions;        // insert
  std::vector<InstanceRow> instances;            // upsert by id
  std::vector<TaskRow> tasks;                    // upsert by id
  std::vector<JobRow> jobs;                      // upsert by id
  std::vector<int64_t> deleted_jobs;
  std::vector<TimerRow> timers;                  // upsert by id
  std::vector<int64_t> deleted_timers;
  std::vector<MessageRow> messages;              // upsert by id
  std::vector<int64_t> deleted_messages;
  std::vector<SubscriptionRow> subscriptions;    // upsert by (instance_id, token_id)
  std::vector<std::pair<int64_t, std::string>> deleted_subscriptions;
  std::vector<IncidentRow> incidents;            // upsert by id
  std::vector<NotificationRow> notifications;    // upsert by id
  std::vector<EventRow> events;                  // insert
  std::vector<RequestRow> requests;              // insert
  std::vector<RecordWrite> records;              // module records, applied in order,
                                                 // after the engine rows
  std::map<std::string, int64_t> sequences;      // id high-water marks, upsert by name
  int64_t forget_requests_before_ms = 0;          // delete requests with at_ms below; 0 = none

  bool empty() const;
  size_t size() const;  // number of records, for metrics
  void Append(WriteBatch&& other);
};

struct InstanceFilter {
  std::string definition_id, state, business_key, unit;
  int64_t parent_id = 0;
};
struct TaskFilter {
  std::string role, assignee;
  std::vector<std::string> units;  // the task's unit is one of these
  std::string state;               // "" = open, claimed or delegated
  int64_t instance_id = 0;
};
struct IncidentFilter {
  std::string state;  // "" = open
  int64_t instance_id = 0;
};
struct NotificationFilter {
  std::string recipient;           // matches recipient == this
  std::vector<std::string> roles;  // or role among these, and then, when `units` are set, the
  std::vector<std::string> units;  // notification's unit is one of them or none
  bool include_acked = false;
  // The audience part (recipient, roles, unit); the store's queries mean the same.
  bool Matches(const NotificationRow& n) const;
};
// Keyset paging: rows with id > after_id, ascending, at most limit.
struct Page {
  int64_t after_id = 0;
  int limit = 50;
};

struct Counts {
  int64_t instances_active = 0;
  int64_t tasks_open = 0;
  int64_t jobs_pending = 0;
  int64_t timers = 0;
  int64_t incidents_open = 0;
  int64_t notifications_unacked = 0;
};

// Commit statistics, for /metrics.
struct CommitStats {
  int64_t commits = 0;
  int64_t records = 0;
  int64_t batches = 0;  // WriteBatches, several per commit under load
  // Histogram buckets: batches per commit (1,2,4,..,512,+Inf) and latency in µs.
  std::vector<int64_t> group_size_buckets;
  std::vector<int64_t> latency_us_buckets;
  int64_t latency_us_sum = 0;
};

class Store {
 public:
  using Done = std::function<void(absl::Status)>;

  virtual ~Store() = default;

  // Queues `batch`; `done` runs on the writer thread once it is durable (or failed).
  virtual void Commit(WriteBatch batch, Done done) = 0;
  // What Commit refuses at once, without breaking the store: a batch naming an undeclared table
  // or the wrong columns (INVALID_ARGUMENT). Lets a caller refuse it before stamping it.
  virtual absl::Status CheckBatch(const WriteBatch& batch) const { return absl::OkStatus(); }
  // Blocks until everything queued so far has been committed or failed.
  virtual absl::Status Flush() = 0;
  // OK, or the sticky error that stopped writes.
  virtual absl::Status Health() const = 0;
  virtual CommitStats GetCommitStats() const = 0;

  // Reads of engine rows: a failed read returns the backend's error (UNAVAILABLE, INTERNAL,
  // ...), never an empty answer, so a caller cannot mistake a broken database for an empty one.
  virtual absl::StatusOr<std::vector<DefinitionRow>> LoadDefinitions() = 0;  // every version
  // What the engine keeps loaded from its start: the latest version of each definition and
  // every version an active instance runs, by id and version. Other versions stay on disk
  // until something asks for them (GetDefinition), so old versions cost no start-up time.
  virtual absl::StatusOr<std::vector<DefinitionRow>> LoadLiveDefinitions() = 0;
  // One stored version; nullopt when it was never deployed.
  virtual absl::StatusOr<std::optional<DefinitionRow>> GetDefinition(const std::string& id,
                                                                     int32_t version) = 0;
  virtual absl::StatusOr<std::map<std::string, int64_t>> LoadSequences() = 0;
  // The highest id stored of each kind whose rows are never deleted (kIdsRecoveredFromRows),
  // by sequence name; a kind with no rows is absent. The engine starts its sequences above
  // these, so batches need not carry those sequences.
  virtual absl::StatusOr<std::map<std::string, int64_t>> HighestIds() = 0;
  // Stream rows to `fn`; an error may come after some rows were passed.
  virtual absl::Status ForEachTimer(const std::function<void(const TimerRow&)>& fn) = 0;
  virtual absl::Status ForEachJob(const std::string& state,
                                  const std::function<void(const JobRow&)>& fn) = 0;
  virtual absl::StatusOr<std::vector<MessageRow>> LoadMessages() = 0;
  virtual absl::StatusOr<std::vector<SubscriptionRow>> LoadSubscriptions() = 0;

  virtual absl::StatusOr<std::optional<InstanceRow>> GetInstance(int64_t id) = 0;
  virtual absl::StatusOr<std::vector<InstanceRow>> ListInstances(const InstanceFilter& f,
                                                                 const Page& p) = 0;
  virtual absl::StatusOr<std::optional<TaskRow>> GetTask(int64_t id) = 0;
  virtual absl::StatusOr<std::vector<TaskRow>> ListTasks(const TaskFilter& f, const Page& p) = 0;
  virtual absl::StatusOr<std::optional<JobRow>> GetJob(int64_t id) = 0;
  virtual absl::StatusOr<std::optional<TimerRow>> GetTimer(int64_t id) = 0;
  virtual absl::StatusOr<std::optional<IncidentRow>> GetIncident(int64_t id) = 0;
  virtual absl::StatusOr<std::vector<IncidentRow>> ListIncidents(const IncidentFilter& f,
                                                                 const Page& p) = 0;
  virtual absl::StatusOr<std::optional<NotificationRow>> GetNotification(int64_t id) = 0;
  virtual absl::StatusOr<std::vector<NotificationRow>> ListNotifications(
      const NotificationFilter& f, const Page& p) = 0;
  // Events of one instance (all when instance_id == 0) with seq > after_seq, ascending.
  virtual absl::StatusOr<std::vector<EventRow>> History(int64_t instance_id, int64_t after_seq,
                                                        int limit) = 0;
  virtual absl::StatusOr<std::optional<RequestRow>> GetRequest(const std::string& request_id) = 0;
  // Module changes whose subject (or, when subject is empty, whose unit) is the one given,
  // with seq > after_seq, ascending.
  virtual absl::StatusOr<std::vector<EventRow>> SubjectHistory(const std::string& subject,
                                                               const std::string& unit,
                                                               int64_t after_seq, int limit) = 0;

  virtual absl::StatusOr<Counts> Count() = 0;

  // ---- Module records (records.h) ----

  // Applies the module's migrations not yet recorded for it (each in its own transaction,
  // recorded per module in the database) and checks every declared table: it exists with
  // key, body and the declared columns. Call after Open and before any Commit or read that
  // names its tables. Idempotent across restarts. A database holding a migration of the module
  // that `schema` does not list (written by newer code) is refused with FAILED_PRECONDITION.
  virtual absl::Status AttachModule(const ModuleSchema& schema) = 0;
  // A table no attached module declared: INVALID_ARGUMENT. A failed read: the backend's error
  // (UNAVAILABLE, INTERNAL, ...), never an empty answer.
  virtual absl::StatusOr<std::optional<Record>> GetRecord(const std::string& table,
                                                          const std::string& key) = 0;
  // One page of `scan` (at most scan.limit rows, which must be positive). An undeclared table
  // or column: INVALID_ARGUMENT.
  virtual absl::StatusOr<std::vector<Record>> ScanRecords(const RecordScan& scan) = 0;
};

// Every row `scan` selects, page by page, until `fn` fails or the rows run out.
absl::Status ForEachRecord(Store& store, RecordScan scan,
                           const std::function<absl::Status(Record&&)>& fn);

}  // namespace shequ::store
