#pragma once
// The server's durable state: one SQLite row per training job (the request as given, the status
// in DescribeTrainingJob's terms, and where the scheduler has it). Every change is committed
// before the API answers, so a restart, even after SIGKILL, loses no job.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "job/status.hpp"
#include "server/sqlite.hpp"
#include "util/error.hpp"

namespace sagerun::server {

// Where the scheduler has a job: waiting for capacity, handed to a runner, or ended.
enum class Phase { queued, running, done };

std::string_view phase_name(Phase phase);

struct JobRecord {
  int64_t sequence = 0; // creation order, given by the store
  std::string name;
  nlohmann::json request; // the CreateTrainingJob request, validated
  job::TrainingJobStatus status;
  int instances = 1;
  Phase phase = Phase::queued;
  pid_t runner_pid = 0;
  bool stop_requested = false;
};

class Store {
public:
  // Opens (creating) the database file and its schema.
  static Expected<Store> open(const std::filesystem::path& file);

  // Every job, in creation order.
  Expected<std::vector<JobRecord>> load();
  // Adds a job and sets its sequence; names are unique regardless of case.
  Expected<void> insert(JobRecord& record);
  Expected<void> update(const JobRecord& record);

private:
  Store(sqlite::Database db, sqlite::Statement insert, sqlite::Statement update)
      : m_db(std::move(db)), m_insert(std::move(insert)), m_update(std::move(update)) {}
  sqlite::Database m_db;
  sqlite::Statement m_insert;
  sqlite::Statement m_update;
};

} // namespace sagerun::server
