#include "server/launcher.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "runner/detached_runner.hpp"
#include "runner/state.hpp"
#include "util/files.hpp"

extern char** environ;

namespace sagerun::server {
namespace {

class ProcessLauncher final : public Launcher {
public:
  explicit ProcessLauncher(RunnerCommand command) : m_command(std::move(command)) {}

  Expected<pid_t> start(const std::filesystem::path& state_dir, const std::string& name) override {
    return runner::spawn_detached_runner(m_command, state_dir, name);
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
