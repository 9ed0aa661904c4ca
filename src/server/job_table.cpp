#include "server/job_table.hpp"

#include <algorithm>
#include <mutex>

#include "server/json_text.hpp"

namespace sagerun::server {

std::string JobTable::key(const std::string& name) {
  std::string lower = name;
  std::ranges::transform(lower, lower.begin(),
                         [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return lower;
}

JobTable::Entry JobTable::make_entry(JobRecord record) {
  // The request was validated when it was created; a typed view that cannot be rebuilt (a
  // damaged row) still describes the job from the request as stored.
  auto request = job::parse_request(record.request, job::UriPolicy::local);
  job::TrainingJobRequest view;
  if (request) {
    view = std::move(*request);
  } else {
    view.raw = record.request;
  }
  Entry entry{std::move(record), {}};
  entry.describe = json_text(job::describe_json(view, entry.record.status));
  return entry;
}

Expected<std::vector<JobRecord>> JobTable::load() {
  auto records = m_store.load();
  if (!records) return records;
  std::unique_lock lock(m_mutex);
  m_jobs.clear();
  for (const auto& record : *records)
    m_jobs.emplace(key(record.name), make_entry(record));
  return records;
}

bool JobTable::contains(const std::string& name) const {
  std::shared_lock lock(m_mutex);
  return m_jobs.contains(key(name));
}

Expected<void> JobTable::insert(JobRecord& record) {
  Entry entry = make_entry(record);
  std::unique_lock lock(m_mutex);
  if (auto stored = m_store.insert(record); !stored) return stored;
  entry.record.sequence = record.sequence;
  m_jobs.insert_or_assign(key(record.name), std::move(entry));
  return {};
}

Expected<void> JobTable::update(const JobRecord& record) {
  Entry entry = make_entry(record);
  std::unique_lock lock(m_mutex);
  if (auto stored = m_store.update(record); !stored) return stored;
  m_jobs.insert_or_assign(key(record.name), std::move(entry));
  return {};
}

std::optional<JobRecord> JobTable::get(const std::string& name) const {
  std::shared_lock lock(m_mutex);
  const auto it = m_jobs.find(key(name));
  if (it == m_jobs.end()) return std::nullopt;
  return it->second.record;
}

std::optional<std::string> JobTable::describe(const std::string& name) const {
  std::shared_lock lock(m_mutex);
  const auto it = m_jobs.find(key(name));
  if (it == m_jobs.end()) return std::nullopt;
  return it->second.describe;
}

std::vector<JobSummary> JobTable::summaries() const {
  std::shared_lock lock(m_mutex);
  std::vector<JobSummary> out;
  out.reserve(m_jobs.size());
  for (const auto& [name, entry] : m_jobs) {
    const auto& status = entry.record.status;
    out.push_back({status.job_name, status.job_arn, status.status, status.secondary_status, status.creation_time,
                   status.last_modified_time, status.training_end_time});
  }
  return out;
}

std::optional<LogSource> JobTable::log_source(const std::string& name) const {
  std::shared_lock lock(m_mutex);
  const auto it = m_jobs.find(key(name));
  if (it == m_jobs.end()) return std::nullopt;
  const auto& record = it->second.record;
  return LogSource{record.name, record.status.creation_time, record.instances};
}

std::vector<LogSource> JobTable::log_sources() const {
  std::shared_lock lock(m_mutex);
  std::vector<LogSource> out;
  out.reserve(m_jobs.size());
  for (const auto& [name, entry] : m_jobs)
    out.push_back({entry.record.name, entry.record.status.creation_time, entry.record.instances});
  return out;
}

} // namespace sagerun::server
