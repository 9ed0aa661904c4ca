#include "server/launcher.hpp"

#include <sys/wait.h>

#include <cerrno>

namespace sagerun::server {
namespace {

class ProcessLauncher final : public Launcher {
public:
  explicit ProcessLauncher(RunnerCommand command) : m_command(std::move(command)) {}

  Expected<pid_t> start(const store::Store& store, const std::string& name, const store::JobLock& lock) override {
    return runner::spawn_detached_runner(m_command, store.root(), name, lock);
  }

  std::optional<Ended> reap(pid_t pid) override {
    int status = 0;
    pid_t waited = 0;
    while ((waited = ::waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR) {
    }
    if (waited == 0) return std::nullopt;
    if (waited == pid) return Ended{status};
    return Ended{}; // not a child of ours (any more): it has ended, how is not known
  }

private:
  RunnerCommand m_command;
};

} // namespace

std::unique_ptr<Launcher> make_process_launcher(RunnerCommand command) {
  return std::make_unique<ProcessLauncher>(std::move(command));
}

} // namespace sagerun::server
