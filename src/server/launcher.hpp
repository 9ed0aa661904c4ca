#pragma once
// Starting the process that runs one job (`sagerun __run-job`, in a session of its own so it
// outlives the server, holding the job's lock the server hands it) and learning when it ends. An
// interface, so the scheduler's tests can run fake jobs.

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "runner/detached_runner.hpp"
#include "store/runner_lock.hpp"
#include "store/store.hpp"
#include "util/error.hpp"

namespace sagerun::server {

class Launcher {
public:
  virtual ~Launcher() = default;
  // Starts the runner of job `name`, handing it `lock`.
  virtual Expected<pid_t> start(const store::Store& store, const std::string& name, const store::JobLock& lock) = 0;
  struct Ended {
    std::optional<int> wait_status; // waitpid's status word; empty when it is not known
  };
  // Once the runner `pid` (started by start()) has ended: how, and it is reaped. Nullopt while it
  // runs.
  virtual std::optional<Ended> reap(pid_t pid) = 0;
};

using runner::RunnerCommand;

std::unique_ptr<Launcher> make_process_launcher(RunnerCommand command);

} // namespace sagerun::server
