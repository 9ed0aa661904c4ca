// The SQLite layer's statement cache: a statement comes back reset and unbound, a dropped SELECT
// holds no snapshot (another connection's writes are seen, the WAL can be checkpointed), and the
// same text in use twice at once gets two statements.

#include "store/sqlite.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace sagerun::store::sqlite {
namespace {

Database open_with_table(const std::filesystem::path& file) {
  auto db = Database::open(file);
  EXPECT_TRUE(db.has_value());
  EXPECT_TRUE(db->exec("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER)").has_value());
  return std::move(*db);
}

int64_t value_of(Database& db, const std::string& key) {
  auto select = db.prepare("SELECT v FROM t WHERE k = ?1");
  EXPECT_TRUE(select.has_value());
  select->bind(1, key);
  auto row = select->step();
  EXPECT_TRUE(row.has_value());
  return row && *row ? select->integer(0) : -1; // dropped mid-result: back to the cache
}

TEST(StoreSqlite, AReusedSelectSeesAnotherConnectionsWrites) {
  test::TempDir dir;
  auto reader = open_with_table(dir.path() / "db");
  auto writer = open_with_table(dir.path() / "db");
  ASSERT_TRUE(writer.exec("INSERT INTO t VALUES ('a', 1)").has_value());
  EXPECT_EQ(value_of(reader, "a"), 1);
  ASSERT_TRUE(writer.exec("UPDATE t SET v = 2 WHERE k = 'a'").has_value());
  EXPECT_EQ(value_of(reader, "a"), 2);
  // No reader holds a snapshot, so the whole WAL can be written back.
  ASSERT_TRUE(writer.exec("PRAGMA wal_checkpoint(TRUNCATE)").has_value());
  EXPECT_EQ(std::filesystem::file_size(dir.path() / "db-wal"), 0U);
}

TEST(StoreSqlite, AReusedStatementHasNoBindingsLeft) {
  test::TempDir dir;
  auto db = open_with_table(dir.path() / "db");
  ASSERT_TRUE(db.exec("INSERT INTO t VALUES ('a', 1)").has_value());
  EXPECT_EQ(value_of(db, "a"), 1);
  auto select = db.prepare("SELECT v FROM t WHERE k = ?1");
  ASSERT_TRUE(select.has_value());
  auto row = select->step(); // ?1 is NULL again: nothing matches
  ASSERT_TRUE(row.has_value());
  EXPECT_FALSE(*row);
}

TEST(StoreSqlite, TheSameTextTwiceAtOnceGetsTwoStatements) {
  test::TempDir dir;
  auto db = open_with_table(dir.path() / "db");
  ASSERT_TRUE(db.exec("INSERT INTO t VALUES ('a', 1), ('b', 2)").has_value());
  auto outer = db.prepare("SELECT k FROM t ORDER BY k");
  ASSERT_TRUE(outer.has_value());
  ASSERT_TRUE(*outer->step());
  EXPECT_EQ(outer->text(0), "a");
  {
    auto inner = db.prepare("SELECT k FROM t ORDER BY k");
    ASSERT_TRUE(inner.has_value());
    ASSERT_TRUE(*inner->step());
    EXPECT_EQ(inner->text(0), "a");
  }
  ASSERT_TRUE(*outer->step());
  EXPECT_EQ(outer->text(0), "b");
}

} // namespace
} // namespace sagerun::store::sqlite
