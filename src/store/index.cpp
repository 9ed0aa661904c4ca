#include "store/index.hpp"

#include <sqlite3.h>

#include <utility>

#include "aws/crypto.hpp"
#include "job/service_error.hpp"
#include "util/text.hpp"

namespace sagerun::store {
namespace {

using nlohmann::json;

constexpr std::string_view k_schema = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  sequence INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  arn TEXT NOT NULL,
  origin TEXT NOT NULL,
  instances INTEGER NOT NULL,
  creation_time REAL NOT NULL,
  last_modified_time REAL NOT NULL,
  end_time REAL,
  status TEXT NOT NULL,
  secondary_status TEXT NOT NULL,
  stop_requested INTEGER NOT NULL DEFAULT 0,
  status_json TEXT NOT NULL
);
-- Apart from the status, so that a status write touches few pages (it must fit the reserve).
CREATE TABLE IF NOT EXISTS requests (
  sequence INTEGER PRIMARY KEY REFERENCES jobs (sequence) ON DELETE CASCADE,
  request TEXT NOT NULL
);
-- A job's tags, in the order first given (rowid); a value replaced keeps its key's place.
CREATE TABLE IF NOT EXISTS tags (
  sequence INTEGER NOT NULL REFERENCES jobs (sequence) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  UNIQUE (sequence, key)
);
CREATE INDEX IF NOT EXISTS jobs_by_creation ON jobs (creation_time, name);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, creation_time, name);
CREATE INDEX IF NOT EXISTS jobs_by_status_name ON jobs (status, name);
CREATE INDEX IF NOT EXISTS jobs_active ON jobs (sequence) WHERE status IN ('InProgress', 'Stopping');
-- The jobs that ran (the runner sets TrainingStartTime as the hosts start), for the metrics API's
-- listings: each has its hosts' instance metrics, and a job's own metrics come only from hosts
-- that ran. Built once over an older store's rows when it first opens; it replaces the index of
-- the jobs with MetricDefinitions, which missed the instance metrics of every other job.
CREATE INDEX IF NOT EXISTS jobs_that_ran ON jobs (sequence)
  WHERE json_extract(status_json, '$.TrainingStartTime') IS NOT NULL;
DROP INDEX IF EXISTS requests_with_metrics;
)sql";

constexpr std::string_view k_columns =
    "jobs.sequence, name, origin, instances, stop_requested, status_json, requests.request";

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// Up to this many NameContains matches, the page is read from their rows (by sequence, then
// sorted); beyond, the matches are common enough that SQLite's ordered scan, testing each
// name, fills a page within a few thousand rows.
constexpr size_t k_rare_matches = 1000;

util::Error bad_token(std::string message) { return job::validation_error(std::move(message)); }

std::string_view sort_name(SortBy by) {
  switch (by) {
  case SortBy::name: return "Name";
  case SortBy::status: return "Status";
  case SortBy::creation_time: break;
  }
  return "CreationTime";
}

// A job's place in the listing's order: (text, number, name), compared as a tuple; the token of
// a page is the key of its last job, so a job created between two pages shifts nothing.
struct SortKey {
  std::string text;
  double number = 0;
  std::string name;
};

std::string encode_token(const SortKey& key, const ListQuery& query) {
  const json token = {{"v", 1},
                      {"by", sort_name(query.sort_by)},
                      {"order", query.sort_order == SortOrder::ascending ? "Ascending" : "Descending"},
                      {"text", key.text},
                      {"number", key.number},
                      {"name", key.name}};
  return aws::base64_encode(token.dump());
}

