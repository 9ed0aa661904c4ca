#include "store/runner_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string_view>

#include "util/files.hpp"

namespace sagerun::store {
namespace {

Expected<util::UniqueFd> open_lock_file(const std::filesystem::path& file) {
  util::UniqueFd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return util::fail(util::ErrorKind::io, util::errno_message("cannot open " + file.string(), errno));
  return fd;
}

template <typename T> std::optional<T> number(std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

} // namespace

RunnerId this_process() {
  const pid_t pid = ::getpid();
  return RunnerId{pid, process_start_ticks(pid).value_or(0)};
}

std::optional<uint64_t> process_start_ticks(pid_t pid) {
  auto stat = util::read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::nullopt;
  // "pid (comm) state ppid …": comm may hold spaces and parentheses; fields follow the last ')'.
  const auto close = stat->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::string_view rest(*stat);
  rest.remove_prefix(close + 1);
  int field = 2; // the ')' ends field 2
  while (!rest.empty()) {
    while (!rest.empty() && rest.front() == ' ')
      rest.remove_prefix(1);
    const auto end = rest.find(' ');
    const auto token = rest.substr(0, end);
    ++field;
    if (field == 3 && (token == "Z" || token == "X")) return std::nullopt; // ended, not yet reaped
    if (field == 22) return number<uint64_t>(token);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  return std::nullopt;
}

bool is_running(const RunnerId& id) {
  if (id.pid <= 0) return false;
  const auto ticks = process_start_ticks(id.pid);
  return ticks && *ticks == id.start_ticks;
}

Expected<std::optional<JobLock>> JobLock::try_acquire(const std::filesystem::path& lock_file) {
  auto fd = open_lock_file(lock_file);
  if (!fd) return std::unexpected(fd.error());
  if (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return std::optional<JobLock>();
    return util::fail(util::ErrorKind::io, util::errno_message("cannot lock " + lock_file.string(), errno));
  }
  return std::optional<JobLock>(JobLock(std::move(*fd), lock_file));
}

Expected<JobLock> JobLock::acquire(const std::filesystem::path& lock_file) {
  auto fd = open_lock_file(lock_file);
  if (!fd) return std::unexpected(fd.error());
  while (::flock(fd->get(), LOCK_EX) != 0) {
    if (errno != EINTR)
      return util::fail(util::ErrorKind::io, util::errno_message("cannot lock " + lock_file.string(), errno));
  }
  return JobLock(std::move(*fd), lock_file);
}

Expected<JobLock> JobLock::adopt(int fd, const std::filesystem::path& lock_file) {
  util::UniqueFd owned(fd);
  // Locking again through the same open file is a no-op for its holder and fails for anyone else.
  if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    return util::fail(
        util::ErrorKind::internal,
        util::errno_message("descriptor " + std::to_string(fd) + " does not hold the lock of " + lock_file.string(),
                            errno));
  }
  return JobLock(std::move(owned), lock_file);
}

Expected<void> JobLock::record_holder() const { return record_holder(this_process()); }

Expected<void> JobLock::record_holder(const RunnerId& id) const {
  const std::string text = std::to_string(id.pid) + " " + std::to_string(id.start_ticks) + "\n";
  if (::ftruncate(m_fd.get(), 0) != 0 ||
      ::pwrite(m_fd.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    return util::fail(util::ErrorKind::io, util::errno_message("cannot write " + m_file.string(), errno));
  }
  return {};
}

std::optional<RunnerId> recorded_holder(const std::filesystem::path& lock_file) {
  auto text = util::read_file(lock_file);
  if (!text) return std::nullopt;
  std::string_view view(*text);
  while (view.ends_with('\n'))
    view.remove_suffix(1);
  const auto space = view.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto pid = number<pid_t>(view.substr(0, space));
  const auto ticks = number<uint64_t>(view.substr(space + 1));
  if (!pid || !ticks || *pid <= 0) return std::nullopt;
  return RunnerId{*pid, *ticks};
}

bool is_locked(const std::filesystem::path& lock_file) {
  util::UniqueFd fd(::open(lock_file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return false; // released when fd closes
  return errno == EWOULDBLOCK;
}

} // namespace sagerun::store
