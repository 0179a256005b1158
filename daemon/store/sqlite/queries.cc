// Reads: a pool of read-only connections, each with its own statement cache, so a read never
// waits for the writer and sees the last committed transaction.

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "daemon/core/status.h"
#include "daemon/store/sqlite/connection.h"
#include "daemon/store/sqlite/migrations.h"
#include "daemon/store/sqlite/sqlite_store.h"

namespace shequ::store {
namespace {

using sqlite_internal::Connection;
using sqlite_internal::ModuleTable;
using sqlite_internal::Statement;

// ---- Rows ----

constexpr char kDefinitionCols[] = "id, version, name, digest, yaml, deployed_at_ms";
DefinitionRow ReadDefinition(const Statement& s) {
  return DefinitionRow{s.Text(0), static_cast<int32_t>(s.Int(1)), s.Text(2), s.Text(3), s.Text(4),
                       s.Int(5)};
}

constexpr char kInstanceCols[] =
    "id, definition_id, version, business_key, unit, state, parent_id, created_at_ms, "
    "updated_at_ms, body";
InstanceRow ReadInstance(const Statement& s) {
  return InstanceRow{s.Int(0),  s.Text(1), static_cast<int32_t>(s.Int(2)),
                     s.Text(3), s.Text(4), s.Text(5),
                     s.Int(6),  s.Int(7),  s.Int(8),
                     s.Text(9)};
}

constexpr char kTaskCols[] =
    "id, instance_id, state, role, unit, assignee, due_at_ms, created_at_ms, body";
TaskRow ReadTask(const Statement& s) {
  return TaskRow{s.Int(0),  s.Int(1), s.Text(2), s.Text(3), s.Text(4),
                 s.Text(5), s.Int(6), s.Int(7),  s.Text(8)};
}

constexpr char kJobCols[] = "id, instance_id, type, state, due_at_ms, body";
JobRow ReadJob(const Statement& s) {
  return JobRow{s.Int(0), s.Int(1), s.Text(2), s.Text(3), s.Int(4), s.Text(5)};
}

constexpr char kTimerCols[] = "id, due_at_ms, instance_id, kind, ref_id, body";
TimerRow ReadTimer(const Statement& s) {
  return TimerRow{s.Int(0), s.Int(1), s.Int(2), s.Text(3), s.Int(4), s.Text(5)};
}

constexpr char kMessageCols[] = "id, name, correlation, expires_at_ms, body";
MessageRow ReadMessage(const Statement& s) {
  return MessageRow{s.Int(0), s.Text(1), s.Text(2), s.Int(3), s.Text(4)};
}

constexpr char kSubscriptionCols[] = "instance_id, token_id, name, correlation";
SubscriptionRow ReadSubscription(const Statement& s) {
  return SubscriptionRow{s.Int(0), s.Text(1), s.Text(2), s.Text(3)};
}

constexpr char kIncidentCols[] = "id, instance_id, state, created_at_ms, body";
IncidentRow ReadIncident(const Statement& s) {
  return IncidentRow{s.Int(0), s.Int(1), s.Text(2), s.Int(3), s.Text(4)};
}

constexpr char kNotificationCols[] = "id, recipient, role, unit, acked, created_at_ms, body";
NotificationRow ReadNotification(const Statement& s) {
  return NotificationRow{s.Int(0),      s.Text(1), s.Text(2), s.Text(3),
                         s.Int(4) != 0, s.Int(5),  s.Text(6)};
}

constexpr char kEventCols[] = "seq, instance_id, type, at_ms, body, subject, unit";
EventRow ReadEvent(const Statement& s) {
  return EventRow{s.Int(0), s.Int(1), s.Text(2), s.Int(3), s.Text(4), s.Text(5), s.Text(6)};
}

// Conjunction of conditions with positional parameters.
struct Where {
  std::string sql;
  std::vector<std::variant<int64_t, std::string>> params;

