#include "entrypoint/supervisor.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>

#include "util/files.hpp"
#include "util/log.hpp"
#include "util/ring_buffer.hpp"
#include "util/signals.hpp"

namespace sagerun::entrypoint {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::array k_forwarded = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (const int sig : k_forwarded)
    sigaddset(&set, sig);
  sigaddset(&set, SIGCHLD);
  return set;
}

bool is_stop_signal(int sig) { return sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT; }

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 128;
}

// Runs in the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_child(const Command& command, char* const* argv, char* const* envp, int stdout_fd, int stderr_fd,
                             int error_fd) {
  ::setpgid(0, 0);
  sigset_t empty;
  sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  if (stdout_fd >= 0) ::dup2(stdout_fd, STDOUT_FILENO);
  if (stderr_fd >= 0) ::dup2(stderr_fd, STDERR_FILENO);
  int err = 0;
  if (!command.cwd.empty() && ::chdir(command.cwd.c_str()) != 0) err = errno;
  if (err == 0) {
    ::execvpe(argv[0], argv, envp);
    err = errno;
  }
  [[maybe_unused]] auto written = ::write(error_fd, &err, sizeof err);
  ::_exit(err == ENOENT ? 127 : 126);
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> found;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return found;
  while (const dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    auto stat = util::read_file(std::string("/proc/") + entry->d_name + "/stat");
    if (!stat) continue;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
    const auto close = stat->rfind(')');
    if (close == std::string::npos) continue;
    int ppid = 0;
    char state = 0;
    if (std::sscanf(stat->c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == parent) {
      found.push_back(static_cast<pid_t>(std::atoi(entry->d_name)));
    }
  }
  ::closedir(proc);
  return found;
}

} // namespace

int kill_and_reap_remaining(int process_group) {
  int killed = 0;
  if (process_group > 0 && ::kill(-process_group, SIGKILL) == 0) ++killed;
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) continue;
    if (pid < 0) break; // ECHILD: nothing left
    for (const pid_t child : children_of(::getpid())) {
      ::kill(child, SIGKILL);
      ++killed;
    }
    if (::waitpid(-1, &status, 0) < 0 && errno == ECHILD) break;
  }
  return killed;
}

Supervisor::Supervisor(util::UniqueFd signal_fd, std::chrono::seconds grace)
    : m_signal_fd(std::move(signal_fd)), m_grace(grace) {}

Supervisor::~Supervisor() = default;

Expected<Supervisor> Supervisor::create(std::chrono::seconds grace) {
  const sigset_t set = handled_signals();
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0)
    return util::fail(util::ErrorKind::io, util::errno_message("sigprocmask", errno));
  util::UniqueFd fd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd.valid()) return util::fail(util::ErrorKind::io, util::errno_message("signalfd", errno));
  ::signal(SIGPIPE, SIG_IGN);
  // Orphans of the script are reparented to us (PID 1 gets them anyway), so we can reap them.
  if (::getpid() != 1) ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  return Supervisor(std::move(fd), grace);
}

int Supervisor::read_signal() {
  signalfd_siginfo info{};
  const ssize_t n = ::read(m_signal_fd.get(), &info, sizeof info);
  if (n != static_cast<ssize_t>(sizeof info)) return 0;
  return static_cast<int>(info.ssi_signo);
}

int Supervisor::sleep_unless_stopped(std::chrono::milliseconds duration) {
  if (m_pending_stop != 0) return m_pending_stop;
  const auto deadline = Clock::now() + duration;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return 0;
    pollfd pfd{m_signal_fd.get(), POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left)) > 0) {
      while (const int sig = read_signal()) {
        if (sig == SIGCHLD) {
          while (::waitpid(-1, nullptr, WNOHANG) > 0) {
          }
        } else if (is_stop_signal(sig)) {
          m_pending_stop = sig;
          return sig;
        }
      }
    }
  }
}

