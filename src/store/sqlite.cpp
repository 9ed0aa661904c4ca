#include "store/sqlite.hpp"

#include <sqlite3.h>

#include <chrono>
#include <thread>
#include <utility>

namespace sagerun::store::sqlite {
namespace {

// The message names what failed and SQLite's reason; the code keeps SQLite's primary result
// code ("SQLITE_FULL" for a full disk, "SQLITE_CONSTRAINT" for a duplicate key) for callers
// that act on it.
util::Error sqlite_error(sqlite3* db, std::string_view what, int rc) {
  util::Error error{util::ErrorKind::io,
                    std::string(what) + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory")};
  switch (rc & 0xff) {
  case SQLITE_FULL: error.code = k_disk_full; break;
  case SQLITE_CONSTRAINT: error.code = k_constraint; break;
  case SQLITE_BUSY: error.code = "SQLITE_BUSY"; break;
  default: error.code = "SQLITE_ERROR"; break;
  }
  return error;
}

} // namespace

void Database::Close::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

void Statement::Release::operator()(sqlite3_stmt* statement) const {
  if (in_use == nullptr) {
    sqlite3_finalize(statement);
    return;
  }
  // Reset ends the statement's read or write, so a cached SELECT never holds a snapshot.
  sqlite3_reset(statement);
  sqlite3_clear_bindings(statement);
  *in_use = false;
}

Database::Cache::~Cache() {
  for (auto& [sql, cached] : statements)
    sqlite3_finalize(cached.statement);
}

namespace {
constexpr size_t k_cached_statements = 64;
} // namespace

Expected<Database> Database::open(const std::filesystem::path& file) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Database db(raw);
  if (rc != SQLITE_OK) return std::unexpected(sqlite_error(raw, "cannot open the database " + file.string(), rc));
  sqlite3_busy_timeout(raw, 5000);
  // Two processes making the store at once (two `sagerun local` on a first run): switching a new
  // database to WAL answers SQLITE_BUSY at once to one of them, without the busy handler's wait.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    auto done = db.exec("PRAGMA journal_mode=WAL");
    if (done) break;
    if (sqlite3_errcode(raw) != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline)
      return std::unexpected(done.error());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (const char* pragma : {"PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
    if (auto done = db.exec(pragma); !done) return std::unexpected(done.error());
  }
  return db;
}

Expected<void> Database::exec(std::string_view sql) {
  char* message = nullptr;
  const std::string text(sql);
  if (const int rc = sqlite3_exec(m_db.get(), text.c_str(), nullptr, nullptr, &message); rc != SQLITE_OK) {
    sqlite3_free(message);
    return std::unexpected(sqlite_error(m_db.get(), "SQLite: " + text, rc));
  }
  return {};
}

Expected<Statement> Database::prepare(std::string_view sql) {
  auto& statements = m_cache->statements;
  auto found = statements.find(std::string(sql));
  if (found != statements.end() && !found->second.in_use) {
    found->second.in_use = true;
    return Statement(m_db.get(), found->second.statement, &found->second.in_use);
  }
  sqlite3_stmt* raw = nullptr;
  if (const int rc = sqlite3_prepare_v3(m_db.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                        &raw, nullptr);
      rc != SQLITE_OK) {
    return std::unexpected(sqlite_error(m_db.get(), "SQLite: cannot prepare '" + std::string(sql) + "'", rc));
  }
  if (found != statements.end() || statements.size() >= k_cached_statements) return Statement(m_db.get(), raw, nullptr);
  auto& cached = statements[std::string(sql)];
  cached = {raw, true};
  return Statement(m_db.get(), raw, &cached.in_use);
}

int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(m_db.get()); }

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(m_statement.get(), index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int index, int64_t value) {
  sqlite3_bind_int64(m_statement.get(), index, value);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(m_statement.get(), index, value);
  return *this;
}

Statement& Statement::bind(int index, std::optional<double> value) {
  if (value) return bind(index, *value);
  sqlite3_bind_null(m_statement.get(), index);
  return *this;
}

Expected<bool> Statement::step() {
  const int rc = sqlite3_step(m_statement.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  auto error = sqlite_error(m_db, std::string("SQLite: '") + sqlite3_sql(m_statement.get()) + "' failed", rc);
  sqlite3_reset(m_statement.get());
  return std::unexpected(error);
}

Expected<void> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
  }
  reset();
  return {};
}

void Statement::reset() {
  sqlite3_reset(m_statement.get());
  sqlite3_clear_bindings(m_statement.get());
}

Expected<std::vector<std::string>> Statement::first_column_texts() {
  std::vector<std::string> out;
  for (;;) {
    auto ready = step();
    if (!ready) return std::unexpected(ready.error());
    if (!*ready) return out;
    out.push_back(text(0));
  }
}

std::string Statement::text(int column) const {
  const auto* data = sqlite3_column_text(m_statement.get(), column);
  const int size = sqlite3_column_bytes(m_statement.get(), column);
  return data == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
}

int64_t Statement::integer(int column) const { return sqlite3_column_int64(m_statement.get(), column); }

double Statement::real(int column) const { return sqlite3_column_double(m_statement.get(), column); }

bool Statement::is_null(int column) const { return sqlite3_column_type(m_statement.get(), column) == SQLITE_NULL; }

Expected<Transaction> Transaction::begin(Database& db) {
  if (auto begun = db.exec("BEGIN IMMEDIATE"); !begun) return std::unexpected(begun.error());
  return Transaction(db);
}

Transaction::~Transaction() {
  if (m_db == nullptr) return;
  const auto rolled_back = m_db->exec("ROLLBACK"); // nothing to do if it fails: the connection undoes it
  static_cast<void>(rolled_back);
}

Expected<void> Transaction::commit() {
  Database* db = std::exchange(m_db, nullptr);
  if (auto done = db->exec("COMMIT"); !done) {
    const auto rolled_back = db->exec("ROLLBACK");
    static_cast<void>(rolled_back);
    return done;
  }
  return {};
}

} // namespace sagerun::store::sqlite