  void Add(absl::string_view condition) {
    absl::StrAppend(&sql, sql.empty() ? "" : " AND ", condition);
  }
  template <typename T>
  void Add(absl::string_view condition, T param) {
    Add(condition);
    params.emplace_back(std::move(param));
  }
};

// "?, ?, ..." for an IN list, one per value, each appended to `params`.
std::string Placeholders(const std::vector<std::string>& values,
                         std::vector<std::variant<int64_t, std::string>>& params) {
  std::string marks;
  for (const std::string& v : values) {
    absl::StrAppend(&marks, marks.empty() ? "?" : ", ?");
    params.emplace_back(v);
  }
  return marks;
}

// The smallest string above every string that starts with `prefix`, or "" if there is none
// (the prefix is all 0xff bytes): the exclusive upper bound of a prefix scan.
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) {
    prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  }
  return prefix;
}

}  // namespace

// Borrows a reader connection for the current scope; nested leases on one thread share one.
class SqliteStore::ReaderLease {
 public:
  explicit ReaderLease(SqliteStore* store) : store_(store) {
    const std::thread::id self = std::this_thread::get_id();
    std::unique_lock<std::mutex> lock(store_->pool_mu_);
    auto it = store_->held_.find(self);
    if (it != store_->held_.end()) {
      conn_ = it->second.first;
      ++it->second.second;
      return;
    }
    store_->pool_cv_.wait(lock, [&] { return !store_->free_readers_.empty(); });
    conn_ = store_->free_readers_.back();
    store_->free_readers_.pop_back();
    store_->held_.emplace(self, std::make_pair(conn_, 1));
  }
  ~ReaderLease() {
    std::lock_guard<std::mutex> lock(store_->pool_mu_);
    auto it = store_->held_.find(std::this_thread::get_id());
    if (--it->second.second > 0) return;
    store_->held_.erase(it);
    store_->free_readers_.push_back(conn_);
    store_->pool_cv_.notify_one();
  }
  ReaderLease(const ReaderLease&) = delete;
  ReaderLease& operator=(const ReaderLease&) = delete;

  Connection& conn() { return *conn_; }

 private:
  SqliteStore* store_;
  Connection* conn_ = nullptr;
};

absl::Status SqliteStore::Read(std::string_view what, std::string_view sql,
                               const std::vector<Param>& params, const RowFn& on_row) {
  ReaderLease lease(this);
  absl::Status status = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement st, lease.conn().Prepare(sql));
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      if (const auto* v = std::get_if<int64_t>(&params[i])) {
        st.Bind(index, *v);
      } else {
        st.Bind(index, std::get<std::string>(params[i]));
      }
    }
    while (true) {
      ASSIGN_OR_RETURN(bool row, st.Next());
      if (!row) return absl::OkStatus();
      on_row(st);
    }
  }();
  if (!status.ok()) log_->error("{}: {}", what, status.ToString());
  return status;
}

namespace {

// SELECT <cols> FROM <table> [WHERE <where>] ORDER BY <order>
std::string Select(absl::string_view cols, absl::string_view table, const Where& where,
                   absl::string_view order) {
  return absl::StrCat("SELECT ", cols, " FROM ", table,
                      where.sql.empty() ? "" : absl::StrCat(" WHERE ", where.sql), " ORDER BY ",
                      order);
}

std::string ById(absl::string_view cols, absl::string_view table) {
  return absl::StrCat("SELECT ", cols, " FROM ", table, " WHERE id = ?");
}

// Keyset page: id > after_id ORDER BY id LIMIT limit.
std::string Paged(absl::string_view cols, absl::string_view table, Where& w, const Page& p) {
  w.Add("id > ?", p.after_id);
  w.params.emplace_back(int64_t{p.limit});
  return absl::StrCat(Select(cols, table, w, "id"), " LIMIT ?");
}

}  // namespace

absl::StatusOr<std::vector<DefinitionRow>> SqliteStore::LoadDefinitions() {
  std::vector<DefinitionRow> rows;
  RETURN_IF_ERROR(Read("LoadDefinitions", Select(kDefinitionCols, "definitions", {}, "id, version"),
                       {}, [&](Statement& s) { rows.push_back(ReadDefinition(s)); }));
  return rows;
}