Expected<RunResult> Supervisor::run(const Command& command) {
  RunResult result;
  util::Pipe relay, exec_errors;
  if (!util::make_pipe(relay) || !util::make_pipe(exec_errors)) {
    return util::fail(util::ErrorKind::io, util::errno_message("pipe", errno));
  }
  // A bigger pipe means fewer wake-ups when the script writes a lot to stderr.
  ::fcntl(relay.write_end.get(), F_SETPIPE_SZ, 1 << 20);

  std::vector<char*> argv;
  argv.reserve(command.argv.size() + 1);
  for (const auto& arg : command.argv)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const util::EnvBlock envp(command.env);
  const bool merged = command.output == Command::Output::merged;

  const pid_t child = ::fork();
  if (child < 0) return util::fail(util::ErrorKind::io, util::errno_message("fork", errno));
  if (child == 0) {
    exec_child(command, argv.data(), envp.data(), merged ? relay.write_end.get() : -1, relay.write_end.get(),
               exec_errors.write_end.get());
  }
  ::setpgid(child, child); // also done by the child; whichever runs first wins the race
  relay.write_end.reset();
  exec_errors.write_end.reset();

  int exec_errno = 0;
  const ssize_t got = ::read(exec_errors.read_end.get(), &exec_errno, sizeof exec_errno);
  if (got == static_cast<ssize_t>(sizeof exec_errno)) result.spawn_errno = exec_errno;

  const int relay_target = merged ? STDOUT_FILENO : STDERR_FILENO;
  util::RingBuffer tail(k_tail_bytes);
  std::vector<char> buffer(1 << 16);
  bool relay_open = true;
  bool target_ok = true;
  bool child_done = false;
  int status = 0;
  std::optional<Clock::time_point> kill_at;
  if (m_pending_stop == SIGTERM) {
    // A stop arrived before the run: deliver it at once, the grace period applies as usual.
    ::kill(-child, SIGTERM);
    result.stop_signal = SIGTERM;
    kill_at = Clock::now() + m_grace;
  }

  // Relays one read's worth; false once the pipe is closed (or, when draining, empty).
  const auto relay_some = [&]() {
    const ssize_t n = ::read(relay.read_end.get(), buffer.data(), buffer.size());
    if (n > 0) {
      const std::string_view chunk(buffer.data(), static_cast<size_t>(n));
      if (target_ok) target_ok = util::write_all(relay_target, chunk);
      tail.append(chunk);
      return true;
    }
    if (n < 0 && errno == EINTR) return true;
    relay_open = false;
    return false;
  };

  while (!child_done) {
    int timeout = -1;
    if (kill_at) {
      timeout = static_cast<int>(std::max<long long>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(*kill_at - Clock::now()).count() + 1));
    }
    pollfd pfds[2] = {{m_signal_fd.get(), POLLIN, 0}, {relay_open ? relay.read_end.get() : -1, POLLIN, 0}};
    const int ready = ::poll(pfds, 2, timeout);
    if (ready < 0 && errno != EINTR) return util::fail(util::ErrorKind::io, util::errno_message("poll", errno));
    if (pfds[1].revents & (POLLIN | POLLHUP | POLLERR)) relay_some();
    if (pfds[0].revents & POLLIN) {
      while (const int sig = read_signal()) {
        if (sig == SIGCHLD) {
          int st = 0;
          pid_t pid;
          while ((pid = ::waitpid(-1, &st, WNOHANG)) > 0) {
            if (pid == child) {
              status = st;
              child_done = true;
            }
          }
          continue;
        }
        ::kill(-child, sig);
        if (is_stop_signal(sig)) m_pending_stop = sig;
        if (sig == SIGTERM && !kill_at) {
          result.stop_signal = SIGTERM;
          kill_at = Clock::now() + m_grace;
          util::log::info("received SIGTERM: forwarded to the script's process group; SIGKILL in " +
                          std::to_string(m_grace.count()) + " s unless it exits");
        } else if (sig != SIGTERM) {
          util::log::info("forwarded " + util::signal_name(sig) + " to the script's process group");
        }
      }
    }
    if (kill_at && !child_done && Clock::now() >= *kill_at && !result.grace_expired) {
      result.grace_expired = true;
      ::kill(-child, SIGKILL);
      util::log::info("grace period expired: sent SIGKILL to the script's process group");
    }
  }

  result.leftovers_killed = kill_and_reap_remaining(child);
  // Every writer is gone now: drain what is left in the pipe.
  ::fcntl(relay.read_end.get(), F_SETFL, O_NONBLOCK);
  while (relay_open && relay_some()) {
  }

  result.exit_code = exit_code_of(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  result.tail = tail.contents();
  return result;
}

} // namespace sagerun::entrypoint
