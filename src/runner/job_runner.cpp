#include "runner/job_runner.hpp"

#include <unistd.h>

#include <cmath>
#include <memory>
#include <optional>

#include "aws/transfer/transfer.hpp"
#include "runner/credentials_server.hpp"
#include "runner/host_tree.hpp"
#include "runner/metrics.hpp"
#include "runner/outputs.hpp"
#include "runner/runtime.hpp"
#include "runner/staging.hpp"
#include "runner/storage.hpp"
#include "runner/supervise.hpp"
#include "util/log.hpp"

namespace sagerun::runner {
namespace {

using Clock = std::chrono::steady_clock;

// The status record of a running job, saved on every change.
class StatusBook {
public:
  StatusBook(const JobFolder& folder, job::TrainingJobStatus status) : m_folder(folder), m_status(std::move(status)) {}
  job::TrainingJobStatus& status() { return m_status; }
  void move_to(const std::string& secondary, const std::string& message) {
    job::transition(m_status, secondary, message, job::now_seconds());
    save();
  }
  void save() {
    m_status.last_modified_time = job::now_seconds();
    if (auto written = m_folder.write_status(m_status); !written) util::log::error(written.error().message);
  }

private:
  const JobFolder& m_folder;
  job::TrainingJobStatus m_status;
};

util::EnvMap without_aws_keys(util::EnvMap env) {
  for (const char* key : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                          "AWS_PROFILE", "AWS_DEFAULT_PROFILE"}) {
    env.erase(key);
  }
  return env;
}

std::unique_ptr<Runtime> make_runtime(const job::TrainingJobRequest& request, const RunContext& context) {
  if (context.runtime == RuntimeKind::docker) {
    DockerOptions options;
    options.docker = context.docker;
    options.image = request.image;
    options.network_isolation = request.network_isolation;
    options.gpus = is_gpu_instance_type(request.instance_type);
    options.client_env = without_aws_keys(context.env);
    return make_docker_runtime(std::move(options));
  }
  NativeOptions options;
  options.train_binary = context.train_binary;
  options.train_is_subcommand = context.train_is_subcommand;
  options.base_env = without_aws_keys(context.env);
  return make_native_runtime(std::move(options));
}

// What the platform gives every host: SageMaker's variables, the job's Environment, the
// credentials endpoint, and the S3 endpoint when it is not AWS's.
util::EnvMap platform_environment(const job::TrainingJobRequest& request, const job::TrainingJobStatus& status,
                                  const RunContext& context, const CredentialsServer* credentials) {
  util::EnvMap env;
  env["TRAINING_JOB_NAME"] = request.job_name;
  env["TRAINING_JOB_ARN"] = status.job_arn;
  env["AWS_REGION"] = context.region;
  env["AWS_DEFAULT_REGION"] = context.region;
  if (!context.s3_endpoint.empty()) env["AWS_ENDPOINT_URL_S3"] = context.s3_endpoint;
  for (const char* passed :
       {"SAGERUN_STOP_GRACE_SECONDS", "SAGERUN_HOST_WAIT_SECONDS", "PIP_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX"}) {
    if (auto value = util::lookup(context.env, passed)) env[passed] = *value;
  }
  if (credentials != nullptr) {
    for (const auto& [key, value] : credentials->container_environment())
      env[key] = value;
  }
  for (const auto& [key, value] : request.environment)
    env[key] = value;
  return env;
}

int64_t whole_seconds(double seconds) { return std::max<int64_t>(1, std::llround(seconds)); }

} // namespace

std::chrono::seconds stop_grace(const util::EnvMap& env) {
  if (auto value = util::lookup(env, "SAGERUN_STOP_GRACE_SECONDS")) {
    const long seconds = std::strtol(value->c_str(), nullptr, 10);
    if (seconds >= 0) return std::chrono::seconds(seconds + 10);
  }
  return std::chrono::seconds(120);
}

Expected<void> check_supported(const job::TrainingJobRequest& request) {
  auto pipe = [](const std::string& mode) { return mode == "Pipe"; };
  if (pipe(request.input_mode)) {
    return util::fail(util::ErrorKind::unsupported,
                      "AlgorithmSpecification.TrainingInputMode: Pipe mode is not supported locally; use File or "
                      "FastFile (both stage the files)");
  }
  for (const auto& channel : request.channels) {
    if (pipe(channel.input_mode)) {
      return util::fail(util::ErrorKind::unsupported, "InputDataConfig channel '" + channel.name +
                                                          "': InputMode Pipe is not supported locally; use File");
    }
  }
  return {};
}

Expected<JobFolder> create_job(const std::filesystem::path& state_root, const job::TrainingJobRequest& request,
                               const RunContext& context) {
  JobFolder folder(state_root, request.job_name);
  if (auto created = folder.create(); !created) return std::unexpected(created.error());
  if (auto written = folder.write_request(request); !written) return std::unexpected(written.error());
  job::TrainingJobStatus status;
  status.job_name = request.job_name;
  status.job_arn = job::training_job_arn(context.region, context.account, request.job_name);
  status.creation_time = job::now_seconds();
  job::transition(status, "Starting", "Launching requested ML instances", status.creation_time);
  if (auto written = folder.write_status(status); !written) return std::unexpected(written.error());
  return folder;
}

