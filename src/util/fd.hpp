#pragma once
// File descriptors owned by RAII, and writes that finish.

#include <sys/types.h>

#include <string_view>
#include <utility>

namespace sagerun::util {

class UniqueFd {
public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : m_fd(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.m_fd, -1));
    return *this;
  }
  ~UniqueFd() { reset(); }

  int get() const { return m_fd; }
  bool valid() const { return m_fd >= 0; }
  int release() { return std::exchange(m_fd, -1); }
  void reset(int fd = -1);

private:
  int m_fd = -1;
};

// Writes every byte, retrying on EINTR and short writes. False on any other error.
bool write_all(int fd, std::string_view data);

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};
// A close-on-exec pipe; false on failure (errno set).
bool make_pipe(Pipe& out);

// A descriptor that polls readable once process `pid` has ended (pidfd_open), so an exit is
// delivered into a poll set rather than looked for. Invalid where the kernel or a seccomp filter
// refuses it: callers then poll waitpid as before.
UniqueFd open_exit_fd(pid_t pid);

} // namespace sagerun::util