absl::StatusOr<std::vector<DefinitionRow>> SqliteStore::LoadLiveDefinitions() {
  // The keys are chosen first and only their rows read: a version neither latest nor run by an
  // active instance costs an index probe, never a read of its text. The EXISTS probes use
  // instances_active_by_definition, so the cost follows the versions, not the instances.
  static const std::string kSql = absl::StrCat(
      "SELECT ", kDefinitionCols, " FROM definitions WHERE (id, version) IN ("
      "SELECT id, MAX(version) FROM definitions GROUP BY id "
      "UNION SELECT d.id, d.version FROM definitions d WHERE EXISTS (SELECT 1 FROM instances i "
      "WHERE i.state = 'active' AND i.definition_id = d.id AND i.version = d.version)) "
      "ORDER BY id, version");
  std::vector<DefinitionRow> rows;
  RETURN_IF_ERROR(Read("LoadLiveDefinitions", kSql, {},
                       [&](Statement& s) { rows.push_back(ReadDefinition(s)); }));
  return rows;
}

absl::StatusOr<std::optional<DefinitionRow>> SqliteStore::GetDefinition(const std::string& id,
                                                                        int32_t version) {
  static const std::string kSql = absl::StrCat("SELECT ", kDefinitionCols,
                                               " FROM definitions WHERE id = ? AND version = ?");
  std::optional<DefinitionRow> row;
  RETURN_IF_ERROR(Read("GetDefinition", kSql, {id, int64_t{version}},
                       [&](Statement& s) { row = ReadDefinition(s); }));
  return row;
}

absl::StatusOr<std::map<std::string, int64_t>> SqliteStore::LoadSequences() {
  std::map<std::string, int64_t> seqs;
  RETURN_IF_ERROR(Read("LoadSequences", "SELECT name, value FROM sequences", {},
                       [&](Statement& s) { seqs[s.Text(0)] = s.Int(1); }));
  return seqs;
}

absl::StatusOr<std::map<std::string, int64_t>> SqliteStore::HighestIds() {
  // MAX of an INTEGER PRIMARY KEY reads the last row of the table's b-tree, but only NOT
  // INDEXED: otherwise SQLite 3.40 walks a whole covering index instead (instances_by_state,
  // 130 ms at 1.5 M instances, and growing with them: restart_bench).
  constexpr char kSql[] =
      "SELECT (SELECT MAX(seq) FROM events NOT INDEXED), "
      "(SELECT MAX(id) FROM incidents NOT INDEXED), (SELECT MAX(id) FROM instances NOT INDEXED), "
      "(SELECT MAX(id) FROM notifications NOT INDEXED), (SELECT MAX(id) FROM tasks NOT INDEXED)";
  std::map<std::string, int64_t> ids;
  RETURN_IF_ERROR(Read("HighestIds", kSql, {}, [&](Statement& s) {
    for (size_t i = 0; i < kIdsRecoveredFromRows.size(); ++i) {
      if (!s.IsNull(static_cast<int>(i))) {
        ids[std::string(kIdsRecoveredFromRows[i])] = s.Int(static_cast<int>(i));
      }
    }
  }));
  return ids;
}

absl::Status SqliteStore::ForEachTimer(const std::function<void(const TimerRow&)>& fn) {
  // Streams straight from the cursor: no vector of every timer.
  return Read("ForEachTimer", Select(kTimerCols, "timers", {}, "due_at_ms, id"), {},
              [&](Statement& s) { fn(ReadTimer(s)); });
}

absl::Status SqliteStore::ForEachJob(const std::string& state,
                                     const std::function<void(const JobRow&)>& fn) {
  Where w;
  if (!state.empty()) w.Add("state = ?", state);
  return Read("ForEachJob", Select(kJobCols, "jobs", w, "id"), w.params,
              [&](Statement& s) { fn(ReadJob(s)); });
}

