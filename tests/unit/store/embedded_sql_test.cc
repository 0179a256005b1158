// shequ_embed_sql (cmake/EmbedSql.cmake): migrations compiled in from NNNN_name.sql files, in
// version order and byte for byte; and the engine schema's own migrations, embedded the same way.

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/store/records.h"
#include "daemon/store/sqlite/migrations.h"
#include "daemon/store/sqlite/sqlite_store.h"
#include "gtest/gtest.h"

namespace shequ::store::test {
// Embedded from tests/unit/store/testdata/migrations by tests/CMakeLists.txt.
std::vector<SqlMigration> FixtureMigrations();
}  // namespace shequ::store::test

namespace shequ::store {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(EmbeddedSqlTest, FilesComeInVersionOrderByteForByte) {
  const std::string dir = std::string(SHEQU_SOURCE_DIR) + "/tests/unit/store/testdata/migrations/";
  const std::vector<SqlMigration> migrations = test::FixtureMigrations();
  ASSERT_EQ(migrations.size(), 3u);
  // By version, not by name: "10_log.sql" sorts before "0002_..." as text.
  const std::vector<std::pair<int, std::string>> expected = {
      {1, "0001_orders.sql"}, {2, "0002_customer.sql"}, {10, "10_log.sql"}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(migrations[i].version, expected[i].first);
    EXPECT_EQ(migrations[i].name, expected[i].second);
    EXPECT_EQ(migrations[i].sql, ReadFile(dir + expected[i].second)) << expected[i].second;
  }
  EXPECT_NE(migrations[1].sql.find("«王小明» \\ \"quoted\" )\"\r\n"), std::string::npos);
}

TEST(EmbeddedSqlTest, EngineSchemaMigrationsAreTheFilesInTheSourceTree) {
  const std::string dir = std::string(SHEQU_SOURCE_DIR) + "/daemon/store/sqlite/migrations/";
  const std::vector<SqlMigration>& migrations = sqlite_internal::EngineMigrations();
  ASSERT_FALSE(migrations.empty());
  std::vector<int> versions;
  for (const SqlMigration& m : migrations) {
    versions.push_back(m.version);
    EXPECT_EQ(m.sql, ReadFile(dir + m.name)) << m.name;
  }
  EXPECT_EQ(versions, SqliteStore::SchemaVersions());
  EXPECT_EQ(versions.back(), SqliteStore::SchemaVersion());
  EXPECT_TRUE(std::is_sorted(versions.begin(), versions.end()));
  // Shipped migrations never change: their bytes as they shipped (FNV-1a 64 of the text), the
  // first five from the C++ source they were moved out of.
  const std::vector<std::pair<size_t, uint64_t>> shipped = {
      {3448, 0x75aae1dfb3147e35}, {687, 0x14fc91c09ca4c1a1}, {862, 0x7bf9c0bd85c770e5},
      {165, 0x9bbe8a28d6e8cc47},  {205, 0x7e1cf2c333d633f9}, {188, 0x79cf41ae1edac97e}};
  ASSERT_GE(migrations.size(), shipped.size());
  for (size_t i = 0; i < shipped.size(); ++i) {
    uint64_t h = 0xcbf29ce484222325;
    for (unsigned char c : migrations[i].sql) h = (h ^ c) * 0x100000001b3;
    EXPECT_EQ(migrations[i].sql.size(), shipped[i].first) << migrations[i].name;
    EXPECT_EQ(h, shipped[i].second) << migrations[i].name;
  }
}

}  // namespace
}  // namespace shequ::store
