#pragma once
// What `sagerun local` and the detached runner share: building the runner's context (S3
// client, credentials, runtime, the train binary) from flags and the environment.

#include <memory>
#include <optional>
#include <string>

#include "cli/aws_context.hpp"
#include "cli/command_table.hpp"
#include "job/request.hpp"
#include "runner/job_runner.hpp"
#include "util/fd.hpp"

namespace sagerun::cli {

struct RunnerFlags {
  std::string runtime = "native"; // native | docker
  std::string docker = "docker";  // or podman
  // What this machine offers the hosts (host_resources.hpp): 0 (GPUs: -1) keeps what is detected.
  double machine_cpus = 0;
  double machine_memory_gib = 0;
  int machine_gpus = -1;
  std::optional<int64_t> interrupt_after; // the spot rehearsal: reclaim a spot job's hosts after SECONDS
  int interruptions = 1;                  // … in its first N attempts
};

void add_runner_flags(CLI::App& app, RunnerFlags& flags);

struct RunnerSetup {
  std::optional<S3Context> s3;
  runner::RunContext context;
  util::UniqueFd signal_fd;
};

// `needs_s3`: the job reads or writes s3:// locations, so a client is required (else it is
// best effort: its credentials are still served to the hosts when they resolve).
Expected<std::unique_ptr<RunnerSetup>> make_runner_setup(const RunnerFlags& flags, const AwsFlags& aws_flags,
                                                         const util::EnvMap& env, bool needs_s3);

bool uses_s3(const job::TrainingJobRequest& request);

// Blocks SIGINT/SIGTERM/SIGHUP (before any thread starts) and returns a signalfd for them.
Expected<util::UniqueFd> stop_signals();

} // namespace sagerun::cli
