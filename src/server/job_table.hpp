#pragma once
// Every training job the server knows, in memory for fast reads and written through to the
// SQLite store on every change. DescribeTrainingJob's response is kept ready per job and rebuilt
// only when the job changes, so the hot read is a lookup and a copy. Names are looked up
// regardless of case, as the service does. Thread-safe: reads share a lock, writes take it alone.

#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "job/request.hpp"
#include "server/store.hpp"
#include "util/error.hpp"

namespace sagerun::server {

// One row of ListTrainingJobs.
struct JobSummary {
  std::string name;
  std::string arn;
  std::string status;
  std::string secondary_status;
  double creation_time = 0;
  double last_modified_time = 0;
  std::optional<double> end_time;
};

// What the logs API needs to know of a job.
struct LogSource {
  std::string name;
  double creation_time = 0;
  int instances = 1;
};

class JobTable {
public:
  explicit JobTable(Store store) : m_store(std::move(store)) {}

  // Fills the table from the store; returns the records (for the scheduler to reconcile).
  Expected<std::vector<JobRecord>> load();

  bool contains(const std::string& name) const;
  // Persists a new job (setting its sequence), then shows it. The caller checked the name.
  Expected<void> insert(JobRecord& record);
  // Persists a changed job, then shows it.
  Expected<void> update(const JobRecord& record);

  std::optional<JobRecord> get(const std::string& name) const;
  // DescribeTrainingJob's response body.
  std::optional<std::string> describe(const std::string& name) const;
  std::vector<JobSummary> summaries() const;
  std::optional<LogSource> log_source(const std::string& name) const;
  std::vector<LogSource> log_sources() const;

private:
  struct Entry {
    JobRecord record;
    std::string describe;
  };
  static std::string key(const std::string& name);
  static Entry make_entry(JobRecord record);

  Store m_store;
  mutable std::shared_mutex m_mutex;
  std::map<std::string, Entry> m_jobs; // by lower-cased name
};

} // namespace sagerun::server
