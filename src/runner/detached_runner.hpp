#pragma once
// Starting the process that runs one job to its end: `sagerun __run-job` in a session of its own
// (so it outlives whoever started it: `sagerun local --detach`, the API server), stdin from
// /dev/null, its output appended to the job folder's runner.log, and no inherited descriptor but
// the job's lock: the very lock its creator holds passes to it (descriptor 3), so the job never
// looks abandoned in between.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "store/runner_lock.hpp"
#include "util/error.hpp"

namespace sagerun::runner {

struct RunnerCommand {
  std::string sagerun;            // this program (/proc/self/exe)
  std::string runtime = "native"; // native | docker
  std::string docker = "docker";
  std::string s3_endpoint; // --endpoint-url for the runner's S3 client; empty: its environment's
  std::string region;
  std::string profile;             // --profile for the runner's credentials; empty: its environment's
  bool job_credentials = true;     // false: the jobs get no credentials endpoint (--no-job-credentials)
  std::vector<std::string> hidden; // more files or folders the hosts must not see (--hide PATH)
  double machine_cpus = 0;         // --machine-cpus, when set (> 0)
  double machine_memory_gib = 0;   // --machine-memory-gib, when set
  int machine_gpus = -1;           // --machine-gpus, when set (>= 0)
  int64_t interrupt_after = 0;     // > 0: the spot rehearsal (--interrupt-after SECONDS)
  int interruptions = 1;
};

Expected<pid_t> spawn_detached_runner(const RunnerCommand& command, const std::filesystem::path& store_root,
                                      const std::string& name, const store::JobLock& lock);

// The descriptor the runner finds the lock on.
inline constexpr int k_lock_fd = 3;

} // namespace sagerun::runner
