#include "runner/supervise.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "job/status.hpp"

namespace sagerun::runner {
namespace {

using Clock = std::chrono::steady_clock;

// Reads what is there; false at end of output.
bool drain(HostRun& host) {
  char buffer[64 * 1024];
  while (true) {
    const ssize_t got = ::read(host.process.output_fd(), buffer, sizeof buffer);
    if (got > 0) {
      host.log.write(std::string_view(buffer, static_cast<size_t>(got)), job::now_seconds());
      continue;
    }
    if (got < 0 && (errno == EINTR)) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    host.log.finish(job::now_seconds());
    host.process.close_output();
    return false;
  }
}

int milliseconds_until(Clock::time_point when, Clock::time_point now) {
  if (when <= now) return 0;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when - now).count();
  return static_cast<int>(std::min<long long>(ms + 1, 1000));
}

} // namespace

SuperviseResult supervise(std::vector<HostRun>& hosts, Runtime& runtime, const SuperviseOptions& options) {
  SuperviseResult result;
  std::optional<Clock::time_point> terminated_at;
  bool killed = false;
  // Once every host has exited, output a grandchild still holds open is read for a moment more.
  std::optional<Clock::time_point> all_exited_at;

  auto terminate_all = [&](StopReason reason) {
    if (result.reason != StopReason::none) return;
    result.reason = reason;
    terminated_at = Clock::now();
    for (auto& host : hosts)
      host.process.signal(SIGTERM);
  };

  while (true) {
    std::vector<pollfd> fds;
    std::vector<HostRun*> owners;
    for (auto& host : hosts) {
      if (host.process.output_fd() < 0) continue;
      fds.push_back({host.process.output_fd(), POLLIN, 0});
      owners.push_back(&host);
    }
    // Exits are delivered through each host's pidfd (SIGCHLD stays with train's own code).
    for (auto& host : hosts) {
      if (host.process.exit_fd() >= 0) fds.push_back({host.process.exit_fd(), POLLIN, 0});
    }
    if (options.stops != nullptr) fds.push_back({options.stops->event_fd(), POLLIN, 0});

    const auto now = Clock::now();
    int timeout = 1000;
    if (std::any_of(hosts.begin(), hosts.end(),
                    [](const HostRun& host) { return host.process.running() && host.process.exit_fd() < 0; })) {
      // No pidfds here: exits are looked for. A host whose output has ended is about to exit (a
      // PID namespace's process 1 becomes waitable a few milliseconds after its pipe closes).
      const bool exit_near = std::any_of(hosts.begin(), hosts.end(), [](const HostRun& host) {
        return host.process.output_fd() < 0 && host.process.running();
      });
      timeout = exit_near ? 2 : 200;
    }
    if (result.reason == StopReason::none) {
      timeout = std::min(timeout, milliseconds_until(options.deadline, now));
      for (const auto& when : {options.wait_deadline, options.interrupt_at})
        if (when) timeout = std::min(timeout, milliseconds_until(*when, now));
    }
    if (terminated_at && !killed) timeout = std::min(timeout, milliseconds_until(*terminated_at + options.grace, now));
    ::poll(fds.data(), fds.size(), timeout);

    for (size_t i = 0; i < owners.size(); ++i) {
      if (fds[i].revents != 0) drain(*owners[i]);
    }
    if (options.stops != nullptr && (fds.back().revents & POLLIN) != 0) {
      uint64_t count = 0;
      (void)::read(options.stops->event_fd(), &count, sizeof count);
    }
    if (options.stops != nullptr && options.stops->requested()) {
      if (result.reason == StopReason::none) {
        terminate_all(StopReason::requested);
      } else if (!killed && options.stops->stops() > 1) {
        // A second Ctrl-C: no more grace.
        for (auto& host : hosts)
          runtime.kill(host.launch, host.process);
        killed = true;
      }
    }

    bool all_exited = true;
    for (size_t i = 0; i < hosts.size(); ++i) {
      auto code = hosts[i].process.poll_exit();
      if (!code) {
        all_exited = false;
        continue;
      }
      if (*code != 0 && result.reason == StopReason::none) {
        result.first_failed = i;
        terminate_all(StopReason::host_failed);
      }
    }
    const auto after = Clock::now();
    if (result.reason == StopReason::none && options.wait_deadline && after >= *options.wait_deadline)
      terminate_all(StopReason::max_wait);
    if (result.reason == StopReason::none && after >= options.deadline) terminate_all(StopReason::max_runtime);
    if (result.reason == StopReason::none && options.interrupt_at && after >= *options.interrupt_at)
      terminate_all(StopReason::interrupted);
    if (terminated_at && !killed && after >= *terminated_at + options.grace) {
      for (auto& host : hosts) {
        if (host.process.running()) runtime.kill(host.launch, host.process);
      }
      killed = true;
    }
    if (all_exited) {
      if (!all_exited_at) all_exited_at = after;
      const bool outputs_open =
          std::any_of(hosts.begin(), hosts.end(), [](const HostRun& host) { return host.process.output_fd() >= 0; });
      if (!outputs_open || after - *all_exited_at > std::chrono::seconds(2)) break;
    }
  }
  for (auto& host : hosts) {
    if (host.process.output_fd() >= 0) {
      drain(host);
      host.log.finish(job::now_seconds());
      host.process.close_output();
    }
    result.exit_codes.push_back(host.process.exit_code().value_or(128 + SIGKILL));
  }
  return result;
}

} // namespace sagerun::runner
