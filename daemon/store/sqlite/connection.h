#pragma once

// The SQLite backend's thin layer over sqlite3: a connection with its prepared-statement cache,
// the statements it lends, and SQLite errors as absl::Status. Internal to daemon/store/sqlite/
// (and the engine benchmark's raw-SQLite baseline).

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/core/status.h"

namespace shequ::store::sqlite_internal {

// "<context>: <sqlite message> [SQLITE_FULL]", with the absl code CodeFor(rc); the name falls
// back to the primary code.
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view context);
absl::StatusCode CodeFor(int rc);
// Statements are named in errors by their first words.
std::string Abbrev(const char* sql);

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
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, int flags);
  ~Connection();

  sqlite3* db() const { return db_; }

  // Runs one or more statements without caching them (setup, migrations).
  absl::Status Exec(const std::string& sql);
  // First column of the first row as text ("" if no row), not cached.
  absl::StatusOr<std::string> QueryText(const std::string& sql);
  // Prepared once per connection and reused.
  absl::StatusOr<Statement> Prepare(std::string_view sql);

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

// Runs `body` in a BEGIN IMMEDIATE transaction, rolling back if it or the COMMIT fails.
template <typename Fn>
absl::Status InTransaction(Connection& c, Fn body) {
  RETURN_IF_ERROR(c.Exec("BEGIN IMMEDIATE"));
  absl::Status status = body();
  if (status.ok()) status = c.Exec("COMMIT");
  if (!status.ok() && sqlite3_get_autocommit(c.db()) == 0) c.Exec("ROLLBACK").IgnoreError();
  return status;
}

}  // namespace shequ::store::sqlite_internal
