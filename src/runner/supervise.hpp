#pragma once
// Watching a job's hosts while they train: their output to the logs, stop requests (a
// signal), the MaxRuntime deadline, a failing host — each ends in SIGTERM to every host, then
// after the grace period the runtime's kill.

#include <chrono>
#include <vector>

#include "runner/host_logs.hpp"
#include "runner/runtime.hpp"

namespace sagerun::runner {

enum class StopReason { none, requested, max_runtime, host_failed };

struct HostRun {
  HostLaunch launch;
  ChildProcess process;
  HostLog log;
};

struct SuperviseOptions {
  std::chrono::steady_clock::time_point deadline; // MaxRuntime
  std::chrono::seconds grace{120};
  int signal_fd = -1;
};

struct SuperviseResult {
  StopReason reason = StopReason::none;
  std::vector<int> exit_codes; // per host
};

// Runs until every host has ended. `on_stopping` is called once when a stop request arrives
// (to record the Stopping status).
SuperviseResult supervise(std::vector<HostRun>& hosts, Runtime& runtime, const SuperviseOptions& options,
                          const std::function<void()>& on_stopping);

} // namespace sagerun::runner
