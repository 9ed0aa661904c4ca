#include "runner/stop_watcher.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace sagerun::runner {
namespace {

void bump(int fd) {
  const uint64_t one = 1;
  (void)::write(fd, &one, sizeof one);
}

} // namespace

StopWatcher::StopWatcher(int signal_fd, std::function<void()> on_first)
    : m_on_first(std::move(on_first)), m_event(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      m_quit(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (signal_fd >= 0) m_thread = std::thread([this, signal_fd] { watch(signal_fd); });
}

StopWatcher::~StopWatcher() {
  bump(m_quit.get());
  if (m_thread.joinable()) m_thread.join();
}

void StopWatcher::request() {
  if (m_stops.fetch_add(1) == 0 && m_on_first) m_on_first();
  bump(m_event.get());
}

void StopWatcher::watch(int signal_fd) {
  for (;;) {
    pollfd fds[2] = {{signal_fd, POLLIN, 0}, {m_quit.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if ((fds[1].revents & POLLIN) != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    // One record per wake-up: the descriptor need not be non-blocking.
    signalfd_siginfo info{};
    if (::read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) request();
  }
}

} // namespace sagerun::runner
