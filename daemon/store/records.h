#pragma once

// Module records: how a domain module (daemon/modules/<name>/) keeps its own data without the
// store knowing its types (docs/decisions/0010-module-records.md).
//
// A module owns named tables. Every table has the same shape:
//   key   TEXT PRIMARY KEY   the module's key; scans return rows in key order
//   body  TEXT NOT NULL      a JSON text the module writes and reads (the store never parses it)
//   <columns>                TEXT NOT NULL DEFAULT '' each, declared for lookups by value
// The tables are created and evolved by the module's own SQL migrations (plain CREATE TABLE /
// CREATE INDEX / INSERT … SELECT over TEXT columns, which SQLite and PostgreSQL both accept),
// applied in version order and recorded per module. The writes travel in the engine's
// WriteBatch, so a domain change and the workflow step that caused it commit together.
//
// Keys and values compare as bytes (SQLite's BINARY collation; a PostgreSQL backend declares
// them COLLATE "C"). A table scanned by a declared column should have an index on
// (column, key), so the scan walks the index in key order instead of sorting.

#include <optional>
#include <string>
#include <vector>

namespace shequ::store {

// A table as its module declares it; the store checks it against the database at attach.
struct TableSpec {
  std::string name;                  // [a-z][a-z0-9_]*, starting with "<module>_"
  std::vector<std::string> columns;  // the declared lookup columns, in this order
};

// One migration of a module, e.g. daemon/modules/workforce/migrations/0001_tables.sql.
// Append only: never edit one that has shipped, add the next.
struct SqlMigration {
  int version = 0;    // 1, 2, … within the module
  std::string name;   // the file name, for logs and errors
  std::string sql;    // one or more statements
};

// Everything a module brings to the store.
struct ModuleSchema {
  std::string module;                     // "workforce"
  std::vector<TableSpec> tables;
  std::vector<SqlMigration> migrations;   // ascending versions
};

// A change to a module record, carried by WriteBatch::records and applied in order.
struct RecordWrite {
  enum class Op {
    kPut,     // insert or replace the row with this key
    kDelete,  // delete the row with this key (absent is not an error)
    kAppend,  // insert; a key that exists fails the commit (append-only logs: the module
              // makes keys that sort in append order, e.g. "whl-2026-2/000000000042")
  };
  Op op = Op::kPut;
  std::string table;
  std::string key;
  std::string body;                  // Put and Append: JSON text; Delete ignores it
  std::vector<std::string> columns;  // Put and Append: the declared columns' values, in order
};

struct Record {
  std::string key;
  std::string body;
};

// Rows of one table in ascending key order, a page at a time.
struct RecordScan {
  std::string table;
  std::string column;      // when set, only rows whose declared `column` equals `value`
  std::string value;
  std::string key_prefix;  // when set, only keys that start with it
  std::string after_key;   // keyset paging: only keys greater than this
  int limit = 1000;        // > 0
};

}  // namespace shequ::store
