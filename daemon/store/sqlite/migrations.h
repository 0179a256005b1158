#pragma once

// The SQLite backend's schema: the engine's migrations (migrations/NNNN_name.sql, embedded at
// build time) and the runner of the domain modules' migrations, with the check of their tables
// and the statements built from them. Internal to daemon/store/sqlite/ (and the engine
// benchmark's raw-SQLite baseline).

#include <array>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "daemon/store/records.h"
#include "daemon/store/sqlite/connection.h"
#include "spdlog/spdlog.h"

namespace shequ::store::sqlite_internal {

// The engine schema's migrations, ascending (there may be gaps). Append only: never edit one
// that has shipped, add the next file.
const std::vector<SqlMigration>& EngineMigrations();

// Applies every engine migration not recorded in schema_migrations yet, each in its own
// transaction. A database recording a version above the newest known is refused with
// FAILED_PRECONDITION.
absl::Status Migrate(Connection& c, const std::string& path, spdlog::logger& log);

// Checks names ([a-z][a-z0-9_]*, tables "<module>_...") and migration versions (positive,
// ascending): INVALID_ARGUMENT.
absl::Status ValidateSchema(const ModuleSchema& schema);
// Applies the module's migrations not recorded in module_migrations yet, each in its own
// transaction; refuses (FAILED_PRECONDITION) a database recording one the schema does not list.
absl::Status MigrateModule(Connection& c, const ModuleSchema& schema, const std::string& path,
                           spdlog::logger& log);
// The table exists with a TEXT primary key `key`, a TEXT `body` and every declared column as
// TEXT; otherwise FAILED_PRECONDITION.
absl::Status CheckTable(Connection& c, const std::string& module, const TableSpec& spec);

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

  static std::shared_ptr<const ModuleTable> Build(const std::string& module, const TableSpec& t);
};
// The attached modules' tables by name.
using ModuleTableMap = std::unordered_map<std::string, std::shared_ptr<const ModuleTable>>;

}  // namespace shequ::store::sqlite_internal
