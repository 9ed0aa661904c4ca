#include "server/sqlite.hpp"

#include <sqlite3.h>

namespace sagerun::server::sqlite {
namespace {

util::Error sqlite_error(sqlite3* db, std::string_view what) {
  return {util::ErrorKind::io, std::string(what) + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory")};
}

} // namespace

void Database::Close::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

void Statement::Finalize::operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }

Expected<Database> Database::open(const std::filesystem::path& file) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Database db(raw);
  if (rc != SQLITE_OK) return std::unexpected(sqlite_error(raw, "cannot open the database " + file.string()));
  sqlite3_busy_timeout(raw, 5000);
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
    if (auto done = db.exec(pragma); !done) return std::unexpected(done.error());
  }
  return db;
}

Expected<void> Database::exec(std::string_view sql) {
  char* message = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(m_db.get(), text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string reason = message != nullptr ? message : sqlite3_errmsg(m_db.get());
    sqlite3_free(message);
    return util::fail(util::ErrorKind::io, "SQLite: " + reason + " (in: " + text + ")");
  }
  return {};
}

Expected<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v3(m_db.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw,
                         nullptr) != SQLITE_OK) {
    return std::unexpected(sqlite_error(m_db.get(), "SQLite: cannot prepare '" + std::string(sql) + "'"));
  }
  return Statement(m_db.get(), raw);
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

Expected<bool> Statement::step() {
  const int rc = sqlite3_step(m_statement.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  auto error = sqlite_error(m_db, std::string("SQLite: '") + sqlite3_sql(m_statement.get()) + "' failed");
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

std::string Statement::text(int column) const {
  const auto* data = sqlite3_column_text(m_statement.get(), column);
  const int size = sqlite3_column_bytes(m_statement.get(), column);
  return data == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
}

int64_t Statement::integer(int column) const { return sqlite3_column_int64(m_statement.get(), column); }

double Statement::real(int column) const { return sqlite3_column_double(m_statement.get(), column); }

} // namespace sagerun::server::sqlite