Expected<job::TrainingJobStatus> run_job(const JobFolder& folder, const RunContext& context) {
  auto request = folder.read_request();
  if (!request) return std::unexpected(request.error());
  auto initial = folder.read_status();
  if (!initial) return std::unexpected(initial.error());
  StatusBook book(folder, std::move(*initial));
  if (auto written = folder.write_runner_pid(::getpid()); !written) return std::unexpected(written.error());

  std::unique_ptr<aws::transfer::Manager> transfer;
  if (context.s3 != nullptr) {
    aws::transfer::Options options;
    options.concurrency = context.transfer_concurrency;
    transfer = std::make_unique<aws::transfer::Manager>(*context.s3, options);
  }
  Storage storage(transfer.get());
  auto fail_job = [&](const std::string& reason) {
    auto& status = book.status();
    status.status = "Failed";
    status.failure_reason = reason.size() > 1024 ? reason.substr(0, 1024) : reason;
    book.move_to("Failed", "Training job failed");
    return status;
  };

  // Downloading: the trees, the channels, the checkpoints.
  book.move_to("Downloading", "Downloading input data");
  auto runtime = make_runtime(*request, context);
  std::vector<fs::path> trees;
  for (int i = 0; i < request->instance_count; ++i) {
    trees.push_back(folder.host_tree(i));
    if (auto written = write_host_tree(*request, i, trees.back(), runtime->mount()); !written) {
      return fail_job("InternalServerError: " + written.error().message);
    }
  }
  for (const auto& channel : request->channels) {
    std::vector<fs::path> channel_folders;
    channel_folders.reserve(trees.size());
    for (const auto& tree : trees)
      channel_folders.push_back(tree / "input/data" / channel.name);
    auto staged = stage_channel(channel, channel_folders, transfer.get());
    if (!staged) return fail_job("ClientError: channel '" + channel.name + "': " + staged.error().message);
  }
  if (auto got = download_checkpoints(*request, trees, storage); !got) {
    return fail_job("ClientError: CheckpointConfig: " + got.error().message);
  }

  std::unique_ptr<CredentialsServer> credentials;
  if (context.credentials != nullptr && context.credentials->get()) {
    auto started = CredentialsServer::start(*context.credentials);
    if (!started) return fail_job("InternalServerError: " + started.error().message);
    credentials = std::move(*started);
  }

  auto metrics = MetricExtractor::create(request->metric_definitions);
  if (!metrics) return fail_job("ClientError: " + metrics.error().message);

  // Training.
  book.status().training_start_time = job::now_seconds();
  book.move_to("Training", "Training image download completed. Training in progress.");
  const util::EnvMap platform = platform_environment(*request, book.status(), context, credentials.get());
  const Echo echo = context.echo == Echo::raw && request->instance_count > 1 ? Echo::prefixed : context.echo;
  std::vector<HostRun> hosts;
  for (int i = 0; i < request->instance_count; ++i) {
    HostLaunch launch;
    launch.job_name = request->job_name;
    launch.index = i;
    launch.count = request->instance_count;
    launch.tree = trees[static_cast<size_t>(i)];
    launch.checkpoint_dir = checkpoint_folder(*request, launch.tree);
    if (request->checkpoint) launch.checkpoint_local_path = request->checkpoint->local_path;
    launch.env = platform;
    auto log = HostLog::open(folder.log_file(i), host_name(i), echo, &*metrics, folder.events_file(i));
    if (!log) return fail_job("InternalServerError: " + log.error().message);
    auto process = runtime->start(launch);
    if (!process) {
      for (auto& started : hosts)
        runtime->kill(started.launch, started.process);
      return fail_job("ClientError: cannot start " + host_name(i) + ": " + process.error().message);
    }
    hosts.push_back(HostRun{std::move(launch), std::move(*process), std::move(*log)});
  }
  SuperviseOptions options;
  options.deadline = Clock::now() + std::chrono::seconds(request->max_runtime_seconds);
  options.grace = stop_grace(context.env);
  options.signal_fd = context.signal_fd;
  const auto outcome = supervise(hosts, *runtime, options, [&] {
    book.status().status = "Stopping";
    book.move_to("Stopping", "Stopping the training job");
  });
  for (auto& host : hosts)
    runtime->cleanup(host.launch);
  auto& status = book.status();
  status.training_end_time = job::now_seconds();
  status.final_metrics = metrics->final_metrics();

  // The reason comes from the first host that failed, before the uploads can fail too.
  std::string failure;
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (outcome.exit_codes[i] == 0) continue;
    failure = read_failure_reason(trees[i]);
    if (failure.empty()) {
      failure = "AlgorithmError: " + host_name(static_cast<int>(i)) + " exited with code " +
                std::to_string(outcome.exit_codes[i]) +
                " (see its log: " + folder.log_file(static_cast<int>(i)).string() + ")";
    }
    break;
  }

  // Uploading: also after a failure or a stop, as SageMaker does.
  book.move_to("Uploading", "Uploading generated training model");
  auto uploaded = upload_outputs(*request, trees, folder.work_folder(), storage);
  if (uploaded) status.model_artifacts = uploaded->model_artifacts;
  auto checkpoints = upload_checkpoints(*request, trees, storage);

  const double trained = *status.training_end_time - *status.training_start_time;
  status.training_time_seconds = whole_seconds(trained);
  status.billable_time_seconds = whole_seconds(trained);
  if (outcome.reason == StopReason::requested || outcome.reason == StopReason::max_runtime) {
    status.status = "Stopped";
    if (outcome.reason == StopReason::max_runtime) {
      book.move_to("MaxRuntimeExceeded", "Job stopped due to max runtime limit");
    } else {
      book.move_to("Stopped", "Training job stopped");
    }
  } else if (!failure.empty()) {
    fail_job(failure);
  } else if (!uploaded) {
    fail_job("ClientError: uploading the outputs failed: " + uploaded.error().message);
  } else if (!checkpoints) {
    fail_job("ClientError: uploading the checkpoints failed: " + checkpoints.error().message);
  } else {
    status.status = "Completed";
    book.move_to("Completed", "Training job completed");
  }
  std::error_code ignored;
  fs::remove(folder.folder() / "runner.pid", ignored);
  return book.status();
}

} // namespace sagerun::runner
