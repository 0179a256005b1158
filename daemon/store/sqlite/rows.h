#pragma once

// Writing a WriteBatch with the SQLite backend's statements: what the writer thread runs for each
// batch inside its group's transaction, and what the engine benchmark's raw-SQLite baseline
// replays. Internal to daemon/store/sqlite/.

#include <vector>

#include "absl/status/status.h"
#include "daemon/store/records.h"
#include "daemon/store/sqlite/connection.h"
#include "daemon/store/sqlite/migrations.h"
#include "daemon/store/store.h"

namespace shequ::store::sqlite_internal {

// Writes every row of `b`, in field order with its module records last, inside the caller's
// transaction. A record naming a table not in `tables` fails (Commit refuses those before).
absl::Status WriteRows(Connection& c, const WriteBatch& b, const ModuleTableMap& tables);

// INVALID_ARGUMENT naming the record and its table for what would fail by the caller's fault
// rather than the storage's: a table not in `tables`, an empty key, a Put or Append whose
// column values do not match the table's declared columns.
absl::Status ValidateRecords(const std::vector<RecordWrite>& records, const ModuleTableMap& tables);

}  // namespace shequ::store::sqlite_internal
