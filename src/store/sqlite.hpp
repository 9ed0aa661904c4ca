#pragma once
// A thin RAII layer over SQLite: a connection and prepared statements, both released on every
// path; errors carry SQLite's own message and the statement that failed. A connection keeps the
// statements it prepared (up to 64 texts) and hands them out again, reset, for the same text: a
// server answering thousands of requests a second parses each statement once.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "util/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace sagerun::store::sqlite {

class Statement;

// Error codes (util::Error::code) of the failures callers act on.
inline constexpr std::string_view k_disk_full = "SQLITE_FULL";
inline constexpr std::string_view k_constraint = "SQLITE_CONSTRAINT";

class Database {
public:
  // Opens (creating) the file, in WAL mode with synchronous=NORMAL: a commit survives the process
  // being killed; only a power loss may undo the last commits.
  static Expected<Database> open(const std::filesystem::path& file);

  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) noexcept = default;

  // Runs statements that return no rows (schema, pragmas, BEGIN/COMMIT).
  Expected<void> exec(std::string_view sql);
  // A statement for `sql`, reset and unbound; it goes back to the connection's cache when dropped
  // (a text already in use, or beyond the cache's size, gets a statement of its own).
  Expected<Statement> prepare(std::string_view sql);
  int64_t last_insert_rowid() const;
  sqlite3* handle() const { return m_db.get(); }

private:
  struct Close {
    void operator()(sqlite3* db) const;
  };
  struct Cached {
    sqlite3_stmt* statement = nullptr;
    bool in_use = false;
  };
  struct Cache {
    Cache() = default;
    Cache(const Cache&) = delete;
    Cache& operator=(const Cache&) = delete;
    ~Cache();
    std::unordered_map<std::string, Cached> statements;
  };
  explicit Database(sqlite3* db) : m_db(db), m_cache(std::make_unique<Cache>()) {}
  // Declared first, closed last: the cached statements are finalized before the connection.
  std::unique_ptr<sqlite3, Close> m_db;
  std::unique_ptr<Cache> m_cache;
};

class Statement {
public:
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;

  // Parameters are 1-based, as in SQLite.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::optional<double> value); // NULL when empty

  // One step: true when a row is ready, false when done; errors name the statement.
  Expected<bool> step();
  // Steps to the end (for statements that return no rows), then resets for the next use.
  Expected<void> run();
  void reset();

  std::string text(int column) const;
  // Steps to the end, collecting the first column of every row as text.
  Expected<std::vector<std::string>> first_column_texts();
  int64_t integer(int column) const;
  double real(int column) const;
  bool is_null(int column) const;

private:
  friend class Database;
  // Finalizes a statement of its own; resets and returns a cached one.
  struct Release {
    bool* in_use = nullptr;
    void operator()(sqlite3_stmt* statement) const;
  };
  Statement(sqlite3* db, sqlite3_stmt* statement, bool* in_use) : m_db(db), m_statement(statement, Release{in_use}) {}
  sqlite3* m_db = nullptr;
  std::unique_ptr<sqlite3_stmt, Release> m_statement;
};

// BEGIN IMMEDIATE … COMMIT; rolled back unless committed.
class Transaction {
public:
  static Expected<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept : m_db(std::exchange(other.m_db, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();
  Expected<void> commit();

private:
  explicit Transaction(Database& db) : m_db(&db) {}
  Database* m_db;
};

} // namespace sagerun::store::sqlite
