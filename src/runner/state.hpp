#pragma once
// The state folder of local jobs ($SAGERUN_HOME, default ~/.sagerun):
//   jobs/<name>/request.json      the CreateTrainingJob request (AWS JSON)
//   jobs/<name>/status.json       the status in DescribeTrainingJob's terms, written atomically
//   jobs/<name>/runner.pid        the process supervising the job while it runs
//   jobs/<name>/hosts/algo-N/     each host's /opt/ml tree
//   jobs/<name>/logs/algo-N.log   each host's output, byte for byte
//   jobs/<name>/logs/algo-N.events  the same as timestamped lines ("<epoch ms>\t<line>")
// A job's folder is created with mkdir, which fails when the name is taken: job names are unique.

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "job/request.hpp"
#include "job/status.hpp"
#include "util/environment.hpp"
#include "util/error.hpp"

namespace sagerun::runner {

namespace fs = std::filesystem;

fs::path state_root(const util::EnvMap& env);

class JobFolder {
public:
  JobFolder(fs::path root, std::string name) : m_root(std::move(root)), m_name(std::move(name)) {}

  // Creates the folder; ErrorKind::invalid_input (ResourceInUse) when the name exists.
  Expected<void> create() const;
  bool exists() const;

  const std::string& name() const { return m_name; }
  fs::path folder() const { return m_root / "jobs" / m_name; }
  fs::path host_tree(int host_index) const; // 0-based index → hosts/algo-(index+1)
  fs::path log_file(int host_index) const;
  fs::path events_file(int host_index) const; // timestamped lines, for CloudWatch Logs

  fs::path work_folder() const { return folder() / "work"; }

  Expected<void> write_request(const job::TrainingJobRequest& request) const;
  Expected<job::TrainingJobRequest> read_request() const;
  Expected<void> write_status(const job::TrainingJobStatus& status) const;
  Expected<job::TrainingJobStatus> read_status() const;

  Expected<void> write_runner_pid(pid_t pid) const;
  // The pid of the process supervising the job, when that process is still alive.
  std::optional<pid_t> live_runner_pid() const;

private:
  fs::path m_root;
  std::string m_name;
};

// Ends a job that can no longer run (its runner failed or vanished): Failed, with `reason`.
void mark_failed(const JobFolder& folder, const std::string& reason);

// The job's status, reconciled: a job still InProgress/Stopping whose runner is gone is
// recorded as Failed (the runner was killed), so no job stays "running" forever.
Expected<job::TrainingJobStatus> read_reconciled_status(const JobFolder& folder);

// Names of every local job, newest first (by creation time).
std::vector<std::string> list_job_names(const fs::path& root);

std::string host_name(int host_index); // 0 → "algo-1"

} // namespace sagerun::runner