absl::StatusOr<std::vector<MessageRow>> SqliteStore::LoadMessages() {
  std::vector<MessageRow> rows;
  RETURN_IF_ERROR(Read("LoadMessages", Select(kMessageCols, "messages", {}, "id"), {},
                       [&](Statement& s) { rows.push_back(ReadMessage(s)); }));
  return rows;
}

absl::StatusOr<std::vector<SubscriptionRow>> SqliteStore::LoadSubscriptions() {
  std::vector<SubscriptionRow> rows;
  RETURN_IF_ERROR(Read("LoadSubscriptions",
                       Select(kSubscriptionCols, "subscriptions", {}, "instance_id, token_id"), {},
                       [&](Statement& s) { rows.push_back(ReadSubscription(s)); }));
  return rows;
}

absl::StatusOr<std::optional<InstanceRow>> SqliteStore::GetInstance(int64_t id) {
  std::optional<InstanceRow> row;
  RETURN_IF_ERROR(Read("GetInstance", ById(kInstanceCols, "instances"), {id},
                       [&](Statement& s) { row = ReadInstance(s); }));
  return row;
}

absl::StatusOr<std::optional<TaskRow>> SqliteStore::GetTask(int64_t id) {
  std::optional<TaskRow> row;
  RETURN_IF_ERROR(
      Read("GetTask", ById(kTaskCols, "tasks"), {id}, [&](Statement& s) { row = ReadTask(s); }));
  return row;
}

absl::StatusOr<std::optional<JobRow>> SqliteStore::GetJob(int64_t id) {
  std::optional<JobRow> row;
  RETURN_IF_ERROR(
      Read("GetJob", ById(kJobCols, "jobs"), {id}, [&](Statement& s) { row = ReadJob(s); }));
  return row;
}

absl::StatusOr<std::optional<TimerRow>> SqliteStore::GetTimer(int64_t id) {
  std::optional<TimerRow> row;
  RETURN_IF_ERROR(Read("GetTimer", ById(kTimerCols, "timers"), {id},
                       [&](Statement& s) { row = ReadTimer(s); }));
  return row;
}

absl::StatusOr<std::optional<IncidentRow>> SqliteStore::GetIncident(int64_t id) {
  std::optional<IncidentRow> row;
  RETURN_IF_ERROR(Read("GetIncident", ById(kIncidentCols, "incidents"), {id},
                       [&](Statement& s) { row = ReadIncident(s); }));
  return row;
}

absl::StatusOr<std::optional<NotificationRow>> SqliteStore::GetNotification(int64_t id) {
  std::optional<NotificationRow> row;
  RETURN_IF_ERROR(Read("GetNotification", ById(kNotificationCols, "notifications"), {id},
                       [&](Statement& s) { row = ReadNotification(s); }));
  return row;
}

absl::StatusOr<std::optional<RequestRow>> SqliteStore::GetRequest(const std::string& request_id) {
  constexpr char kSql[] = "SELECT request_id, reply, at_ms FROM requests WHERE request_id = ?";
  std::optional<RequestRow> row;
  RETURN_IF_ERROR(Read("GetRequest", kSql, {request_id}, [&](Statement& s) {
    row = RequestRow{s.Text(0), s.Blob(1), s.Int(2)};
  }));
  return row;
}

absl::StatusOr<std::vector<InstanceRow>> SqliteStore::ListInstances(const InstanceFilter& f,
                                                                    const Page& p) {
  std::vector<InstanceRow> rows;
  if (p.limit <= 0) return rows;
  Where w;
  if (!f.definition_id.empty()) w.Add("definition_id = ?", f.definition_id);
  if (!f.state.empty()) w.Add("state = ?", f.state);
  // The second condition of each pair names the partial index's condition (migration 3).
  if (!f.business_key.empty()) w.Add("business_key = ? AND business_key != ''", f.business_key);
  if (!f.unit.empty()) w.Add("unit = ? AND unit != ''", f.unit);
  if (f.parent_id != 0) w.Add("parent_id = ? AND parent_id != 0", f.parent_id);
  const std::string sql = Paged(kInstanceCols, "instances", w, p);
  RETURN_IF_ERROR(
      Read("ListInstances", sql, w.params, [&](Statement& s) { rows.push_back(ReadInstance(s)); }));
  return rows;
}

