#pragma once
// Multi-host jobs: before the script starts, every peer's name must resolve.

#include <chrono>
#include <string>
#include <vector>

#include "entrypoint/supervisor.hpp"

namespace sagerun::entrypoint {

enum class HostWait { resolved, timed_out, stopped };

struct HostWaitResult {
  HostWait outcome = HostWait::resolved;
  std::string unresolved; // the host that never resolved
  int stop_signal = 0;
};

// Resolves each host but `current`, retrying with exponential backoff (100 ms doubling, at most
// 5 s apart) until all resolve, `limit` passes, or a stop signal arrives.
HostWaitResult wait_for_hosts(const std::vector<std::string>& hosts, const std::string& current,
                              std::chrono::seconds limit, Supervisor& supervisor);

bool host_resolves(const std::string& host);

} // namespace sagerun::entrypoint
