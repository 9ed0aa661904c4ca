// sagerun stop JOB: StopTrainingJob for a local job: its runner gets SIGTERM (the job goes
// Stopping, its hosts get SIGTERM, then the grace period, then SIGKILL), and this waits until
// the job is Stopped (or --no-wait). With --remote / --endpoint-url / AWS_ENDPOINT_URL_SAGEMAKER:
// StopTrainingJob on the API, then DescribeTrainingJob until the job has ended.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/aws_context.hpp"
#include "cli/command_table.hpp"
#include "cli/job_lookup.hpp"
#include "cli/remote_context.hpp"
#include "cli/remote_follow.hpp"
#include "runner/job_runner.hpp"

namespace sagerun::cli {
namespace {

int stop_remote(const std::string& name, bool no_wait, const RemoteFlags& remote) {
  const auto env = util::current_environment();
  auto context = make_remote_context(remote.aws, env);
  if (!context) return report(context.error());
  auto description = (*context)->sagemaker->describe_training_job(name);
  if (!description) return report(description.error());
  if (const auto status = aws::string_member(*description, "TrainingJobStatus"); is_terminal(status)) {
    std::fprintf(stderr, "sagerun: job %s already ended: %s\n", name.c_str(), status.c_str());
    return k_exit_ok;
  }
  if (auto stopped = (*context)->sagemaker->stop_training_job(name); !stopped) return report(stopped.error());
  if (no_wait) return k_exit_ok;
  const InterruptGuard guard;
  auto result = follow_job(**context, name, FollowOptions{.transitions = false, .logs = false}, env);
  if (!result) return report(result.error());
  if (result->interrupted) {
    std::fprintf(stderr, "\nsagerun: the stop of job %s was requested; no longer waiting for it to end\n",
                 name.c_str());
    return k_exit_interrupted;
  }
  std::fprintf(stderr, "sagerun: job %s: %s (%s)\n", name.c_str(),
               aws::string_member(result->description, "TrainingJobStatus").c_str(),
               aws::string_member(result->description, "SecondaryStatus").c_str());
  return k_exit_ok;
}

} // namespace

int cmd_stop(std::span<char*> args) {
  CLI::App app{"Stop a running training job.", "sagerun stop"};
  std::string name;
  bool no_wait = false;
  app.add_option("JOB", name, "the training job's name")->required();
  app.add_flag("--no-wait", no_wait, "return once the stop is requested");
  RemoteFlags remote;
  add_remote_flags(app, remote);
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? k_exit_ok : k_exit_usage;
  }
  if (wants_remote(remote, util::current_environment())) return stop_remote(name, no_wait, remote);
  auto folder = find_local_job(name);
  if (!folder) return report(folder.error());
  auto status = runner::read_reconciled_status(*folder);
  if (!status) return report(status.error());
  if (is_terminal(status->status)) {
    std::fprintf(stderr, "sagerun: job %s already ended: %s\n", name.c_str(), status->status.c_str());
    return k_exit_ok;
  }
  // A job created a moment ago may not have written its runner's pid yet.
  std::optional<pid_t> pid;
  for (int attempt = 0; attempt < 50 && !(pid = folder->live_runner_pid()); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!pid) {
    runner::mark_failed(*folder, "InternalServerError: the runner of this job ended before the job did (killed?)");
    return report({util::ErrorKind::not_found, "job " + name + " has no live runner; marked Failed"});
  }
  ::kill(*pid, SIGTERM);
  if (no_wait) return k_exit_ok;
  const auto give_up =
      std::chrono::steady_clock::now() + runner::stop_grace(util::current_environment()) + std::chrono::minutes(5);
  while (std::chrono::steady_clock::now() < give_up) {
    status = runner::read_reconciled_status(*folder);
    if (status && is_terminal(status->status)) {
      std::fprintf(stderr, "sagerun: job %s: %s (%s)\n", name.c_str(), status->status.c_str(),
                   status->secondary_status.c_str());
      return k_exit_ok;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return report({util::ErrorKind::io, "job " + name + " did not stop in time"});
}

} // namespace sagerun::cli
