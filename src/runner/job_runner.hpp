#pragma once
// Running one training job on this machine, from its folder in the state dir to its final
// status: stage inputs → lay out each host's /opt/ml → start the hosts (native or docker) →
// supervise (logs, metrics, MaxRuntime, stop requests) → pack and upload outputs → status.

#include <chrono>
#include <filesystem>
#include <string>

#include "aws/credentials.hpp"
#include "aws/s3/client.hpp"
#include "job/request.hpp"
#include "job/status.hpp"
#include "runner/host_logs.hpp"
#include "runner/state.hpp"
#include "util/environment.hpp"
#include "util/error.hpp"

namespace sagerun::runner {

enum class RuntimeKind { native, docker };

struct RunContext {
  util::EnvMap env;                                // the runner's own environment
  aws::s3::Client* s3 = nullptr;                   // needed for s3:// inputs, outputs, checkpoints
  aws::CredentialsProvider* credentials = nullptr; // served to the hosts when it resolves
  std::string region = "us-east-1";
  std::string account = "000000000000";
  std::string s3_endpoint; // a custom S3 endpoint, given to the hosts too
  RuntimeKind runtime = RuntimeKind::native;
  std::string train_binary;         // native: the train entrypoint
  bool train_is_subcommand = false; // native: train_binary is `sagerun`, run as `sagerun train`
  std::string docker = "docker";    // docker: the client (docker or podman)
  Echo echo = Echo::raw;
  int signal_fd = -1; // a signalfd: SIGINT/SIGTERM/SIGHUP stop the job
  int transfer_concurrency = 10;
};

// What a valid request may ask that this runner does not do (Pipe input mode): an error naming
// the field, checked before anything runs.
Expected<void> check_supported(const job::TrainingJobRequest& request);

// Validated request → job folder with the request and an InProgress status. A name already
// used is refused (ResourceInUse).
Expected<JobFolder> create_job(const std::filesystem::path& state_root, const job::TrainingJobRequest& request,
                               const RunContext& context);

// Runs the job to its end and returns its final status (also written to the folder). Errors
// are kept for the runner's own failures; the job's failures are in the status.
Expected<job::TrainingJobStatus> run_job(const JobFolder& folder, const RunContext& context);

// The grace period between SIGTERM and SIGKILL: SAGERUN_STOP_GRACE_SECONDS (train's own grace)
// plus a margin for train to report, or SageMaker's 120 s.
std::chrono::seconds stop_grace(const util::EnvMap& env);

} // namespace sagerun::runner
