#include "daemon/store/sqlite/connection.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace shequ::store::sqlite_internal {
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

}  // namespace

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

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view context) {
  const char* name = CodeName(rc);
  std::string code = name != nullptr ? name : absl::StrCat(CodeName(rc & 0xff), "/", rc);
  // sqlite3_errmsg describes the last call on `db`, which is the failing one here.
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return absl::Status(CodeFor(rc), absl::StrCat(context, ": ", msg, " [", code, "]"));
}

std::string Abbrev(const char* sql) {
  std::string s = sql != nullptr ? sql : "";
  std::replace(s.begin(), s.end(), '\n', ' ');
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& path, int flags) {
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

Connection::~Connection() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  sqlite3_close_v2(db_);
}

absl::Status Connection::Exec(const std::string& sql) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, Abbrev(sql.c_str()));
  return absl::OkStatus();
}

absl::StatusOr<std::string> Connection::QueryText(const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, Abbrev(sql.c_str()));
  Statement stmt(raw, nullptr);
  ASSIGN_OR_RETURN(bool row, stmt.Next());
  return row ? stmt.Text(0) : std::string();
}

absl::StatusOr<Statement> Connection::Prepare(std::string_view sql) {
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

}  // namespace shequ::store::sqlite_internal
