#include "server/launcher.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "runner/state.hpp"
#include "util/files.hpp"

extern char** environ;

namespace sagerun::server {
namespace {

// A spawn's attributes and file actions, released on every path.
class SpawnSetup {
public:
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
};

class ProcessLauncher final : public Launcher {
public:
  explicit ProcessLauncher(RunnerCommand command) : m_command(std::move(command)) {}

  Expected<pid_t> start(const std::filesystem::path& state_dir, const std::string& name) override {
    std::vector<std::string> argv{m_command.sagerun, "__run-job",       "--state-dir", state_dir.string(),
                                  "--runtime",       m_command.runtime, "--docker",    m_command.docker};
    if (!m_command.s3_endpoint.empty()) argv.insert(argv.end(), {"--endpoint-url", m_command.s3_endpoint});
    if (!m_command.region.empty()) argv.insert(argv.end(), {"--region", m_command.region});
    if (!m_command.profile.empty()) argv.insert(argv.end(), {"--profile", m_command.profile});
    argv.push_back(name);
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (auto& arg : argv)
      args.push_back(arg.data());
    args.push_back(nullptr);

    const std::string log = (runner::JobFolder(state_dir, name).folder() / "runner.log").string();
    SpawnSetup setup;
    posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&setup.actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&setup.actions, STDOUT_FILENO, STDERR_FILENO);
    // The listening socket and client connections must not outlive the server in its runners
    // (a restarted server could not bind its port again).
    posix_spawn_file_actions_addclosefrom_np(&setup.actions, STDERR_FILENO + 1);
    sigset_t empty, defaults;
    sigemptyset(&empty);
    sigemptyset(&defaults);
    for (int signal : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD})
      sigaddset(&defaults, signal);
    posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setsigmask(&setup.attributes, &empty);
    posix_spawnattr_setsigdefault(&setup.attributes, &defaults);
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, args[0], &setup.actions, &setup.attributes, args.data(), environ);
    if (rc != 0) return util::fail(util::ErrorKind::io, util::errno_message("cannot start the job's runner", rc));
    return pid;
  }

  bool alive(pid_t pid, const std::string& name) override {
    if (pid <= 0) return false;
    int status = 0;
    const pid_t waited = ::waitpid(pid, &status, WNOHANG);
    if (waited == pid) return false; // our child, ended and now reaped
    if (waited == 0) return true;    // our child, running
    // Started by an earlier server: alive while the pid still runs this job's runner (a pid
    // may have been reused; a zombie has an empty command line).
    if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
    auto cmdline = util::read_file("/proc/" + std::to_string(pid) + "/cmdline");
    if (!cmdline) return false;
    const std::string marker = std::string("__run-job") + '\0';
    const std::string job = std::string(1, '\0') + name + '\0';
    return cmdline->find(marker) != std::string::npos && cmdline->find(job) != std::string::npos;
  }

  void request_stop(pid_t pid) override {
    if (pid > 0) ::kill(pid, SIGTERM);
  }

private:
  RunnerCommand m_command;
};

} // namespace

std::unique_ptr<Launcher> make_process_launcher(RunnerCommand command) {
  return std::make_unique<ProcessLauncher>(std::move(command));
}

} // namespace sagerun::server