Expected<SortKey> decode_token(const std::string& text, const ListQuery& query) {
  const auto invalid = [] {
    return std::unexpected(bad_token("Invalid pagination token: NextToken was not returned by this API"));
  };
  auto raw = aws::base64_decode(text);
  if (!raw) return invalid();
  const auto token = json::parse(*raw, nullptr, false);
  // Every field checked for its type before it is read: a token is the caller's to forge.
  const auto member = [&](const char* name, bool (json::*is_type)() const noexcept) -> const json* {
    if (!token.is_object()) return nullptr;
    const auto it = token.find(name);
    return it != token.end() && ((*it).*is_type)() ? &*it : nullptr;
  };
  const json* version = member("v", &json::is_number);
  const json* by = member("by", &json::is_string);
  const json* order = member("order", &json::is_string);
  const json* text_key = member("text", &json::is_string);
  const json* number = member("number", &json::is_number);
  const json* name = member("name", &json::is_string);
  if (version == nullptr || version->get<double>() != 1 || by == nullptr || order == nullptr || text_key == nullptr ||
      number == nullptr || name == nullptr) {
    return invalid();
  }
  const std::string expected_order = query.sort_order == SortOrder::ascending ? "Ascending" : "Descending";
  if (by->get_ref<const std::string&>() != sort_name(query.sort_by) ||
      order->get_ref<const std::string&>() != expected_order) {
    return std::unexpected(
        bad_token("Invalid pagination token: it belongs to a listing with another SortBy or SortOrder"));
  }
  return SortKey{text_key->get<std::string>(), number->get<double>(), name->get<std::string>()};
}

SortKey key_of(const JobSummary& job, SortBy by) {
  const std::string lower = util::ascii_lower(job.name);
  switch (by) {
  case SortBy::name: return {lower, 0, lower};
  case SortBy::status: return {std::string(job::to_string(job.status)), job.creation_time, lower};
  case SortBy::creation_time: break;
  }
  return {"", job.creation_time, lower};
}

} // namespace

std::string_view to_string(Origin origin) { return origin == Origin::server ? "server" : "local"; }

Expected<std::unique_ptr<Index>> Index::open(const std::filesystem::path& file) {
  auto db = sqlite::Database::open(file);
  if (!db) return std::unexpected(db.error());
  if (auto made = db->exec(k_schema); !made) return std::unexpected(made.error());
  std::unique_ptr<Index> index(new Index(std::move(*db)));
  if (auto upgraded = index->upgrade(); !upgraded) return std::unexpected(upgraded.error());
  return index;
}

Expected<void> Index::insert(JobRow& row) {
  std::lock_guard lock(m_mutex);
  auto transaction = sqlite::Transaction::begin(m_db);
  if (!transaction) return std::unexpected(transaction.error());
  if (auto inserted = insert_row(row); !inserted) return inserted;
  return transaction->commit();
}

Expected<void> Index::insert_all(std::vector<JobRow>& rows) {
  std::lock_guard lock(m_mutex);
  auto transaction = sqlite::Transaction::begin(m_db);
  if (!transaction) return std::unexpected(transaction.error());
  for (auto& row : rows)
    if (auto inserted = insert_row(row); !inserted) return inserted;
  return transaction->commit();
}

