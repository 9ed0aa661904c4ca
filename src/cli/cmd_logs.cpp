// sagerun logs JOB [--follow]: a job's output as its hosts wrote it (each line prefixed with the
// host's name when there are several; --output json: one JSON event per line); --follow keeps
// reading until the job ends. This machine's jobs (their log files), or with --remote /
// --endpoint-url / AWS_ENDPOINT_URL_SAGEMAKER the job's CloudWatch log streams.
#include "cli/command_table.hpp"
#include "cli/jobs_access.hpp"

namespace sagerun::cli {

int cmd_logs(Invocation& invocation) {
  std::string name;
  bool follow = false;
  invocation.app().add_option("JOB", name, "the training job's name")->required();
  invocation.app().add_flag("--follow,-f", follow, "keep printing until the job ends");
  if (auto done = invocation.parse()) return *done;
  // Settings first: a bad one is refused before anything is asked of anyone.
  auto poller = Poller::create(invocation.env(), invocation.wants_remote() ? Pace::remote : Pace::local);
  if (!poller) return report(poller.error());
  auto access = open_jobs(invocation);
  if (!access) return report(access.error());
  auto& backend = *access->backend;
  // A job that does not exist is an error, not an empty log.
  auto description = backend.describe(name);
  if (!description) return report(not_found_here(description.error(), *access, name));
  const auto format = invocation.flags().output == Output::json ? jobs::LogFormat::json : jobs::LogFormat::text;
  auto reader = backend.logs(*description, format);
  if (!reader) return report(reader.error());
  const InterruptGuard guard;
  bool ended = jobs::has_ended(*description);
  while (true) {
    auto printed = (*reader)->pump();
    if (!printed) return report(printed.error());
    if (!follow) {
      if (*printed > 0) continue; // every page there is
      break;
    }
    if (ended && *printed == 0) {
      // CloudWatch takes a few seconds to show the last lines; this machine and a compatible
      // server have them at once.
      const bool aws_itself = access->remote && !access->remote->endpoints.custom;
      if (!aws_itself || !poller->sleep()) break;
      if (auto last = (*reader)->pump(); !last) return report(last.error());
      break;
    }
    if (*printed > 0) {
      poller->news();
      continue;
    }
    if (!poller->sleep()) {
      (*reader)->finish();
      return k_exit_interrupted;
    }
    // The status before the next read: whatever was written before the job ended is then printed.
    auto now = backend.describe(name);
    if (!now) return report(now.error());
    ended = jobs::has_ended(*now);
  }
  (*reader)->finish();
  return k_exit_ok;
}

} // namespace sagerun::cli
