// sagerun stop JOB: StopTrainingJob — the job's runner is asked to stop (the job goes Stopping,
// its hosts get SIGTERM, the grace period, then SIGKILL), and this waits until the job has ended
// (or --no-wait). A job of this machine's store, or with --remote / --endpoint-url /
// AWS_ENDPOINT_URL_SAGEMAKER the API's.
#include <cstdio>

#include "cli/command_table.hpp"
#include "cli/job_output.hpp"
#include "cli/jobs_access.hpp"

namespace sagerun::cli {

int cmd_stop(Invocation& invocation) {
  std::string name;
  bool no_wait = false;
  invocation.app().add_option("JOB", name, "the training job's name")->required();
  invocation.app().add_flag("--no-wait", no_wait, "return once the stop is asked");
  if (auto done = invocation.parse()) return *done;
  const bool json = invocation.flags().output == Output::json;
  // Settings first: a bad one is refused before anything is asked of anyone.
  auto poller = Poller::create(invocation.env(), invocation.wants_remote() ? Pace::remote : Pace::local);
  if (!poller) return report(poller.error());
  auto access = open_jobs(invocation);
  if (!access) return report(access.error());
  auto& backend = *access->backend;
  auto description = backend.describe(name);
  if (!description) return report(not_found_here(description.error(), *access, name));
  if (jobs::has_ended(*description)) {
    std::fprintf(stderr, "sagerun: job %s already ended: %s\n", name.c_str(),
                 aws::string_member(*description, "TrainingJobStatus").c_str());
    if (json) print_json(*description);
    return k_exit_ok;
  }
  if (auto stopped = backend.stop(name); !stopped) return report(stopped.error());
  const InterruptGuard guard;
  while (!no_wait) {
    description = backend.describe(name);
    if (!description) return report(description.error());
    if (jobs::has_ended(*description)) break;
    if (!poller->sleep()) {
      std::fprintf(stderr, "\nsagerun: the stop of job %s was asked; no longer waiting for it to end\n", name.c_str());
      return k_exit_interrupted;
    }
  }
  if (json) print_json(no_wait ? nlohmann::json::object() : *description);
  if (!no_wait) print_outcome(*description);
  return k_exit_ok;
}

} // namespace sagerun::cli
