#include "daemon/store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"

namespace shequ::store {
namespace sqlite_internal {
namespace {

constexpr int kBusyTimeoutMs = 5000;

const char* CodeName(int rc) {
  switch (rc) {
#define SHEQU_SQLITE_CODE(c) \
  case c:                    \
    return #c;
    SHEQU_SQLITE_CODE(SQLITE_OK)
    SHEQU_SQLITE_CODE(SQLITE_ERROR)
    SHEQU_SQLITE_CODE(SQLITE_INTERNAL)
    SHEQU_SQLITE_CODE(SQLITE_PERM)
    SHEQU_SQLITE_CODE(SQLITE_ABORT)
    SHEQU_SQLITE_CODE(SQLITE_BUSY)
    SHEQU_SQLITE_CODE(SQLITE_LOCKED)
    SHEQU_SQLITE_CODE(SQLITE_NOMEM)
    SHEQU_SQLITE_CODE(SQLITE_READONLY)
    SHEQU_SQLITE_CODE(SQLITE_INTERRUPT)
    SHEQU_SQLITE_CODE(SQLITE_IOERR)
    SHEQU_SQLITE_CODE(SQLITE_CORRUPT)
    SHEQU_SQLITE_CODE(SQLITE_NOTFOUND)
    SHEQU_SQLITE_CODE(SQLITE_FULL)
    SHEQU_SQLITE_CODE(SQLITE_CANTOPEN)
    SHEQU_SQLITE_CODE(SQLITE_PROTOCOL)
    SHEQU_SQLITE_CODE(SQLITE_SCHEMA)
    SHEQU_SQLITE_CODE(SQLITE_TOOBIG)
    SHEQU_SQLITE_CODE(SQLITE_CONSTRAINT)
    SHEQU_SQLITE_CODE(SQLITE_MISMATCH)
    SHEQU_SQLITE_CODE(SQLITE_MISUSE)
    SHEQU_SQLITE_CODE(SQLITE_NOLFS)
    SHEQU_SQLITE_CODE(SQLITE_AUTH)
    SHEQU_SQLITE_CODE(SQLITE_RANGE)
    SHEQU_SQLITE_CODE(SQLITE_NOTADB)
    SHEQU_SQLITE_CODE(SQLITE_ERROR_MISSING_COLLSEQ)
    SHEQU_SQLITE_CODE(SQLITE_ERROR_RETRY)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_READ)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_SHORT_READ)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_WRITE)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_FSYNC)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_DIR_FSYNC)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_TRUNCATE)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_FSTAT)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_UNLOCK)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_RDLOCK)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_DELETE)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_NOMEM)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_ACCESS)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_LOCK)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_CLOSE)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_SHMOPEN)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_SHMSIZE)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_SHMMAP)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_SEEK)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_MMAP)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_GETTEMPPATH)
    SHEQU_SQLITE_CODE(SQLITE_IOERR_CORRUPTFS)
    SHEQU_SQLITE_CODE(SQLITE_LOCKED_SHAREDCACHE)
    SHEQU_SQLITE_CODE(SQLITE_BUSY_RECOVERY)
    SHEQU_SQLITE_CODE(SQLITE_BUSY_SNAPSHOT)
    SHEQU_SQLITE_CODE(SQLITE_BUSY_TIMEOUT)
    SHEQU_SQLITE_CODE(SQLITE_CANTOPEN_ISDIR)
    SHEQU_SQLITE_CODE(SQLITE_CANTOPEN_FULLPATH)
    SHEQU_SQLITE_CODE(SQLITE_CORRUPT_INDEX)
    SHEQU_SQLITE_CODE(SQLITE_READONLY_RECOVERY)
    SHEQU_SQLITE_CODE(SQLITE_READONLY_CANTLOCK)
    SHEQU_SQLITE_CODE(SQLITE_READONLY_ROLLBACK)
    SHEQU_SQLITE_CODE(SQLITE_READONLY_DBMOVED)
    SHEQU_SQLITE_CODE(SQLITE_READONLY_CANTINIT)
    SHEQU_SQLITE_CODE(SQLITE_READONLY_DIRECTORY)
    SHEQU_SQLITE_CODE(SQLITE_CONSTRAINT_CHECK)
    SHEQU_SQLITE_CODE(SQLITE_CONSTRAINT_FOREIGNKEY)
    SHEQU_SQLITE_CODE(SQLITE_CONSTRAINT_NOTNULL)
    SHEQU_SQLITE_CODE(SQLITE_CONSTRAINT_PRIMARYKEY)
    SHEQU_SQLITE_CODE(SQLITE_CONSTRAINT_UNIQUE)
    SHEQU_SQLITE_CODE(SQLITE_CONSTRAINT_ROWID)
    SHEQU_SQLITE_CODE(SQLITE_CONSTRAINT_DATATYPE)
#undef SHEQU_SQLITE_CODE
    default:
      return nullptr;
  }
}

absl::StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return absl::StatusCode::kUnavailable;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_TOOBIG:
      return absl::StatusCode::kResourceExhausted;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
      return absl::StatusCode::kDataLoss;
    case SQLITE_CONSTRAINT:
      return rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE
                 ? absl::StatusCode::kAlreadyExists
                 : absl::StatusCode::kFailedPrecondition;
    case SQLITE_NOTFOUND:
      return absl::StatusCode::kNotFound;
    case SQLITE_ABORT:
    case SQLITE_INTERRUPT:
      return absl::StatusCode::kAborted;
    case SQLITE_AUTH:
      return absl::StatusCode::kPermissionDenied;
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
      return absl::StatusCode::kInvalidArgument;
    default:
      return absl::StatusCode::kInternal;
  }
}

// "<context>: <sqlite message> [SQLITE_FULL]"; the name falls back to the primary code.
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view context) {
  const char* name = CodeName(rc);
  std::string code = name != nullptr ? name : absl::StrCat(CodeName(rc & 0xff), "/", rc);
  // sqlite3_errmsg describes the last call on `db`, which is the failing one here.
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return absl::Status(CodeFor(rc), absl::StrCat(context, ": ", msg, " [", code, "]"));
}

