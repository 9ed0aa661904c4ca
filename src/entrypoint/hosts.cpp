#include "entrypoint/hosts.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>

#include "util/log.hpp"

namespace sagerun::entrypoint {

bool host_resolves(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &result);
  if (result != nullptr) ::freeaddrinfo(result);
  return rc == 0;
}

HostWaitResult wait_for_hosts(const std::vector<std::string>& hosts, const std::string& current,
                              std::chrono::seconds limit, Supervisor& supervisor) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + limit;
  for (const auto& host : hosts) {
    if (host == current) continue;
    auto delay = std::chrono::milliseconds(100);
    for (int attempt = 1; !host_resolves(host); ++attempt) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return {HostWait::timed_out, host, 0};
      const auto pause = std::min(delay, left);
      if ((attempt & (attempt - 1)) == 0) { // attempts 1, 2, 4, 8, ...: a few lines, not a flood
        util::log::info("waiting for host " + host + " to resolve (attempt " + std::to_string(attempt) +
                        ", retrying in " + std::to_string(pause.count()) + " ms)");
      }
      if (const int sig = supervisor.sleep_unless_stopped(pause)) return {HostWait::stopped, host, sig};
      delay = std::min(delay * 2, std::chrono::milliseconds(5000));
    }
  }
  return {};
}

} // namespace sagerun::entrypoint
