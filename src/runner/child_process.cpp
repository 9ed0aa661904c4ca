#include "runner/child_process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "util/spawn.hpp"

namespace sagerun::runner {

int exit_status_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 128;
}

Expected<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& argv, const util::EnvMap& env,
                                           const std::string& cwd) {
  if (argv.empty()) return util::fail(util::ErrorKind::internal, "spawn: empty command");
  util::Pipe pipe;
  if (!util::make_pipe(pipe)) return util::fail(util::ErrorKind::io, util::errno_message("pipe", errno));
  const auto args = util::argv_pointers(argv);
  const util::EnvBlock block(env);

  util::SpawnSetup setup;
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigfillset(&defaults);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&setup.attr, 0);
  posix_spawnattr_setsigmask(&setup.attr, &empty);
  posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, pipe.write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, pipe.write_end.get(), STDERR_FILENO);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&setup.actions, cwd.c_str());
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], &setup.actions, &setup.attr, args.data(), block.data());
  if (rc != 0) {
    return util::fail(util::ErrorKind::not_found, util::errno_message("cannot start " + argv[0], rc));
  }
  pipe.write_end.reset();
  ::fcntl(pipe.read_end.get(), F_SETFL, ::fcntl(pipe.read_end.get(), F_GETFL) | O_NONBLOCK);
  return ChildProcess(pid, std::move(pipe.read_end));
}

Expected<ChildProcess> ChildProcess::spawn_with_setup(const std::vector<std::string>& argv, const util::EnvMap& env,
                                                      const std::function<int()>& setup, int namespaces) {
  if (argv.empty()) return util::fail(util::ErrorKind::internal, "spawn: empty command");
  util::Pipe output, status;
  if (!util::make_pipe(output) || !util::make_pipe(status)) {
    return util::fail(util::ErrorKind::io, util::errno_message("pipe", errno));
  }
  const auto args = util::argv_pointers(argv);
  const util::EnvBlock block(env);
  // clone(2) without a stack of its own is fork(2) with namespaces; glibc's fork handlers do
  // not run, which the child does not need: it makes system calls only, then execs.
  const pid_t pid =
      namespaces == 0
          ? ::fork()
          : static_cast<pid_t>(::syscall(SYS_clone, SIGCHLD | namespaces, nullptr, nullptr, nullptr, nullptr));
  if (pid < 0) {
    return util::fail(namespaces == 0 ? util::ErrorKind::io : util::ErrorKind::unsupported,
                      util::errno_message(namespaces == 0 ? "fork" : "clone (new namespaces)", errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    sigset_t empty;
    sigemptyset(&empty);
    for (int signal = 1; signal < NSIG; ++signal)
      ::signal(signal, SIG_DFL);
    ::sigprocmask(SIG_SETMASK, &empty, nullptr);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(output.write_end.get(), STDOUT_FILENO);
    ::dup2(output.write_end.get(), STDERR_FILENO);
    int error = setup();
    if (error == 0) {
      ::execvpe(args[0], args.data(), block.data());
      error = errno;
    }
    (void)!::write(status.write_end.get(), &error, sizeof error);
    ::_exit(127);
  }
  output.write_end.reset();
  status.write_end.reset();
  int error = 0;
  ssize_t got = 0;
  while ((got = ::read(status.read_end.get(), &error, sizeof error)) < 0 && errno == EINTR) {
  }
  if (got == sizeof error) {
    int wait_status = 0;
    ::waitpid(pid, &wait_status, 0);
    return util::fail(util::ErrorKind::io,
                      util::errno_message("cannot start " + argv[0] + " in its own namespaces", error));
  }
  ::fcntl(output.read_end.get(), F_SETFL, ::fcntl(output.read_end.get(), F_GETFL) | O_NONBLOCK);
  return ChildProcess(pid, std::move(output.read_end));
}

Expected<ChildProcess> ChildProcess::spawn_tied(const std::vector<std::string>& argv, const util::EnvMap& env,
                                                const std::function<int()>& setup, int namespaces) {
  const pid_t runner = ::getpid();
  return spawn_with_setup(
      argv, env,
      [&]() -> int {
        // After the setup: entering a user namespace changes credentials, which clears the setting.
        if (const int error = setup ? setup() : 0; error != 0) return error;
        if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) return errno;
        // In a PID namespace of its own the parent is outside it: getppid() says 0.
        const pid_t parent = ::getppid();
        return parent == runner || (parent == 0 && (namespaces & CLONE_NEWPID) != 0) ? 0 : ESRCH;
      },
      namespaces);
}

// The child is ours and not yet reaped, so its pid cannot have been reused.
ChildProcess::ChildProcess(pid_t pid, util::UniqueFd output)
    : m_pid(pid), m_output(std::move(output)), m_exit_fd(util::open_exit_fd(pid)) {}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)), m_output(std::move(other.m_output)), m_exit_fd(std::move(other.m_exit_fd)),
      m_exit(other.m_exit) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    m_pid = std::exchange(other.m_pid, -1);
    m_output = std::move(other.m_output);
    m_exit_fd = std::move(other.m_exit_fd);
    m_exit = other.m_exit;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (m_pid <= 0 || m_exit) return;
  // Unwinding with the child alive: nothing of it may outlive the runner.
  ::kill(-m_pid, SIGKILL);
  ::kill(m_pid, SIGKILL);
  int status = 0;
  while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
  }
}

void ChildProcess::signal(int signal) const {
  if (m_pid > 0 && !m_exit) ::kill(m_pid, signal);
}

void ChildProcess::ended(int wait_status) {
  m_exit = exit_status_of(wait_status);
  m_exit_fd.reset();
  // Whatever the child left in its group goes with it.
  ::kill(-m_pid, SIGKILL);
}

std::optional<int> ChildProcess::poll_exit() {
  if (m_exit || m_pid <= 0) return m_exit;
  int status = 0;
  if (::waitpid(m_pid, &status, WNOHANG) == m_pid) ended(status);
  return m_exit;
}

int ChildProcess::wait_exit() {
  if (m_exit || m_pid <= 0) return m_exit.value_or(128 + SIGKILL);
  int status = 0;
  pid_t done = 0;
  while ((done = ::waitpid(m_pid, &status, 0)) < 0 && errno == EINTR) {
  }
  if (done != m_pid) { // reaped elsewhere: how it ended is not known
    m_exit = 128 + SIGKILL;
    m_exit_fd.reset();
    return *m_exit;
  }
  ended(status);
  return *m_exit;
}

} // namespace sagerun::runner