// Statements are named in errors by their first words.
std::string Abbrev(const char* sql) {
  std::string s = sql != nullptr ? sql : "";
  std::replace(s.begin(), s.end(), '\n', ' ');
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

}  // namespace

// A prepared statement borrowed from a Connection's cache (reset and released for reuse when
// this goes away) or, if the cached one is in use further up the stack, a private one.
class Statement {
 public:
  Statement(sqlite3_stmt* stmt, bool* in_use) : stmt_(stmt), in_use_(in_use) {}
  Statement(Statement&& o) noexcept
      : stmt_(std::exchange(o.stmt_, nullptr)), in_use_(o.in_use_), bind_rc_(o.bind_rc_) {}
  Statement& operator=(Statement&&) = delete;
  ~Statement() {
    if (stmt_ == nullptr) return;
    if (in_use_ == nullptr) {
      sqlite3_finalize(stmt_);
      return;
    }
    Reset();
    *in_use_ = false;
  }

  void Bind(int i, int64_t v) { Note(sqlite3_bind_int64(stmt_, i, v)); }
  void Bind(int i, std::string_view v) {
    // A null pointer would bind NULL; columns are NOT NULL, so bind "" instead.
    Note(sqlite3_bind_text(stmt_, i, v.data() != nullptr ? v.data() : "",
                           static_cast<int>(v.size()), SQLITE_STATIC));
  }
  void BindBlob(int i, std::string_view v) {
    Note(sqlite3_bind_blob(stmt_, i, v.data() != nullptr ? v.data() : "",
                           static_cast<int>(v.size()), SQLITE_STATIC));
  }
  // Binds the arguments to ?1, ?2, ... in order.
  template <typename... Args>
  void BindAll(const Args&... args) {
    int i = 0;
    (Bind(++i, args), ...);
  }

  // true: a row is ready; false: done.
  absl::StatusOr<bool> Next() {
    if (bind_rc_ != SQLITE_OK) return Error(bind_rc_);
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Error(rc);
  }
  // Steps to completion, then resets the statement for the next use.
  absl::Status Run() {
    absl::Status status;
    while (true) {
      absl::StatusOr<bool> row = Next();
      if (!row.ok()) {
        status = row.status();
        break;
      }
      if (!*row) break;
    }
    Reset();
    return status;
  }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    bind_rc_ = SQLITE_OK;
  }

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p != nullptr ? std::string(reinterpret_cast<const char*>(p),
                                      static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
                        : std::string();
  }
  std::string Blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    return p != nullptr ? std::string(static_cast<const char*>(p),
                                      static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
                        : std::string();
  }

 private:
  void Note(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }
  absl::Status Error(int rc) const {
    return SqliteError(sqlite3_db_handle(stmt_), rc, Abbrev(sqlite3_sql(stmt_)));
  }

  sqlite3_stmt* stmt_;
  bool* in_use_;  // null: private statement, finalized here
  int bind_rc_ = SQLITE_OK;
};

// One sqlite3 handle and its prepared-statement cache. Used by one thread at a time.
class Connection {
 public:
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, int flags) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
      absl::Status status = SqliteError(db, rc, absl::StrCat("open ", path));
      sqlite3_close_v2(db);
      return status;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    return std::unique_ptr<Connection>(new Connection(db));
  }

  ~Connection() {
    for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
    sqlite3_close_v2(db_);
  }

  sqlite3* db() const { return db_; }

  // Runs one or more statements without caching them (setup, migrations).
  absl::Status Exec(const std::string& sql) {
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, Abbrev(sql.c_str()));
    return absl::OkStatus();
  }

  // First column of the first row as text ("" if no row), not cached.
  absl::StatusOr<std::string> QueryText(const std::string& sql) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, Abbrev(sql.c_str()));
    Statement stmt(raw, nullptr);
    ASSIGN_OR_RETURN(bool row, stmt.Next());
    return row ? stmt.Text(0) : std::string();
  }

  // Prepared once per connection and reused.
  absl::StatusOr<Statement> Prepare(std::string_view sql) {
    auto it = cache_.find(sql);  // by string_view: no copy of the SQL per statement run
    if (it != cache_.end() && !it->second.in_use) {
      it->second.in_use = true;
      return Statement(it->second.stmt, &it->second.in_use);
    }
    const bool cache = it == cache_.end();
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                cache ? SQLITE_PREPARE_PERSISTENT : 0, &raw, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, Abbrev(std::string(sql).c_str()));
    if (!cache) return Statement(raw, nullptr);  // nested use of a busy cached statement
    Cached& cached = cache_[std::string(sql)];
    cached.stmt = raw;
    cached.in_use = true;
    return Statement(raw, &cached.in_use);
  }

 private:
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };

  explicit Connection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };
  // Node-based: `in_use` pointers stay valid.
  std::unordered_map<std::string, Cached, SqlHash, std::equal_to<>> cache_;
};

}  // namespace sqlite_internal

