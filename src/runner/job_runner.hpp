#pragma once
// Running one training job on this machine, from its row in the store to its final status:
// lay out each host's /opt/ml → stage inputs → start the hosts (native or docker) → supervise
// (logs, metrics, MaxRuntime, stop requests) → pack and upload outputs → final status. The
// runner holds the job's lock throughout and is the only writer of its status meanwhile.

#include <chrono>
#include <optional>
#include <string>

#include "aws/credentials.hpp"
#include "aws/s3/client.hpp"
#include "job/request.hpp"
#include "job/status.hpp"
#include "runner/attempts.hpp"
#include "runner/host_logs.hpp"
#include "runner/host_resources.hpp"
#include "runner/runtime.hpp"
#include "store/runner_lock.hpp"
#include "store/store.hpp"
#include "util/environment.hpp"
#include "util/error.hpp"

namespace sagerun::runner {

enum class RuntimeKind { native, docker };

struct RunContext {
  util::EnvMap env;                                // the runner's own environment
  aws::s3::Client* s3 = nullptr;                   // needed for s3:// inputs, outputs, checkpoints
  aws::CredentialsProvider* credentials = nullptr; // served to the hosts when it resolves
  std::string region = "us-east-1";
  std::string s3_endpoint; // a custom S3 endpoint, given to the hosts too
  RuntimeKind runtime_kind = RuntimeKind::native;
  Runtime* runtime = nullptr;       // when set, used instead of `runtime_kind`'s (tests)
  std::string train_binary;         // native: the train entrypoint
  bool train_is_subcommand = false; // native: train_binary is `sagerun`, run as `sagerun train`
  std::string docker = "docker";    // docker: the client (docker or podman)
  Echo echo = Echo::raw;
  int echo_fd = 1;    // where the hosts' output is echoed
  int signal_fd = -1; // a signalfd: SIGINT/SIGTERM/SIGHUP stop the job
  int transfer_concurrency = 10;
  std::vector<std::string> hidden; // native: absolute paths the hosts must not see, beyond the store and AWS files
  // What this machine offers the hosts (detected when empty), and the GPUs this job may use: the
  // server's scheduler hands each job its own; when empty, the machine's.
  std::optional<MachineResources> machine;
  std::optional<std::vector<int>> gpus;
  SpotRehearsal rehearsal; // spot jobs: reclaim their hosts after this long (--interrupt-after)
};

// What a valid request may ask that this runner does not do (Pipe input mode), and settings
// the hosts would refuse (SAGERUN_STOP_GRACE_SECONDS=30s): an error naming the field or
// variable, checked before anything runs. `env` is the runner's environment.
Expected<void> check_runnable(const job::TrainingJobRequest& request, const util::EnvMap& env);

// Runs the job `name` of `store` to its end, holding `lock`, and returns its final status (also
// in the store). Errors are the runner's own failures (the job is then Failed with them); the
// job's failures are in the status.
Expected<job::TrainingJobStatus> run_job(store::Store& store, store::JobLock lock, const std::string& name,
                                         const RunContext& context);

// A job whose runner could not even set out (its S3 client, its process): Failed with `reason`,
// by the holder of its lock.
Expected<void> fail_before_start(store::Store& store, const store::JobLock& lock, const std::string& name,
                                 const std::string& reason);

// SIGTERM → SIGKILL for the hosts: train's own grace (SAGERUN_STOP_GRACE_SECONDS in the
// environment the hosts get: the runner's, then the job's Environment) plus a margin for train
// to report.
Expected<std::chrono::seconds> stop_grace(const util::EnvMap& env, const job::TrainingJobRequest& request);

} // namespace sagerun::runner
