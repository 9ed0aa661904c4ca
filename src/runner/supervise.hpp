#pragma once
// Watching a job's hosts while they train: their output to the logs, stop requests, the
// MaxRuntime deadline, a failing host — each ends in SIGTERM to every host, then after the grace
// period the runtime's kill (at once on a second stop request).

#include <chrono>
#include <optional>
#include <vector>

#include "runner/host_logs.hpp"
#include "runner/runtime.hpp"
#include "runner/stop_watcher.hpp"

namespace sagerun::runner {

// interrupted: the spot rehearsal reclaimed the hosts; max_wait: MaxWaitTimeInSeconds passed.
enum class StopReason { none, requested, max_runtime, host_failed, interrupted, max_wait };

struct HostRun {
  HostLaunch launch;
  ChildProcess process;
  HostLog log;
};

struct SuperviseOptions {
  std::chrono::steady_clock::time_point deadline;                     // MaxRuntime
  std::optional<std::chrono::steady_clock::time_point> wait_deadline; // MaxWaitTime (spot)
  std::optional<std::chrono::steady_clock::time_point> interrupt_at;  // the spot rehearsal's reclaim
  std::chrono::seconds grace{120};
  const StopWatcher* stops = nullptr;
};

struct SuperviseResult {
  StopReason reason = StopReason::none;
  std::vector<int> exit_codes; // per host
  // StopReason::host_failed: the host whose failure stopped the others (theirs follow from it).
  std::optional<size_t> first_failed;
};

// Runs until every host has ended.
SuperviseResult supervise(std::vector<HostRun>& hosts, Runtime& runtime, const SuperviseOptions& options);

} // namespace sagerun::runner
