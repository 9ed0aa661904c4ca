#pragma once
// Starting the process that runs one job folder to its end: `sagerun __run-job` in a session of
// its own (so it outlives whoever started it: `sagerun local --detach`, the API server), stdin
// from /dev/null, its output appended to the job folder's runner.log, no inherited descriptors.

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "util/error.hpp"

namespace sagerun::runner {

struct RunnerCommand {
  std::string sagerun;            // this program (/proc/self/exe)
  std::string runtime = "native"; // native | docker
  std::string docker = "docker";
  std::string s3_endpoint; // --endpoint-url for the runner's S3 client; empty: its environment's
  std::string region;
  std::string profile; // --profile for the runner's credentials; empty: its environment's
};

Expected<pid_t> spawn_detached_runner(const RunnerCommand& command, const std::filesystem::path& state_dir,
                                      const std::string& name);

} // namespace sagerun::runner
