#include "server/store.hpp"

#include "server/json_text.hpp"

namespace sagerun::server {
namespace {

constexpr std::string_view k_schema = R"sql(
CREATE TABLE IF NOT EXISTS training_jobs (
  sequence INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  creation_time REAL NOT NULL,
  last_modified_time REAL NOT NULL,
  status TEXT NOT NULL,
  secondary_status TEXT NOT NULL,
  instances INTEGER NOT NULL,
  phase TEXT NOT NULL,
  runner_pid INTEGER NOT NULL DEFAULT 0,
  stop_requested INTEGER NOT NULL DEFAULT 0,
  request TEXT NOT NULL,
  status_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS training_jobs_phase ON training_jobs (phase);
)sql";

Expected<Phase> parse_phase(const std::string& text) {
  if (text == "queued") return Phase::queued;
  if (text == "running") return Phase::running;
  if (text == "done") return Phase::done;
  return util::fail(util::ErrorKind::invalid_input, "training_jobs.phase: unknown value '" + text + "'");
}

} // namespace

std::string_view phase_name(Phase phase) {
  switch (phase) {
  case Phase::queued: return "queued";
  case Phase::running: return "running";
  case Phase::done: return "done";
  }
  return "done";
}

Expected<Store> Store::open(const std::filesystem::path& file) {
  auto db = sqlite::Database::open(file);
  if (!db) return std::unexpected(db.error());
  if (auto made = db->exec(k_schema); !made) return std::unexpected(made.error());
  auto insert = db->prepare("INSERT INTO training_jobs (name, creation_time, last_modified_time, status, "
                            "secondary_status, instances, phase, runner_pid, stop_requested, request, status_json) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!insert) return std::unexpected(insert.error());
  auto update = db->prepare("UPDATE training_jobs SET last_modified_time = ?2, status = ?3, secondary_status = ?4, "
                            "phase = ?5, runner_pid = ?6, stop_requested = ?7, status_json = ?8 WHERE name = ?1");
  if (!update) return std::unexpected(update.error());
  return Store(std::move(*db), std::move(*insert), std::move(*update));
}

Expected<std::vector<JobRecord>> Store::load() {
  auto select = m_db.prepare("SELECT sequence, name, instances, phase, runner_pid, stop_requested, request, "
                             "status_json FROM training_jobs ORDER BY sequence");
  if (!select) return std::unexpected(select.error());
  std::vector<JobRecord> records;
  for (;;) {
    auto row = select->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    JobRecord record;
    record.sequence = select->integer(0);
    record.name = select->text(1);
    record.instances = static_cast<int>(select->integer(2));
    auto phase = parse_phase(select->text(3));
    if (!phase) return std::unexpected(phase.error());
    record.phase = *phase;
    record.runner_pid = static_cast<pid_t>(select->integer(4));
    record.stop_requested = select->integer(5) != 0;
    record.request = nlohmann::json::parse(select->text(6), nullptr, false);
    const auto status_json = nlohmann::json::parse(select->text(7), nullptr, false);
    if (record.request.is_discarded() || status_json.is_discarded()) {
      return util::fail(util::ErrorKind::invalid_input, "training job " + record.name + ": its stored JSON is damaged");
    }
    auto status = job::status_from_json(status_json);
    if (!status) return util::fail(status.error().kind, "training job " + record.name + ": " + status.error().message);
    record.status = std::move(*status);
    records.push_back(std::move(record));
  }
  return records;
}

Expected<void> Store::insert(JobRecord& record) {
  m_insert.bind(1, record.name)
      .bind(2, record.status.creation_time)
      .bind(3, record.status.last_modified_time)
      .bind(4, record.status.status)
      .bind(5, record.status.secondary_status)
      .bind(6, static_cast<int64_t>(record.instances))
      .bind(7, phase_name(record.phase))
      .bind(8, static_cast<int64_t>(record.runner_pid))
      .bind(9, static_cast<int64_t>(record.stop_requested ? 1 : 0))
      .bind(10, json_text(record.request))
      .bind(11, json_text(job::to_json(record.status)));
  if (auto done = m_insert.run(); !done) return done;
  record.sequence = m_db.last_insert_rowid();
  return {};
}

Expected<void> Store::update(const JobRecord& record) {
  m_update.bind(1, record.name)
      .bind(2, record.status.last_modified_time)
      .bind(3, record.status.status)
      .bind(4, record.status.secondary_status)
      .bind(5, phase_name(record.phase))
      .bind(6, static_cast<int64_t>(record.runner_pid))
      .bind(7, static_cast<int64_t>(record.stop_requested ? 1 : 0))
      .bind(8, json_text(job::to_json(record.status)));
  return m_update.run();
}

} // namespace sagerun::server