namespace {

using sqlite_internal::Connection;
using sqlite_internal::Statement;

struct Migration {
  int version;
  const char* sql;
};

// Append only: never edit a migration that has shipped, add the next one.
// Single-column indexes are enough for the keyset filters: SQLite appends the rowid (= id) to
// every index of a rowid table, so "col = ? AND id > ? ORDER BY id" walks one index range.
constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE definitions (
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  digest TEXT NOT NULL,
  yaml TEXT NOT NULL,
  deployed_at_ms INTEGER NOT NULL,
  PRIMARY KEY (id, version)
) WITHOUT ROWID;

CREATE TABLE instances (
  id INTEGER PRIMARY KEY,
  definition_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  business_key TEXT NOT NULL,
  unit TEXT NOT NULL,
  state TEXT NOT NULL,
  parent_id INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX instances_by_definition ON instances (definition_id);
CREATE INDEX instances_by_state ON instances (state);
CREATE INDEX instances_by_business_key ON instances (business_key);
CREATE INDEX instances_by_unit ON instances (unit);
CREATE INDEX instances_by_parent ON instances (parent_id);

CREATE TABLE tasks (
  id INTEGER PRIMARY KEY,
  instance_id INTEGER NOT NULL,
  state TEXT NOT NULL,
  role TEXT NOT NULL,
  unit TEXT NOT NULL,
  assignee TEXT NOT NULL,
  due_at_ms INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX tasks_by_state ON tasks (state);
CREATE INDEX tasks_by_role ON tasks (role);
CREATE INDEX tasks_by_unit ON tasks (unit);
CREATE INDEX tasks_by_assignee ON tasks (assignee);
CREATE INDEX tasks_by_instance ON tasks (instance_id);

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  instance_id INTEGER NOT NULL,
  type TEXT NOT NULL,
  state TEXT NOT NULL,
  due_at_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX jobs_by_state ON jobs (state);

CREATE TABLE timers (
  id INTEGER PRIMARY KEY,
  due_at_ms INTEGER NOT NULL,
  instance_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  ref_id INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX timers_by_due ON timers (due_at_ms);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  correlation TEXT NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX messages_by_name ON messages (name, correlation);

CREATE TABLE subscriptions (
  instance_id INTEGER NOT NULL,
  token_id TEXT NOT NULL,
  name TEXT NOT NULL,
  correlation TEXT NOT NULL,
  PRIMARY KEY (instance_id, token_id)
) WITHOUT ROWID;
CREATE INDEX subscriptions_by_name ON subscriptions (name, correlation);

CREATE TABLE incidents (
  id INTEGER PRIMARY KEY,
  instance_id INTEGER NOT NULL,
  state TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX incidents_by_state ON incidents (state);
CREATE INDEX incidents_by_instance ON incidents (instance_id);

CREATE TABLE notifications (
  id INTEGER PRIMARY KEY,
  recipient TEXT NOT NULL,
  role TEXT NOT NULL,
  unit TEXT NOT NULL,
  acked INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX notifications_by_recipient ON notifications (recipient);
CREATE INDEX notifications_by_role ON notifications (role);
CREATE INDEX notifications_by_acked ON notifications (acked);

CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  instance_id INTEGER NOT NULL,
  type TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX events_by_instance ON events (instance_id, seq);

-- reply is a BLOB: it may be a serialized protobuf.
CREATE TABLE requests (
  request_id TEXT PRIMARY KEY,
  reply BLOB NOT NULL,
  at_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE sequences (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
)sql"},
    // The workforce registry, and registry changes in the event history.
    {2, R"sql(
CREATE TABLE units (
  id TEXT PRIMARY KEY,
  parent_id TEXT NOT NULL,
  body TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE quota_revisions (
  id INTEGER PRIMARY KEY,
  unit_id TEXT NOT NULL,
  body TEXT NOT NULL
);

CREATE TABLE workers (
  id INTEGER PRIMARY KEY,
  unit_id TEXT NOT NULL,
  status TEXT NOT NULL,
  body TEXT NOT NULL
);

ALTER TABLE events ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN unit TEXT NOT NULL DEFAULT '';
-- Partial: engine events (no subject, no unit) cost these indexes nothing.
CREATE INDEX events_by_subject ON events (subject, seq) WHERE subject != '';
CREATE INDEX events_by_unit ON events (unit, seq) WHERE unit != '';
)sql"},
    // Columns that are often empty are indexed only where they are not: a Start (instance,
    // task, notification) no longer inserts index entries for parent_id 0, a task without
    // assignee or unit, a notification for a role. Queries filtering on these columns repeat
    // the index's condition ("unit != ''") so SQLite can use the partial index.
    {3, R"sql(
DROP INDEX instances_by_business_key;
CREATE INDEX instances_by_business_key ON instances (business_key) WHERE business_key != '';
DROP INDEX instances_by_unit;
CREATE INDEX instances_by_unit ON instances (unit) WHERE unit != '';
DROP INDEX instances_by_parent;
CREATE INDEX instances_by_parent ON instances (parent_id) WHERE parent_id != 0;
DROP INDEX tasks_by_role;
CREATE INDEX tasks_by_role ON tasks (role) WHERE role != '';
DROP INDEX tasks_by_unit;
CREATE INDEX tasks_by_unit ON tasks (unit) WHERE unit != '';
DROP INDEX tasks_by_assignee;
CREATE INDEX tasks_by_assignee ON tasks (assignee) WHERE assignee != '';
DROP INDEX notifications_by_recipient;
CREATE INDEX notifications_by_recipient ON notifications (recipient) WHERE recipient != '';
DROP INDEX notifications_by_role;
CREATE INDEX notifications_by_role ON notifications (role) WHERE role != '';
)sql"},
    // Quota posts reserved by recruitment campaigns (issue 6).
    {4, R"sql(
CREATE TABLE quota_reservations (
  campaign_id TEXT NOT NULL,
  unit_id TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (campaign_id, unit_id)
) WITHOUT ROWID;
)sql"},
    // Recruitment campaigns, as the log of their accepted commands (issue 6).
    {5, R"sql(
CREATE TABLE campaign_log (
  campaign_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  command TEXT NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (campaign_id, seq)
) WITHOUT ROWID;
)sql"},
    // The migrations each domain module applied to its own tables (records.h, AttachModule).
    {6, R"sql(
CREATE TABLE module_migrations (
  module TEXT NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL,
  PRIMARY KEY (module, version)
) WITHOUT ROWID;
)sql"},
};

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The versions recorded in schema_migrations.
absl::StatusOr<std::set<int>> AppliedVersions(Connection& c) {
  RETURN_IF_ERROR(
      c.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
             "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"));
  ASSIGN_OR_RETURN(
      std::string text,
      c.QueryText("SELECT COALESCE(group_concat(version), '') FROM schema_migrations"));
  std::set<int> versions;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int version = 0;
    if (!absl::SimpleAtoi(part, &version)) {
      return absl::DataLossError(absl::StrCat("schema_migrations holds a bad version: ", part));
    }
    versions.insert(version);
  }
  return versions;
}

// Runs `body` in a BEGIN IMMEDIATE transaction, rolling back if it or the COMMIT fails.
template <typename Fn>
absl::Status InTransaction(Connection& c, Fn body) {
  RETURN_IF_ERROR(c.Exec("BEGIN IMMEDIATE"));
  absl::Status status = body();
  if (status.ok()) status = c.Exec("COMMIT");
  if (!status.ok() && sqlite3_get_autocommit(c.db()) == 0) c.Exec("ROLLBACK").IgnoreError();
  return status;
}

// Applies every known migration not recorded yet, in ascending order. By version, not "above
// the highest applied": migrations are numbered on parallel branches, so a database may hold 3
// but not 2 (written before 2 was merged); 2 then still runs.
absl::Status Migrate(Connection& c, const std::string& path, spdlog::logger& log) {
  std::set<int> applied;
  RETURN_IF_ERROR(InTransaction(c, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(applied, AppliedVersions(c));
    return absl::OkStatus();
  }));
  const int current = applied.empty() ? 0 : *applied.rbegin();
  const int latest = SqliteStore::SchemaVersion();
  if (current > latest) {
    return absl::FailedPreconditionError(
        absl::StrCat("database ", path, " has schema version ", current, ", newer than version ",
                     latest, " known to this shequd; run a newer shequd (or restore a backup)"));
  }
  for (const Migration& m : kMigrations) {
    if (applied.count(m.version)) continue;
    absl::Status status = InTransaction(c, [&]() -> absl::Status {
      RETURN_IF_ERROR(c.Exec(m.sql));
      ASSIGN_OR_RETURN(Statement st, c.Prepare("INSERT INTO schema_migrations (version, "
                                               "applied_at) VALUES (?1, ?2)"));
      st.BindAll(int64_t{m.version}, NowUnixMs());
      return st.Run();
    });
    if (!status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat("migration ", m.version, ": ", status.message()));
    }
    log.info("database {} migrated to schema version {}", path, m.version);
  }
  return absl::OkStatus();
}

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

constexpr char kUnitCols[] = "id, parent_id, body";
constexpr char kQuotaRevisionCols[] = "id, unit_id, body";
constexpr char kWorkerCols[] = "id, unit_id, status, body";

// ---- Writes ----

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
constexpr char kUpsertUnit[] =
    "INSERT INTO units (id, parent_id, body) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id, body = excluded.body";
constexpr char kUpsertQuotaRevision[] =
    "INSERT INTO quota_revisions (id, unit_id, body) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (id) DO UPDATE SET unit_id = excluded.unit_id, body = excluded.body";
constexpr char kUpsertReservation[] =
    "INSERT INTO quota_reservations (campaign_id, unit_id, body) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (campaign_id, unit_id) DO UPDATE SET body = excluded.body";
constexpr char kInsertCampaignCommand[] =
    "INSERT INTO campaign_log (campaign_id, seq, at_ms, command, body) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr char kUpsertWorker[] =
    "INSERT INTO workers (id, unit_id, status, body) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (id) DO UPDATE SET unit_id = excluded.unit_id, status = excluded.status, "
    "body = excluded.body";
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

// ---- Reads ----

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

// ---- Module records ----

// [a-z][a-z0-9_]*
bool IsIdentifier(std::string_view name) {
  return !name.empty() && name.front() >= 'a' && name.front() <= 'z' &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
         });
}

absl::Status ValidateSchema(const ModuleSchema& schema) {
  const std::string& m = schema.module;
  if (!IsIdentifier(m)) {
    return absl::InvalidArgumentError(
        absl::StrCat("module name '", m, "' is not of the form [a-z][a-z0-9_]*"));
  }
  const std::string prefix = m + "_";
  std::set<std::string> tables;
  for (const TableSpec& t : schema.tables) {
    if (!IsIdentifier(t.name) || !absl::StartsWith(t.name, prefix) || t.name == prefix) {
      return absl::InvalidArgumentError(absl::StrCat(
          "module ", m, ": table name '", t.name, "' is not of the form ", prefix, "[a-z0-9_]+"));
    }
    if (!tables.insert(t.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("module ", m, ": table ", t.name, " is declared twice"));
    }
    std::set<std::string> columns;
    for (const std::string& c : t.columns) {
      if (!IsIdentifier(c) || c == "key" || c == "body") {
        return absl::InvalidArgumentError(
            absl::StrCat("module ", m, ": table ", t.name, ": column name '", c,
                         "' is not of the form [a-z][a-z0-9_]* (nor key or body)"));
      }
      if (!columns.insert(c).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("module ", m, ": table ", t.name, ": column ", c, " is declared twice"));
      }
    }
  }
  int previous = 0;
  for (const SqlMigration& mig : schema.migrations) {
    if (mig.version <= previous) {
      return absl::InvalidArgumentError(absl::StrCat(
          "module ", m, ": migration ", mig.name, " has version ", mig.version,
          "; versions must be positive, unique and ascending (previous: ", previous, ")"));
    }
    previous = mig.version;
  }
  return absl::OkStatus();
}

