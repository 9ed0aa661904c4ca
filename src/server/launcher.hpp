#pragma once
// Starting and watching the process that runs one job: `sagerun __run-job` in a session of its
// own, so it outlives the server (a restarted server finds it again), with its output in the
// job folder's runner.log. An interface, so the scheduler's tests can run fake jobs.

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

#include "runner/detached_runner.hpp"
#include "util/error.hpp"

namespace sagerun::server {

class Launcher {
public:
  virtual ~Launcher() = default;
  // Starts the runner of the job folder `name` under `state_dir`.
  virtual Expected<pid_t> start(const std::filesystem::path& state_dir, const std::string& name) = 0;
  // Whether the runner `pid` of job `name` still runs (reaping it when it was this process's child).
  virtual bool alive(pid_t pid, const std::string& name) = 0;
  // StopTrainingJob: SIGTERM to the runner, which stops the hosts, uploads and records Stopped.
  virtual void request_stop(pid_t pid) = 0;
};

using runner::RunnerCommand;

std::unique_ptr<Launcher> make_process_launcher(RunnerCommand command);

} // namespace sagerun::server