Expected<void> Index::insert_row(JobRow& row) {
  auto insert_job = m_db.prepare(
      "INSERT INTO jobs (name, arn, origin, instances, creation_time, last_modified_time, end_time, status, "
      "secondary_status, stop_requested, status_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!insert_job) return std::unexpected(insert_job.error());
  const auto& status = row.status;
  insert_job->bind(1, row.name)
      .bind(2, status.job_arn)
      .bind(3, to_string(row.origin))
      .bind(4, static_cast<int64_t>(row.instances))
      .bind(5, status.creation_time)
      .bind(6, status.last_modified_time)
      .bind(7, status.training_end_time)
      .bind(8, job::to_string(status.status))
      .bind(9, job::to_string(status.secondary_status))
      .bind(10, static_cast<int64_t>(row.stop_requested ? 1 : 0))
      .bind(11, dump(job::to_json(status)));
  if (auto done = insert_job->run(); !done) {
    if (done.error().code == sqlite::k_constraint) return std::unexpected(job::name_in_use(row.name));
    return done;
  }
  row.sequence = m_db.last_insert_rowid();
  auto insert_request = m_db.prepare("INSERT INTO requests (sequence, request) VALUES (?1, ?2)");
  if (!insert_request) return std::unexpected(insert_request.error());
  insert_request->bind(1, row.sequence).bind(2, dump(row.request));
  if (auto done = insert_request->run(); !done) return done;
  const auto tags = row.request.find("Tags");
  return tags == row.request.end() ? Expected<void>{} : insert_tags(row.sequence, job::read_tags(*tags));
}

Expected<void> Index::write_status(const std::string& name, const job::TrainingJobStatus& status) {
  std::lock_guard lock(m_mutex);
  auto update = m_db.prepare("UPDATE jobs SET last_modified_time = ?2, end_time = ?3, status = ?4, "
                             "secondary_status = ?5, status_json = ?6 WHERE name = ?1");
  if (!update) return std::unexpected(update.error());
  update->bind(1, name)
      .bind(2, status.last_modified_time)
      .bind(3, status.training_end_time)
      .bind(4, job::to_string(status.status))
      .bind(5, job::to_string(status.secondary_status))
      .bind(6, dump(job::to_json(status)));
  return update->run();
}

Expected<void> Index::request_stop(const std::string& name) {
  std::lock_guard lock(m_mutex);
  auto update = m_db.prepare("UPDATE jobs SET stop_requested = 1 WHERE name = ?1");
  if (!update) return std::unexpected(update.error());
  update->bind(1, name);
  return update->run();
}

Expected<void> Index::remove(const std::string& name) {
  std::lock_guard lock(m_mutex);
  auto remove = m_db.prepare("DELETE FROM jobs WHERE name = ?1");
  if (!remove) return std::unexpected(remove.error());
  remove->bind(1, name);
  return remove->run();
}

Expected<JobRow> Index::read_row(sqlite::Statement& select, bool with_request) {
  JobRow row;
  row.sequence = select.integer(0);
  row.name = select.text(1);
  row.origin = select.text(2) == "server" ? Origin::server : Origin::local;
  row.instances = static_cast<int>(select.integer(3));
  row.stop_requested = select.integer(4) != 0;
  row.status_json = select.text(5);
  auto status = job::status_from_json(json::parse(row.status_json, nullptr, false));
  if (!status) {
    return util::fail(util::ErrorKind::invalid_input,
                      "training job " + row.name + ": its stored status is damaged: " + status.error().message);
  }
  row.status = std::move(*status);
  if (with_request) {
    row.request = json::parse(select.text(6), nullptr, false);
    if (!row.request.is_object()) row.request = json::object();
  }
  return row;
}

std::optional<JobRow> Index::find(const std::string& name) {
  std::lock_guard lock(m_mutex);
  auto select = m_db.prepare("SELECT " + std::string(k_columns) +
                             " FROM jobs LEFT JOIN requests ON requests.sequence = jobs.sequence WHERE name = ?1");
  if (!select) return std::nullopt;
  select->bind(1, name);
  auto found = select->step();
  if (!found || !*found) return std::nullopt;
  auto row = read_row(*select, true);
  if (!row) return std::nullopt;
  return std::move(*row);
}

std::optional<StatusVersion> Index::status_version(const std::string& name) {
  std::lock_guard lock(m_mutex);
  auto select = m_db.prepare("SELECT sequence, status_json FROM jobs WHERE name = ?1");
  if (!select) return std::nullopt;
  select->bind(1, name);
  auto found = select->step();
  if (!found || !*found) return std::nullopt;
  return StatusVersion{select->integer(0), select->text(1)};
}

Expected<std::vector<JobRow>> Index::select_rows(const std::string& sql, bool with_request) {
  auto select = m_db.prepare(sql);
  if (!select) return std::unexpected(select.error());
  std::vector<JobRow> rows;
  for (;;) {
    auto step = select->step();
    if (!step) return std::unexpected(step.error());
    if (!*step) break;
    auto row = read_row(*select, with_request);
    if (row) rows.push_back(std::move(*row));
  }
  return rows;
}

Expected<std::vector<JobRow>> Index::active() {
  std::lock_guard lock(m_mutex);
  return select_rows("SELECT " + std::string(k_columns) +
                         " FROM jobs LEFT JOIN requests ON requests.sequence = jobs.sequence"
                         " WHERE status IN ('InProgress', 'Stopping') ORDER BY jobs.sequence",
                     true);
}

Expected<std::vector<std::string>> Index::running() {
  std::lock_guard lock(m_mutex);
  auto select = m_db.prepare("SELECT name FROM jobs WHERE status IN ('InProgress', 'Stopping') AND "
                             "secondary_status != 'Pending' ORDER BY sequence");
  if (!select) return std::unexpected(select.error());
  return select->first_column_texts();
}

Expected<std::vector<LogSource>> Index::log_sources(const std::string& prefix) {
  std::string pattern;
  for (const char c : prefix) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  std::lock_guard lock(m_mutex);
  auto select = m_db.prepare("SELECT name, creation_time, instances FROM jobs WHERE name LIKE ?1 ESCAPE '\\' "
                             "ORDER BY name");
  if (!select) return std::unexpected(select.error());
  select->bind(1, pattern + "%");
  std::vector<LogSource> sources;
  for (;;) {
    auto step = select->step();
    if (!step) return std::unexpected(step.error());
    if (!*step) break;
    LogSource source{select->text(0), select->real(1), static_cast<int>(select->integer(2))};
    if (source.name.starts_with(prefix)) sources.push_back(std::move(source)); // LIKE ignores case
  }
  return sources;
}

Expected<std::vector<MetricSource>> Index::metric_sources(int64_t after_sequence, size_t limit) {
  std::lock_guard lock(m_mutex);
  // The WHERE term is the partial index's own, so SQLite reads that index.
  auto select = m_db.prepare("SELECT sequence, name, instances FROM jobs "
                             "WHERE json_extract(status_json, '$.TrainingStartTime') IS NOT NULL "
                             "AND sequence > ?1 ORDER BY sequence LIMIT ?2");
  if (!select) return std::unexpected(select.error());
  select->bind(1, after_sequence);
  select->bind(2, static_cast<int64_t>(limit));
  std::vector<MetricSource> sources;
  for (;;) {
    auto step = select->step();
    if (!step) return std::unexpected(step.error());
    if (!*step) break;
    sources.push_back({select->integer(0), select->text(1), static_cast<int>(select->integer(2))});
  }
  return sources;
}

Expected<std::optional<std::string>> Index::rare_matches(const std::string& lowered) {
  if (lowered.find('\n') != std::string::npos) return std::nullopt; // the buffer's separator
  if (auto caught_up = m_names.catch_up(m_db); !caught_up) return std::unexpected(caught_up.error());
  const auto found = m_names.matching(lowered, k_rare_matches);
  if (!found) return std::nullopt;
  std::string array = "[";
  for (const int64_t sequence : *found)
    array += (array.size() > 1 ? "," : "") + std::to_string(sequence);
  return array + "]";
}

Expected<ListPage> Index::list(const ListQuery& query) {
  std::optional<SortKey> after;
  if (!query.next_token.empty()) {
    auto decoded = decode_token(query.next_token, query);
    if (!decoded) return std::unexpected(decoded.error());
    after = std::move(*decoded);
  }
  const bool descending = query.sort_order == SortOrder::descending;
  std::string order_columns;
  std::string key_columns;
  switch (query.sort_by) {
  case SortBy::name:
    order_columns = "name";
    key_columns = "(name)";
    break;
  case SortBy::status:
    order_columns = "status, creation_time, name";
    key_columns = "(status, creation_time, name)";
    break;
  case SortBy::creation_time:
    order_columns = "creation_time, name";
    key_columns = "(creation_time, name)";
    break;
  }
  std::lock_guard lock(m_mutex);
  // Parameters by number: ?1 name, ?2 status, ?3–?6 times, ?7–?9 the token's key, ?10 the
  // limit, ?11 the sequences of the jobs whose names match (a JSON array).
  std::optional<std::string> matches;
  if (query.name_contains) {
    auto found = rare_matches(util::ascii_lower(*query.name_contains));
    if (!found) return std::unexpected(found.error());
    matches = std::move(*found);
  }
  std::string sql = "SELECT name, arn, status, secondary_status, creation_time, last_modified_time, end_time FROM ";
  // CROSS JOIN: the matches drive the loop, each job read by its key, whatever the order.
  sql +=
      matches ? "json_each(?11) AS matches CROSS JOIN jobs ON jobs.sequence = matches.value WHERE 1" : "jobs WHERE 1";
  if (query.name_contains && !matches) sql += " AND instr(lower(name), lower(?1)) > 0";
  if (query.status_equals) sql += " AND status = ?2";
  if (query.creation_after) sql += " AND creation_time > ?3";
  if (query.creation_before) sql += " AND creation_time < ?4";
  if (query.modified_after) sql += " AND last_modified_time > ?5";
  if (query.modified_before) sql += " AND last_modified_time < ?6";
  if (after) {
    std::string values;
    switch (query.sort_by) {
    case SortBy::name: values = "(?9)"; break;
    case SortBy::status: values = "(?7, ?8, ?9)"; break;
    case SortBy::creation_time: values = "(?8, ?9)"; break;
    }
    sql += " AND " + key_columns + (descending ? " < " : " > ") + values;
  }
  std::string ordering;
  for (size_t start = 0; start < order_columns.size();) {
    const auto comma = order_columns.find(", ", start);
    ordering +=
        (ordering.empty() ? "" : ", ") + order_columns.substr(start, comma - start) + (descending ? " DESC" : " ASC");
    start = comma == std::string::npos ? order_columns.size() : comma + 2;
  }
  sql += " ORDER BY " + ordering + " LIMIT ?10";

  auto select = m_db.prepare(sql);
  if (!select) return std::unexpected(select.error());
  if (matches)
    select->bind(11, *matches);
  else if (query.name_contains)
    select->bind(1, *query.name_contains);
  if (query.status_equals) select->bind(2, job::to_string(*query.status_equals));
  if (query.creation_after) select->bind(3, *query.creation_after);
  if (query.creation_before) select->bind(4, *query.creation_before);
  if (query.modified_after) select->bind(5, *query.modified_after);
  if (query.modified_before) select->bind(6, *query.modified_before);
  if (after) {
    if (query.sort_by == SortBy::status) select->bind(7, after->text);
    if (query.sort_by != SortBy::name) select->bind(8, after->number);
    select->bind(9, after->name);
  }
  select->bind(10, static_cast<int64_t>(query.max_results) + 1);
  ListPage page;
  for (;;) {
    auto step = select->step();
    if (!step) return std::unexpected(step.error());
    if (!*step) break;
    JobSummary job;
    job.name = select->text(0);
    job.arn = select->text(1);
    job.status = job::parse_job_status(select->text(2)).value_or(job::JobStatus::in_progress);
    job.secondary_status = job::parse_secondary_status(select->text(3)).value_or(job::SecondaryStatus::starting);
    job.creation_time = select->real(4);
    job.last_modified_time = select->real(5);
    if (!select->is_null(6)) job.end_time = select->real(6);
    page.jobs.push_back(std::move(job));
  }
  if (std::cmp_greater(page.jobs.size(), query.max_results)) {
    page.jobs.resize(static_cast<size_t>(query.max_results));
    page.next_token = encode_token(key_of(page.jobs.back(), query.sort_by), query);
  }
  return page;
}

std::optional<IndexVersion> Index::version() {
  std::lock_guard lock(m_mutex);
  auto select = m_db.prepare("PRAGMA data_version");
  if (!select) return std::nullopt;
  auto step = select->step();
  if (!step || !*step) return std::nullopt;
  return IndexVersion{select->integer(0), static_cast<int64_t>(sqlite3_total_changes64(m_db.handle()))};
}

} // namespace sagerun::store