absl::StatusOr<std::vector<TaskRow>> SqliteStore::ListTasks(const TaskFilter& f, const Page& p) {
  std::vector<TaskRow> rows;
  if (p.limit <= 0) return rows;
  Where w;
  if (!f.role.empty()) w.Add("role = ? AND role != ''", f.role);
  if (!f.assignee.empty()) w.Add("assignee = ? AND assignee != ''", f.assignee);
  if (!f.units.empty()) {
    w.Add(absl::StrCat("unit IN (", Placeholders(f.units, w.params), ") AND unit != ''"));
  }
  if (f.state.empty()) {
    w.Add("state IN ('open', 'claimed', 'delegated')");
  } else {
    w.Add("state = ?", f.state);
  }
  if (f.instance_id != 0) w.Add("instance_id = ?", f.instance_id);
  const std::string sql = Paged(kTaskCols, "tasks", w, p);
  RETURN_IF_ERROR(
      Read("ListTasks", sql, w.params, [&](Statement& s) { rows.push_back(ReadTask(s)); }));
  return rows;
}

absl::StatusOr<std::vector<IncidentRow>> SqliteStore::ListIncidents(const IncidentFilter& f,
                                                                    const Page& p) {
  std::vector<IncidentRow> rows;
  if (p.limit <= 0) return rows;
  Where w;
  w.Add("state = ?", f.state.empty() ? std::string("open") : f.state);
  if (f.instance_id != 0) w.Add("instance_id = ?", f.instance_id);
  const std::string sql = Paged(kIncidentCols, "incidents", w, p);
  RETURN_IF_ERROR(
      Read("ListIncidents", sql, w.params, [&](Statement& s) { rows.push_back(ReadIncident(s)); }));
  return rows;
}

absl::StatusOr<std::vector<NotificationRow>> SqliteStore::ListNotifications(
    const NotificationFilter& f, const Page& p) {
  std::vector<NotificationRow> rows;
  if (p.limit <= 0) return rows;
  Where w;
  std::string audience;
  std::vector<Param> audience_params;
  if (!f.recipient.empty()) {
    audience = "(recipient = ? AND recipient != '')";
    audience_params.emplace_back(f.recipient);
  }
  if (!f.roles.empty()) {
    absl::StrAppend(&audience, audience.empty() ? "" : " OR ", "(role IN (",
                    Placeholders(f.roles, audience_params), ") AND role != ''");
    if (!f.units.empty()) {
      absl::StrAppend(&audience, " AND (unit = '' OR unit IN (",
                      Placeholders(f.units, audience_params), "))");
    }
    absl::StrAppend(&audience, ")");
  }
  if (!audience.empty()) {
    w.Add(absl::StrCat("(", audience, ")"));
    for (Param& param : audience_params) w.params.push_back(std::move(param));
  }
  if (!f.include_acked) w.Add("acked = 0");
  const std::string sql = Paged(kNotificationCols, "notifications", w, p);
  RETURN_IF_ERROR(Read("ListNotifications", sql, w.params,
                       [&](Statement& s) { rows.push_back(ReadNotification(s)); }));
  return rows;
}

absl::StatusOr<std::vector<EventRow>> SqliteStore::History(int64_t instance_id, int64_t after_seq,
                                                           int limit) {
  std::vector<EventRow> rows;
  if (limit <= 0) return rows;
  Where w;
  if (instance_id != 0) w.Add("instance_id = ?", instance_id);
  w.Add("seq > ?", after_seq);
  w.params.emplace_back(int64_t{limit});
  const std::string sql = absl::StrCat(Select(kEventCols, "events", w, "seq"), " LIMIT ?");
  RETURN_IF_ERROR(
      Read("History", sql, w.params, [&](Statement& s) { rows.push_back(ReadEvent(s)); }));
  return rows;
}