// "a", "b", ... quoted, so a declared name that is also an SQL keyword ("order") still works.
std::string Quoted(const std::string& name) { return absl::StrCat("\"", name, "\""); }

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

namespace sqlite_internal {

// A declared table and its statements, built once at attach. Statements are prepared (and
// cached) per connection by Connection::Prepare, keyed by this SQL.
struct ModuleTable {
  std::string module;
  std::string name;
  std::vector<std::string> columns;
  std::string upsert, insert, remove, get;
  // scans[c][lower][upper]: c = 0 no column filter, c = i + 1 `columns[i] = ?`; lower: 0 none,
  // 1 `key > ?`, 2 `key >= ?`; upper: 0 none, 1 `key < ?`. Parameters in that order, then LIMIT.
  std::vector<std::array<std::array<std::string, 2>, 3>> scans;

  static std::shared_ptr<const ModuleTable> Build(const std::string& module, const TableSpec& t) {
    auto table = std::make_shared<ModuleTable>();
    table->module = module;
    table->name = t.name;
    table->columns = t.columns;
    const std::string name = Quoted(t.name);
    std::string cols = "key, body", marks = "?1, ?2", set = "body = excluded.body";
    for (size_t i = 0; i < t.columns.size(); ++i) {
      const std::string c = Quoted(t.columns[i]);
      absl::StrAppend(&cols, ", ", c);
      absl::StrAppend(&marks, ", ?", i + 3);
      absl::StrAppend(&set, ", ", c, " = excluded.", c);
    }
    table->insert = absl::StrCat("INSERT INTO ", name, " (", cols, ") VALUES (", marks, ")");
    table->upsert = absl::StrCat(table->insert, " ON CONFLICT (key) DO UPDATE SET ", set);
    table->remove = absl::StrCat("DELETE FROM ", name, " WHERE key = ?1");
    table->get = absl::StrCat("SELECT key, body FROM ", name, " WHERE key = ?1");
    for (size_t c = 0; c <= t.columns.size(); ++c) {
      auto& by_bounds = table->scans.emplace_back();
      for (int lower = 0; lower < 3; ++lower) {
        for (int upper = 0; upper < 2; ++upper) {
          std::vector<std::string> where;
          if (c > 0) where.push_back(absl::StrCat(Quoted(t.columns[c - 1]), " = ?"));
          if (lower == 1) where.push_back("key > ?");
          if (lower == 2) where.push_back("key >= ?");
          if (upper == 1) where.push_back("key < ?");
          by_bounds[lower][upper] = absl::StrCat(
              "SELECT key, body FROM ", name,
              where.empty() ? "" : absl::StrCat(" WHERE ", absl::StrJoin(where, " AND ")),
              " ORDER BY key LIMIT ?");
        }
      }
    }
    return table;
  }
};

}  // namespace sqlite_internal

