#include "daemon/store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/core/logging.h"
#include "daemon/core/status.h"
#include "daemon/store/sqlite/connection.h"
#include "daemon/store/sqlite/migrations.h"

// The store's parts: connection.cc (sqlite3 handles, statements, errors), migrations.cc (the
// engine schema and the modules' migrations), writer.cc (the writer thread, group commit, the
// rows of a batch), queries.cc (reads). Here: opening, closing and attaching modules.

namespace shequ::store {

using sqlite_internal::Connection;

int SqliteStore::SchemaVersion() { return sqlite_internal::EngineMigrations().back().version; }

std::vector<int> SqliteStore::SchemaVersions() {
  std::vector<int> versions;
  for (const SqlMigration& m : sqlite_internal::EngineMigrations()) versions.push_back(m.version);
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
  RETURN_IF_ERROR(sqlite_internal::Migrate(*writer, options.path, *log));

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

// ---- Module records ----

std::shared_ptr<const sqlite_internal::ModuleTableMap> SqliteStore::Tables() const {
  std::lock_guard<std::mutex> lock(tables_mu_);
  return tables_;
}

absl::StatusOr<std::shared_ptr<const sqlite_internal::ModuleTable>> SqliteStore::FindTable(
    const std::string& table) const {
  std::shared_ptr<const sqlite_internal::ModuleTableMap> tables = Tables();
  auto it = tables->find(table);
  if (it == tables->end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("table '", table, "' is not declared by an attached module"));
  }
  return it->second;
}

absl::Status SqliteStore::AttachModule(const ModuleSchema& schema) {
  RETURN_IF_ERROR(sqlite_internal::ValidateSchema(schema));
  auto attached = std::make_shared<sqlite_internal::ModuleTableMap>();
  {
    // Between commit groups: migrations and checks use the write connection.
    std::lock_guard<std::mutex> lock(writer_conn_mu_);
    RETURN_IF_ERROR(sqlite_internal::MigrateModule(*writer_, schema, options_.path, *log_));
    for (const TableSpec& spec : schema.tables) {
      RETURN_IF_ERROR(sqlite_internal::CheckTable(*writer_, schema.module, spec));
      (*attached)[spec.name] = sqlite_internal::ModuleTable::Build(schema.module, spec);
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

}  // namespace shequ::store