absl::StatusOr<std::vector<EventRow>> SqliteStore::SubjectHistory(const std::string& subject,
                                                                  const std::string& unit,
                                                                  int64_t after_seq, int limit) {
  std::vector<EventRow> rows;
  if (limit <= 0 || (subject.empty() && unit.empty())) return rows;
  Where w;
  if (!subject.empty()) {
    w.Add("subject = ?", subject);
  } else {
    w.Add("unit = ?", unit);
  }
  w.Add("seq > ?", after_seq);
  w.params.emplace_back(int64_t{limit});
  const std::string sql = absl::StrCat(Select(kEventCols, "events", w, "seq"), " LIMIT ?");
  RETURN_IF_ERROR(
      Read("SubjectHistory", sql, w.params, [&](Statement& s) { rows.push_back(ReadEvent(s)); }));
  return rows;
}

absl::StatusOr<Counts> SqliteStore::Count() {
  // One statement, so one snapshot; every count is answered from an index.
  constexpr char kSql[] =
      "SELECT (SELECT COUNT(*) FROM instances WHERE state = 'active'), "
      "(SELECT COUNT(*) FROM tasks WHERE state IN ('open', 'claimed', 'delegated')), "
      "(SELECT COUNT(*) FROM jobs WHERE state IN ('activatable', 'active')), "
      "(SELECT COUNT(*) FROM timers), "
      "(SELECT COUNT(*) FROM incidents WHERE state = 'open'), "
      "(SELECT COUNT(*) FROM notifications WHERE acked = 0)";
  Counts counts;
  RETURN_IF_ERROR(Read("Count", kSql, {}, [&](Statement& s) {
    counts = Counts{s.Int(0), s.Int(1), s.Int(2), s.Int(3), s.Int(4), s.Int(5)};
  }));
  return counts;
}

absl::StatusOr<std::optional<Record>> SqliteStore::GetRecord(const std::string& table,
                                                             const std::string& key) {
  ASSIGN_OR_RETURN(std::shared_ptr<const ModuleTable> t, FindTable(table));
  std::optional<Record> record;
  RETURN_IF_ERROR(Read("GetRecord", t->get, {key}, [&](Statement& s) {
    record = Record{s.Text(0), s.Text(1)};
  }));
  return record;
}

absl::StatusOr<std::vector<Record>> SqliteStore::ScanRecords(const RecordScan& scan) {
  ASSIGN_OR_RETURN(std::shared_ptr<const ModuleTable> t, FindTable(scan.table));
  if (scan.limit <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("scan of ", scan.table, ": limit must be positive, got ", scan.limit));
  }
  std::vector<Param> params;
  size_t column = 0;
  if (!scan.column.empty()) {
    auto it = std::find(t->columns.begin(), t->columns.end(), scan.column);
    if (it == t->columns.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("scan of ", scan.table, ": column '", scan.column, "' is not declared"));
    }
    column = static_cast<size_t>(it - t->columns.begin()) + 1;
    params.emplace_back(scan.value);
  }
  // One lower bound: the greater of `key > after_key` and `key >= key_prefix`.
  int lower = 0;
  if (!scan.after_key.empty() && scan.after_key >= scan.key_prefix) {
    lower = 1;
    params.emplace_back(scan.after_key);
  } else if (!scan.key_prefix.empty()) {
    lower = 2;
    params.emplace_back(scan.key_prefix);
  }
  int upper = 0;
  if (!scan.key_prefix.empty()) {
    std::string end = PrefixEnd(scan.key_prefix);
    if (!end.empty()) {
      upper = 1;
      params.emplace_back(std::move(end));
    }
  }
  params.emplace_back(int64_t{scan.limit});
  std::vector<Record> records;
  RETURN_IF_ERROR(Read("ScanRecords", t->scans[column][lower][upper], params, [&](Statement& s) {
    records.push_back(Record{s.Text(0), s.Text(1)});
  }));
  return records;
}

}  // namespace shequ::store