using sqlite_internal::ModuleTable;

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

int SqliteStore::SchemaVersion() { return std::end(kMigrations)[-1].version; }

std::vector<int> SqliteStore::SchemaVersions() {
  std::vector<int> versions;
  for (const Migration& m : kMigrations) versions.push_back(m.version);
  return versions;
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("sqlite: empty database path");
  const std::string synchronous = absl::AsciiStrToUpper(options.synchronous);
  if (synchronous != "FULL" && synchronous != "NORMAL") {
    return absl::InvalidArgumentError(absl::StrCat(
        "sqlite: synchronous must be FULL or NORMAL, got '", options.synchronous, "'"));
  }
  if (options.readers < 1) return absl::InvalidArgumentError("sqlite: readers must be >= 1");
  if (options.max_batches_per_commit < 1) {
    return absl::InvalidArgumentError("sqlite: max_batches_per_commit must be >= 1");
  }
  if (options.max_size_bytes < 0) {
    return absl::InvalidArgumentError("sqlite: max_size_bytes must be >= 0");
  }
  auto log = shequ::Logger("store");

  const std::filesystem::path parent = std::filesystem::path(options.path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("sqlite: cannot create directory ", parent.string(), ": ", ec.message()));
    }
  }

  ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer,
                   Connection::Open(options.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                                      SQLITE_OPEN_NOMUTEX));
  ASSIGN_OR_RETURN(std::string mode, writer->QueryText("PRAGMA journal_mode = WAL"));
  if (absl::AsciiStrToLower(mode) != "wal") {
    return absl::FailedPreconditionError(
        absl::StrCat("sqlite: ", options.path, " cannot use WAL (journal_mode is ", mode, ")"));
  }
  RETURN_IF_ERROR(writer->Exec("PRAGMA synchronous = " + synchronous));
  RETURN_IF_ERROR(Migrate(*writer, options.path, *log));

  if (options.max_size_bytes > 0) {
    ASSIGN_OR_RETURN(std::string page_size_text, writer->QueryText("PRAGMA page_size"));
    int64_t page_size = 4096;
    absl::SimpleAtoi(page_size_text, &page_size);
    const int64_t pages = std::max<int64_t>(1, options.max_size_bytes / page_size);
    // SQLite never sets the limit below the current size; the next growth then fails.
    ASSIGN_OR_RETURN(std::string set,
                     writer->QueryText(absl::StrCat("PRAGMA max_page_count = ", pages)));
    if (set != absl::StrCat(pages)) {
      log->warn("database {} is already larger than its quota of {} bytes", options.path,
                options.max_size_bytes);
    }
  }

  std::vector<std::unique_ptr<Connection>> readers;
  for (int i = 0; i < options.readers; ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader,
                     Connection::Open(options.path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX));
    // Opening is lazy; touch the schema so a broken reader shows up here, not on first read.
    RETURN_IF_ERROR(reader->QueryText("SELECT COUNT(*) FROM schema_migrations").status());
    readers.push_back(std::move(reader));
  }

  auto store =
      std::unique_ptr<SqliteStore>(new SqliteStore(options, std::move(writer), std::move(readers)));
  store->writer_thread_ = std::thread([s = store.get()] { s->WriterLoop(); });
  log->info("sqlite store {} open (synchronous={}, readers={}, schema version {})", options.path,
            synchronous, options.readers, SchemaVersion());
  return store;
}

SqliteStore::SqliteStore(SqliteOptions options, std::unique_ptr<Connection> writer,
                         std::vector<std::unique_ptr<Connection>> readers)
    : options_(std::move(options)),
      log_(shequ::Logger("store")),
      writer_(std::move(writer)),
      readers_(std::move(readers)) {
  for (auto& r : readers_) free_readers_.push_back(r.get());
  stats_.group_size_buckets.assign(kGroupSizeBounds.size() + 1, 0);
  stats_.latency_us_buckets.assign(kLatencyBoundsUs.size() + 1, 0);
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  queue_cv_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();
  {
    std::lock_guard<std::mutex> lock(writer_conn_mu_);
    // Cheap, and keeps the query planner's statistics current for the next start.
    writer_->Exec("PRAGMA optimize").IgnoreError();
  }
  free_readers_.clear();
  readers_.clear();
  writer_.reset();  // the last connection to close checkpoints the WAL
}

