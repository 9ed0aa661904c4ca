#include "entrypoint/supervisor.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>

#include "entrypoint/relay.hpp"
#include "util/files.hpp"
#include "util/log.hpp"
#include "util/signals.hpp"
#include "util/spawn.hpp"

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

// Starts the command in a process group of its own, with the default signal mask and SIGPIPE
// restored, in its working directory. posix_spawn (vfork-like in glibc) avoids copying this
// process's page tables, which is most of the start-up cost a fork would add.
// Returns the child's pid, or -errno when it could not be started.
pid_t spawn(const Command& command, char* const* argv, char* const* envp, int stdout_fd, int stderr_fd) {
  util::SpawnSetup setup;
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&setup.attr, 0);
  posix_spawnattr_setsigmask(&setup.attr, &empty);
  posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  if (stdout_fd >= 0) posix_spawn_file_actions_adddup2(&setup.actions, stdout_fd, STDOUT_FILENO);
  if (stderr_fd >= 0) posix_spawn_file_actions_adddup2(&setup.actions, stderr_fd, STDERR_FILENO);
  if (!command.cwd.empty()) posix_spawn_file_actions_addchdir_np(&setup.actions, command.cwd.c_str());
  pid_t pid = 0;
  // posix_spawnp searches this process's PATH, which the script's environment shares.
  const int rc = ::posix_spawnp(&pid, argv[0], &setup.actions, &setup.attr, argv, envp);
  return rc == 0 ? pid : -rc;
}

// True when /proc belongs to our PID namespace. A container whose /proc was not remounted
// shows the host's processes: their pids mean other processes to us, so we must not act on them.
bool proc_is_ours() {
  char self[32] = {};
  const ssize_t n = ::readlink("/proc/self", self, sizeof self - 1);
  return n > 0 && std::string_view(self, static_cast<size_t>(n)) == std::to_string(::getpid());
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
    if (!proc_is_ours()) {
      // Survivors outside the group cannot be told apart safely; as PID 1 they die with us.
      util::log::warn("/proc is not this PID namespace's: processes that left the script's group may survive");
      break;
    }
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

int Supervisor::take_stop() {
  while (const int sig = read_signal()) {
    if (is_stop_signal(sig)) m_pending_stop = sig;
  }
  return m_pending_stop;
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
  util::Pipe relay;
  if (!util::make_pipe(relay)) return util::fail(util::ErrorKind::io, util::errno_message("pipe", errno));
  // A bigger pipe means fewer wake-ups when the script writes a lot to stderr.
  ::fcntl(relay.write_end.get(), F_SETPIPE_SZ, 1 << 20);

  std::vector<char*> argv;
  argv.reserve(command.argv.size() + 1);
  for (const auto& arg : command.argv)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const util::EnvBlock envp(command.env);
  const bool merged = command.output == Command::Output::merged;

  const pid_t child =
      spawn(command, argv.data(), envp.data(), merged ? relay.write_end.get() : -1, relay.write_end.get());
  relay.write_end.reset();
  if (child < 0) {
    result.spawn_errno = -child;
    result.exit_code = result.spawn_errno == ENOENT ? 127 : 126;
    return result;
  }

  StreamRelay relay_out(relay.read_end.get(), merged ? STDOUT_FILENO : STDERR_FILENO, k_tail_bytes);
  bool child_done = false;
  int status = 0;
  std::optional<Clock::time_point> kill_at;
  if (m_pending_stop == SIGTERM) {
    // A stop arrived before the run: deliver it at once, the grace period applies as usual.
    ::kill(-child, SIGTERM);
    result.stop_signal = SIGTERM;
    kill_at = Clock::now() + m_grace;
  }

  while (!child_done) {
    int timeout = -1;
    if (kill_at) {
      timeout = static_cast<int>(std::max<long long>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(*kill_at - Clock::now()).count() + 1));
    }
    pollfd pfds[2] = {{m_signal_fd.get(), POLLIN, 0}, {relay_out.open() ? relay.read_end.get() : -1, POLLIN, 0}};
    const int ready = ::poll(pfds, 2, timeout);
    if (ready < 0 && errno != EINTR) return util::fail(util::ErrorKind::io, util::errno_message("poll", errno));
    if (pfds[1].revents & (POLLIN | POLLHUP | POLLERR)) relay_out.pump();
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
  while (relay_out.pump(StreamRelay::Mode::drain)) {
  }

  result.exit_code = exit_code_of(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  result.tail = relay_out.tail();
  return result;
}

} // namespace sagerun::entrypoint