void SqliteStore::Commit(WriteBatch batch, Done done) {
  absl::Status failed = ValidateRecords(batch.records);
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
  RETURN_IF_ERROR(run(kBegin));
  absl::Status status;
  for (const Pending& p : group) {
    status = ApplyBatch(p.batch);
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

absl::Status SqliteStore::ApplyBatch(const WriteBatch& b) {
  Connection& c = *writer_;
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
  RETURN_IF_ERROR(ForRows(c, kUpsertUnit, b.units, [](Statement& s, const auto& r) {
    s.BindAll(r.id, r.parent_id, r.body);
  }));
  RETURN_IF_ERROR(ForRows(c, kUpsertQuotaRevision, b.quota_revisions,
                          [](Statement& s, const auto& r) { s.BindAll(r.id, r.unit_id, r.body); }));
  RETURN_IF_ERROR(ForRows(c, kUpsertWorker, b.workers, [](Statement& s, const auto& r) {
    s.BindAll(r.id, r.unit_id, r.status, r.body);
  }));
  RETURN_IF_ERROR(ForRows(c, kUpsertReservation, b.reservations, [](Statement& s, const auto& r) {
    s.BindAll(r.campaign_id, r.unit_id, r.body);
  }));
  RETURN_IF_ERROR(ForRows(c, kInsertCampaignCommand, b.campaign_log, [](Statement& s, const auto& r) {
    s.BindAll(r.campaign_id, r.seq, r.at_ms, r.command);
    s.BindBlob(5, r.body);
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
  return ApplyRecords(b.records);
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

// ---- Module records ----

std::shared_ptr<const SqliteStore::ModuleTables> SqliteStore::Tables() const {
  std::lock_guard<std::mutex> lock(tables_mu_);
  return tables_;
}

absl::StatusOr<std::shared_ptr<const ModuleTable>> SqliteStore::FindTable(
    const std::string& table) const {
  std::shared_ptr<const ModuleTables> tables = Tables();
  auto it = tables->find(table);
  if (it == tables->end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("table '", table, "' is not declared by an attached module"));
  }
  return it->second;
}

// The module's migrations not recorded yet, in version order, each in its own transaction.
// Like the engine's (Migrate): by version, so one written on a parallel branch still runs.
absl::Status SqliteStore::MigrateModule(const ModuleSchema& schema) {
  Connection& c = *writer_;
  std::set<int> applied;
  RETURN_IF_ERROR(InTransaction(c, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(Statement st,
                     c.Prepare("SELECT version FROM module_migrations WHERE module = ?1"));
    st.BindAll(schema.module);
    while (true) {
      ASSIGN_OR_RETURN(bool row, st.Next());
      if (!row) break;
      applied.insert(static_cast<int>(st.Int(0)));
    }
    return absl::OkStatus();
  }));
  std::set<int> known;
  for (const SqlMigration& m : schema.migrations) known.insert(m.version);
  for (int version : applied) {
    if (!known.count(version)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database ", options_.path, " has migration ", version, " of module ", schema.module,
          ", which this shequd does not know; run a newer shequd (or restore a backup)"));
    }
  }
  for (const SqlMigration& m : schema.migrations) {
    if (applied.count(m.version)) continue;
    absl::Status status = InTransaction(c, [&]() -> absl::Status {
      RETURN_IF_ERROR(c.Exec(m.sql));
      ASSIGN_OR_RETURN(Statement st, c.Prepare("INSERT INTO module_migrations (module, version, "
                                               "name, applied_at) VALUES (?1, ?2, ?3, ?4)"));
      st.BindAll(schema.module, int64_t{m.version}, m.name, NowUnixMs());
      return st.Run();
    });
    if (!status.ok()) {
      return absl::Status(status.code(), absl::StrCat("module ", schema.module, " migration ",
                                                      m.version, " (", m.name, "): ",
                                                      status.message()));
    }
    log_->info("database {}: module {} migrated to version {} ({})", options_.path,
               schema.module, m.version, m.name);
  }
  return absl::OkStatus();
}

// The table exists with a TEXT primary key `key`, a TEXT `body` and every declared column.
absl::Status SqliteStore::CheckTable(const std::string& module, const TableSpec& spec) {
  ASSIGN_OR_RETURN(Statement st,
                   writer_->Prepare("SELECT name, type, pk FROM pragma_table_info(?1)"));
  st.BindAll(spec.name);
  std::map<std::string, std::pair<std::string, int64_t>> found;  // name -> (type, pk)
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Next());
    if (!row) break;
    found[st.Text(0)] = {absl::AsciiStrToUpper(st.Text(1)), st.Int(2)};
  }
  auto mismatch = [&](absl::string_view what) {
    return absl::FailedPreconditionError(absl::StrCat(
        "module ", module, ": table ", spec.name, " ", what,
        " (a module table is key TEXT PRIMARY KEY, body TEXT NOT NULL and its declared columns "
        "as TEXT, created by the module's migrations)"));
  };
  if (found.empty()) return mismatch("does not exist");
  for (const auto& [name, info] : found) {
    if (info.second != 0 && name != "key") return mismatch("has a primary key other than key");
  }
  auto key = found.find("key");
  if (key == found.end() || key->second.second != 1 || key->second.first != "TEXT") {
    return mismatch("has no key TEXT PRIMARY KEY");
  }
  auto body = found.find("body");
  if (body == found.end() || body->second.first != "TEXT") return mismatch("has no body TEXT");
  for (const std::string& column : spec.columns) {
    auto it = found.find(column);
    if (it == found.end() || it->second.first != "TEXT") {
      return mismatch(absl::StrCat("has no TEXT column ", column));
    }
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::AttachModule(const ModuleSchema& schema) {
  RETURN_IF_ERROR(ValidateSchema(schema));
  auto attached = std::make_shared<ModuleTables>();
  {
    // Between commit groups: migrations and checks use the write connection.
    std::lock_guard<std::mutex> lock(writer_conn_mu_);
    RETURN_IF_ERROR(MigrateModule(schema));
    for (const TableSpec& spec : schema.tables) {
      RETURN_IF_ERROR(CheckTable(schema.module, spec));
      (*attached)[spec.name] = ModuleTable::Build(schema.module, spec);
    }
  }
  std::lock_guard<std::mutex> lock(tables_mu_);
  // Attaching a module again replaces its tables.
  for (const auto& [name, table] : *tables_) {
    if (table->module != schema.module) attached->emplace(name, table);
  }
  tables_ = std::move(attached);
  return absl::OkStatus();
}

// Refuses what would fail for the caller's fault rather than the storage's, before queuing.
absl::Status SqliteStore::ValidateRecords(const std::vector<RecordWrite>& records) const {
  if (records.empty()) return absl::OkStatus();
  std::shared_ptr<const ModuleTables> tables = Tables();
  for (size_t i = 0; i < records.size(); ++i) {
    const RecordWrite& w = records[i];
    auto it = tables->find(w.table);
    if (it == tables->end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "records[", i, "]: table '", w.table, "' is not declared by an attached module"));
    }
    if (w.key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("records[", i, "]: table ", w.table, ": empty key"));
    }
    const std::vector<std::string>& declared = it->second->columns;
    if (w.op != RecordWrite::Op::kDelete && w.columns.size() != declared.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "records[", i, "]: table ", w.table, ": ", w.columns.size(),
          " column values, the table declares ", declared.size(), " (",
          absl::StrJoin(declared, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::ApplyRecords(const std::vector<RecordWrite>& records) {
  if (records.empty()) return absl::OkStatus();
  Connection& c = *writer_;
  std::shared_ptr<const ModuleTables> tables = Tables();
  for (const RecordWrite& w : records) {
    auto it = tables->find(w.table);
    if (it == tables->end()) {  // validated by Commit
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
      return absl::InvalidArgumentError(absl::StrCat("scan of ", scan.table, ": column '",
                                                     scan.column, "' is not declared"));
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

// ---- Reads ----

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

std::vector<DefinitionRow> SqliteStore::LoadDefinitions() {
  std::vector<DefinitionRow> rows;
  Read("LoadDefinitions", Select(kDefinitionCols, "definitions", {}, "id, version"), {},
       [&](Statement& s) { rows.push_back(ReadDefinition(s)); })
      .IgnoreError();
  return rows;
}

std::map<std::string, int64_t> SqliteStore::LoadSequences() {
  std::map<std::string, int64_t> seqs;
  Read("LoadSequences", "SELECT name, value FROM sequences", {}, [&](Statement& s) {
    seqs[s.Text(0)] = s.Int(1);
  }).IgnoreError();
  return seqs;
}

std::map<std::string, int64_t> SqliteStore::HighestIds() {
  // MAX of an INTEGER PRIMARY KEY reads the last row of the table's b-tree: no scan.
  constexpr char kSql[] =
      "SELECT (SELECT MAX(seq) FROM events), (SELECT MAX(id) FROM incidents), "
      "(SELECT MAX(id) FROM instances), (SELECT MAX(id) FROM notifications), "
      "(SELECT MAX(id) FROM tasks)";
  std::map<std::string, int64_t> ids;
  Read("HighestIds", kSql, {}, [&](Statement& s) {
    for (size_t i = 0; i < kIdsRecoveredFromRows.size(); ++i) {
      if (!s.IsNull(static_cast<int>(i))) {
        ids[std::string(kIdsRecoveredFromRows[i])] = s.Int(static_cast<int>(i));
      }
    }
  }).IgnoreError();
  return ids;
}

void SqliteStore::ForEachTimer(const std::function<void(const TimerRow&)>& fn) {
  // Streams straight from the cursor: no vector of every timer.
  Read("ForEachTimer", Select(kTimerCols, "timers", {}, "due_at_ms, id"), {}, [&](Statement& s) {
    fn(ReadTimer(s));
  }).IgnoreError();
}

void SqliteStore::ForEachJob(const std::string& state,
                             const std::function<void(const JobRow&)>& fn) {
  Where w;
  if (!state.empty()) w.Add("state = ?", state);
  Read("ForEachJob", Select(kJobCols, "jobs", w, "id"), w.params, [&](Statement& s) {
    fn(ReadJob(s));
  }).IgnoreError();
}

std::vector<MessageRow> SqliteStore::LoadMessages() {
  std::vector<MessageRow> rows;
  Read("LoadMessages", Select(kMessageCols, "messages", {}, "id"), {}, [&](Statement& s) {
    rows.push_back(ReadMessage(s));
  }).IgnoreError();
  return rows;
}

std::vector<SubscriptionRow> SqliteStore::LoadSubscriptions() {
  std::vector<SubscriptionRow> rows;
  Read("LoadSubscriptions", Select(kSubscriptionCols, "subscriptions", {}, "instance_id, token_id"),
       {}, [&](Statement& s) { rows.push_back(ReadSubscription(s)); })
      .IgnoreError();
  return rows;
}

std::optional<InstanceRow> SqliteStore::GetInstance(int64_t id) {
  std::optional<InstanceRow> row;
  Read("GetInstance", ById(kInstanceCols, "instances"), {id}, [&](Statement& s) {
    row = ReadInstance(s);
  }).IgnoreError();
  return row;
}

std::optional<TaskRow> SqliteStore::GetTask(int64_t id) {
  std::optional<TaskRow> row;
  Read("GetTask", ById(kTaskCols, "tasks"), {id}, [&](Statement& s) {
    row = ReadTask(s);
  }).IgnoreError();
  return row;
}

std::optional<JobRow> SqliteStore::GetJob(int64_t id) {
  std::optional<JobRow> row;
  Read("GetJob", ById(kJobCols, "jobs"), {id}, [&](Statement& s) {
    row = ReadJob(s);
  }).IgnoreError();
  return row;
}

std::optional<TimerRow> SqliteStore::GetTimer(int64_t id) {
  std::optional<TimerRow> row;
  Read("GetTimer", ById(kTimerCols, "timers"), {id}, [&](Statement& s) {
    row = ReadTimer(s);
  }).IgnoreError();
  return row;
}

std::optional<IncidentRow> SqliteStore::GetIncident(int64_t id) {
  std::optional<IncidentRow> row;
  Read("GetIncident", ById(kIncidentCols, "incidents"), {id}, [&](Statement& s) {
    row = ReadIncident(s);
  }).IgnoreError();
  return row;
}

std::optional<NotificationRow> SqliteStore::GetNotification(int64_t id) {
  std::optional<NotificationRow> row;
  Read("GetNotification", ById(kNotificationCols, "notifications"), {id}, [&](Statement& s) {
    row = ReadNotification(s);
  }).IgnoreError();
  return row;
}

std::optional<RequestRow> SqliteStore::GetRequest(const std::string& request_id) {
  constexpr char kSql[] = "SELECT request_id, reply, at_ms FROM requests WHERE request_id = ?";
  std::optional<RequestRow> row;
  Read("GetRequest", kSql, {request_id}, [&](Statement& s) {
    row = RequestRow{s.Text(0), s.Blob(1), s.Int(2)};
  }).IgnoreError();
  return row;
}

std::vector<InstanceRow> SqliteStore::ListInstances(const InstanceFilter& f, const Page& p) {
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
  Read("ListInstances", sql, w.params, [&](Statement& s) {
    rows.push_back(ReadInstance(s));
  }).IgnoreError();
  return rows;
}

std::vector<TaskRow> SqliteStore::ListTasks(const TaskFilter& f, const Page& p) {
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
  Read("ListTasks", sql, w.params, [&](Statement& s) {
    rows.push_back(ReadTask(s));
  }).IgnoreError();
  return rows;
}

std::vector<IncidentRow> SqliteStore::ListIncidents(const IncidentFilter& f, const Page& p) {
  std::vector<IncidentRow> rows;
  if (p.limit <= 0) return rows;
  Where w;
  w.Add("state = ?", f.state.empty() ? std::string("open") : f.state);
  if (f.instance_id != 0) w.Add("instance_id = ?", f.instance_id);
  const std::string sql = Paged(kIncidentCols, "incidents", w, p);
  Read("ListIncidents", sql, w.params, [&](Statement& s) {
    rows.push_back(ReadIncident(s));
  }).IgnoreError();
  return rows;
}

std::vector<NotificationRow> SqliteStore::ListNotifications(const NotificationFilter& f,
                                                            const Page& p) {
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
  Read("ListNotifications", sql, w.params, [&](Statement& s) {
    rows.push_back(ReadNotification(s));
  }).IgnoreError();
  return rows;
}

std::vector<EventRow> SqliteStore::History(int64_t instance_id, int64_t after_seq, int limit) {
  std::vector<EventRow> rows;
  if (limit <= 0) return rows;
  Where w;
  if (instance_id != 0) w.Add("instance_id = ?", instance_id);
  w.Add("seq > ?", after_seq);
  w.params.emplace_back(int64_t{limit});
  const std::string sql = absl::StrCat(Select(kEventCols, "events", w, "seq"), " LIMIT ?");
  Read("History", sql, w.params, [&](Statement& s) { rows.push_back(ReadEvent(s)); }).IgnoreError();
  return rows;
}

std::vector<EventRow> SqliteStore::SubjectHistory(const std::string& subject,
                                                  const std::string& unit, int64_t after_seq,
                                                  int limit) {
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
  Read("SubjectHistory", sql, w.params, [&](Statement& s) {
    rows.push_back(ReadEvent(s));
  }).IgnoreError();
  return rows;
}

std::vector<UnitRow> SqliteStore::LoadUnits() {
  std::vector<UnitRow> rows;
  Read("LoadUnits", Select(kUnitCols, "units", {}, "id"), {}, [&](Statement& s) {
    rows.push_back(UnitRow{s.Text(0), s.Text(1), s.Text(2)});
  }).IgnoreError();
  return rows;
}

std::vector<QuotaRevisionRow> SqliteStore::LoadQuotaRevisions() {
  std::vector<QuotaRevisionRow> rows;
  Read("LoadQuotaRevisions", Select(kQuotaRevisionCols, "quota_revisions", {}, "id"), {},
       [&](Statement& s) { rows.push_back(QuotaRevisionRow{s.Int(0), s.Text(1), s.Text(2)}); })
      .IgnoreError();
  return rows;
}

std::vector<QuotaReservationRow> SqliteStore::LoadReservations() {
  std::vector<QuotaReservationRow> rows;
  Read("LoadReservations",
       "SELECT campaign_id, unit_id, body FROM quota_reservations ORDER BY campaign_id, unit_id", {},
       [&](Statement& s) { rows.push_back({s.Text(0), s.Text(1), s.Text(2)}); })
      .IgnoreError();
  return rows;
}

void SqliteStore::ForEachCampaignCommand(const std::function<void(const CampaignCommandRow&)>& fn) {
  Read("ForEachCampaignCommand",
       "SELECT campaign_id, seq, at_ms, command, body FROM campaign_log ORDER BY campaign_id, seq",
       {}, [&](Statement& s) { fn({s.Text(0), s.Int(1), s.Int(2), s.Text(3), s.Blob(4)}); })
      .IgnoreError();
}

void SqliteStore::ForEachWorker(const std::function<void(const WorkerRow&)>& fn) {
  Read("ForEachWorker", Select(kWorkerCols, "workers", {}, "id"), {}, [&](Statement& s) {
    fn(WorkerRow{s.Int(0), s.Text(1), s.Text(2), s.Text(3)});
  }).IgnoreError();
}

Counts SqliteStore::Count() {
  // One statement, so one snapshot; every count is answered from an index.
  constexpr char kSql[] =
      "SELECT (SELECT COUNT(*) FROM instances WHERE state = 'active'), "
      "(SELECT COUNT(*) FROM tasks WHERE state IN ('open', 'claimed', 'delegated')), "
      "(SELECT COUNT(*) FROM jobs WHERE state IN ('activatable', 'active')), "
      "(SELECT COUNT(*) FROM timers), "
      "(SELECT COUNT(*) FROM incidents WHERE state = 'open'), "
      "(SELECT COUNT(*) FROM notifications WHERE acked = 0)";
  Counts counts;
  Read("Count", kSql, {}, [&](Statement& s) {
    counts = Counts{s.Int(0), s.Int(1), s.Int(2), s.Int(3), s.Int(4), s.Int(5)};
  }).IgnoreError();
  return counts;
}

}  // namespace shequ::store
