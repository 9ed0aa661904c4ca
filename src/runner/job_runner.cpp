#include "runner/job_runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>

#include "aws/crypto.hpp"
#include "aws/transfer/transfer.hpp"
#include "contract/distribution.hpp"
#include "contract/failure.hpp"
#include "contract/settings.hpp"
#include "contract/sm_environment.hpp"
#include "job/instance_types.hpp"
#include "job/lifecycle.hpp"
#include "job/service_error.hpp"
#include "runner/address_block.hpp"
#include "runner/credentials_server.hpp"
#include "runner/host_tree.hpp"
#include "runner/host_usage.hpp"
#include "runner/instance_metrics.hpp"
#include "runner/live_sync.hpp"
#include "runner/metrics.hpp"
#include "runner/outputs.hpp"
#include "runner/staging.hpp"
#include "runner/stop_watcher.hpp"
#include "runner/storage.hpp"
#include "runner/submit_staging.hpp"
#include "runner/supervise.hpp"
#include "store/journal.hpp"
#include "store/status_writer.hpp"
#include "util/files.hpp"

namespace sagerun::runner {
namespace {

using Clock = std::chrono::steady_clock;
using job::SecondaryStatus;

// The job's status while it runs, saved at every change. The stop watcher's thread changes it
// too (Stopping), hence the lock.
class StatusBook {
public:
  StatusBook(store::StatusWriter writer, job::TrainingJobStatus status)
      : m_writer(std::move(writer)), m_status(std::move(status)) {}

  // `change` edits the record and returns whether it changed anything (lifecycle's functions).
  template <typename Change> void change(Change&& edit) {
    std::lock_guard lock(m_mutex);
    if (edit(m_status, job::now_seconds())) save();
  }
  job::TrainingJobStatus snapshot() const {
    std::lock_guard lock(m_mutex);
    return m_status;
  }

private:
  void save() {
    if (auto written = m_writer.write(m_status); !written) {
      std::fprintf(stderr, "sagerun: error: cannot record the status of job %s: %s\n", m_status.job_name.c_str(),
                   written.error().message.c_str());
    }
  }

  store::StatusWriter m_writer;
  mutable std::mutex m_mutex;
  job::TrainingJobStatus m_status;
};

// The environment the hosts start from: the runner's, without its keys (a job gets its own from
// the credentials endpoint) nor the server's API secret.
util::EnvMap without_secrets(util::EnvMap env) {
  for (const char* key : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                          "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "SAGERUN_SERVER_SECRET_KEY"}) {
    env.erase(key);
  }
  return env;
}

// What a native host must not see of this machine: every job's folder and the store's records
// (its own tree it sees at /opt/ml), the caller's AWS files, and what the caller names (the
// server's key file).
std::vector<fs::path> hidden_from_hosts(const fs::path& store_root, const RunContext& context) {
  const auto& env = context.env;
  std::vector<fs::path> hidden{store_root};
  for (const auto& path : context.hidden)
    if (path.starts_with("/")) hidden.emplace_back(path);
  if (auto home = util::lookup_nonempty(env, "HOME")) hidden.push_back(fs::path(*home) / ".aws");
  for (const char* file : {"AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE"}) {
    if (auto path = util::lookup_nonempty(env, file); path && path->starts_with("/") && *path != "/dev/null")
      hidden.emplace_back(*path);
  }
  return hidden;
}

std::unique_ptr<Runtime> make_runtime(const job::TrainingJobRequest& request, const RunContext& context,
                                      const store::JobFolder& folder) {
  if (context.runtime_kind == RuntimeKind::docker) {
    DockerOptions options;
    options.docker = context.docker;
    options.image = request.image;
    options.network_isolation = request.network_isolation;
    options.client_env = without_secrets(context.env);
    return make_docker_runtime(std::move(options));
  }
  NativeOptions options;
  options.train_binary = context.train_binary;
  options.train_is_subcommand = context.train_is_subcommand;
  options.base_env = without_secrets(context.env);
  options.scratch = folder.path() / "probe";
  options.hidden = hidden_from_hosts(folder.store_root(), context);
  return make_native_runtime(std::move(options));
}

// The settings train reads, from the environment its hosts get: the runner's variables that
// reach them, then the job's Environment.
constexpr std::array k_passed_settings = {"SAGERUN_STOP_GRACE_SECONDS", "SAGERUN_HOST_WAIT_SECONDS",
                                          "SAGERUN_INSTALL_REQUIREMENTS", "SAGERUN_DEBUG"};

util::EnvMap host_settings_env(const util::EnvMap& env, const job::TrainingJobRequest& request) {
  util::EnvMap out;
  for (const char* name : k_passed_settings)
    if (auto value = util::lookup(env, name)) out[name] = *value;
  for (const auto& [key, value] : request.environment)
    out[key] = value;
  return out;
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
  for (const char* passed : {"PIP_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX"}) {
    if (auto value = util::lookup(context.env, passed)) env[passed] = *value;
  }
  if (credentials != nullptr) {
    for (const auto& [key, value] : credentials->container_environment())
      env[key] = value;
  }
  for (const auto& [key, value] : host_settings_env(context.env, request))
    env[key] = value;
  return env;
}

// As SageMaker words it, with what this host was given and what it used.
std::string out_of_memory_reason(const HostLaunch& host, const OutOfMemory& oom) {
  std::string reason = "OutOfMemoryError: Please use an instance type with more memory, or reduce the size of job "
                       "data processed on an instance. " +
                       store::host_name(host.index) +
                       " was killed by the kernel for running out of memory: its limit is " +
                       memory_text(oom.limit_bytes);
  if (!host.resources.instance_type.empty()) reason += " (" + host.resources.instance_type + ")";
  if (oom.peak_bytes > 0) reason += ", and it used at most " + memory_text(oom.peak_bytes);
  return reason;
}

int64_t whole_seconds(double seconds) { return std::max<int64_t>(1, std::llround(seconds)); }

class JobRun {
public:
  JobRun(store::Store& store, store::JobLock lock, store::JobRow row, const RunContext& context)
      : m_lock(std::move(lock)), m_folder(store.folder(row.name)), m_request(job::read_checked_request(row.request)),
        m_book(store::StatusWriter(store.index(), m_folder, m_lock), std::move(row.status)),
        m_attempts(attempt_policy(m_request, m_book.snapshot().creation_time, context.rehearsal)), m_context(context),
        m_journal(m_folder.journal_file()), m_observer(m_journal, context.s3_endpoint),
        m_storage(make_transfer(), &m_journal),
        m_stops(context.signal_fd, [this] { m_book.change(job::begin_stopping); }) {}

  // One attempt after another (runner/attempts.hpp) until one ends the job: each lays out fresh
  // hosts, stages the inputs and checkpoints, trains; the last one uploads the outputs.
  job::TrainingJobStatus run() {
    if (auto recorded = m_lock.record_holder(); !recorded)
      m_failure = "InternalServerError: " + recorded.error().message;
    m_book.change([](auto& status, double now) { return job::advance(status, SecondaryStatus::downloading, now); });
    while (true) {
      const bool trained =
          m_failure.empty() && lay_out_hosts() && stage_inputs() && !m_stops.requested() && start_hosts();
      if (trained) {
        m_sync->start();
        supervise_hosts();
        m_sync->stop();
      }
      const NextAttempt next = m_attempts.next(attempt_end(), m_failure, job::now_seconds());
      m_out_of_wait = next.out_of_wait;
      if (!next.restart) {
        if (trained) upload_outputs();
        break;
      }
      restart(next);
    }
    return finish();
  }

private:
  aws::transfer::Manager* make_transfer() {
    if (m_context.s3 == nullptr) return nullptr;
    aws::transfer::Options options;
    options.concurrency = m_context.transfer_concurrency;
    options.observer = &m_observer;
    m_transfer = std::make_unique<aws::transfer::Manager>(*m_context.s3, options);
    return m_transfer.get();
  }

  AttemptEnd attempt_end() const {
    if (m_stops.requested()) return AttemptEnd::finished;
    if (m_start_failed || m_infrastructure_failed) return AttemptEnd::infrastructure_failed;
    if (m_outcome.reason == StopReason::interrupted) return AttemptEnd::interrupted;
    if (m_outcome.reason == StopReason::max_wait) return AttemptEnd::out_of_wait;
    return AttemptEnd::finished;
  }

  // Fresh hosts for the next attempt, as new instances would be: what the last one checkpointed
  // goes up (the next downloads it), its trees and processes go.
  void restart(const NextAttempt& next) {
    if (m_sync) {
      if (auto saved = m_sync->finish(); !saved)
        std::fprintf(stderr, "sagerun: warning: job %s: the checkpoints of attempt %d were not uploaded: %s\n",
                     m_request.job_name.c_str(), m_attempts.number() - 1, saved.error().message.c_str());
      m_sync.reset();
    }
    for (const auto& transition : next.transitions) {
      m_book.change(
          [&](auto& status, double now) { return job::advance(status, transition.status, now, transition.message); });
    }
    m_runs.clear();
    m_credentials.reset();
    m_addresses.reset();
    m_metrics.reset();
    for (const auto& host : m_hosts) {
      std::error_code error;
      fs::remove_all(host.base(), error);
      if (error)
        std::fprintf(stderr, "sagerun: warning: cannot remove the last attempt's host tree %s: %s\n",
                     host.base().c_str(), error.message().c_str());
    }
    m_hosts.clear();
    m_outcome = {};
    m_failure.clear();
    m_start_failed = false;
    m_infrastructure_failed = false;
    m_book.change([](auto& status, double now) { return job::advance(status, SecondaryStatus::downloading, now); });
  }

  bool failed(std::string reason) {
    if (m_failure.empty()) m_failure = std::move(reason);
    return false;
  }

  bool lay_out_hosts() {
    m_runtime = m_context.runtime;
    if (m_runtime == nullptr) {
      m_own_runtime = make_runtime(m_request, m_context, m_folder);
      m_runtime = m_own_runtime.get();
    }
    for (int i = 0; i < m_request.instance_count; ++i) {
      m_hosts.push_back(m_folder.host_paths(i));
      if (auto written = write_host_tree(m_request, i, m_hosts.back(), m_runtime->mount()); !written)
        return failed("InternalServerError: " + written.error().message);
    }
    return true;
  }

  bool stage_inputs() {
    for (const auto& channel : m_request.channels) {
      std::vector<fs::path> folders;
      folders.reserve(m_hosts.size());
      for (const auto& host : m_hosts)
        folders.push_back(host.channel(channel.name));
      if (auto staged = stage_channel(channel, folders, m_transfer.get()); !staged)
        return failed("ClientError: channel '" + channel.name + "': " + staged.error().message);
    }
    if (auto staged = stage_submit_directory(m_request, m_hosts); !staged)
      return failed("ClientError: HyperParameters: " + staged.error().message);
    if (auto got = download_checkpoints(m_request, m_hosts, m_storage); !got)
      return failed("ClientError: CheckpointConfig: " + got.error().message);
    m_sync.emplace(m_request, m_hosts, m_storage, sync_period(m_context.env).value_or(k_default_sync_period));
    return true;
  }

  bool start_hosts() {
    if (m_context.credentials != nullptr && m_context.credentials->get()) {
      auto started = CredentialsServer::start(*m_context.credentials);
      if (!started) return failed("InternalServerError: " + started.error().message);
      m_credentials = std::move(*started);
    }
    auto metrics = MetricExtractor::create(m_request.metric_definitions);
    if (!metrics) return failed("ClientError: " + metrics.error().message);
    m_metrics.emplace(std::move(*metrics));
    auto block = AddressBlock::claim(m_folder.store_root(), m_request.job_name);
    if (!block) return failed("InternalServerError: " + block.error().message);
    m_addresses.emplace(std::move(*block));
    std::vector<std::string> addresses;
    addresses.reserve(static_cast<size_t>(m_request.instance_count));
    for (int i = 0; i < m_request.instance_count; ++i)
      addresses.push_back(m_addresses->host(i));
    util::EnvMap platform = platform_environment(m_request, m_book.snapshot(), m_context, m_credentials.get());
    platform[contract::k_master_port_variable] = std::to_string(m_addresses->master_port());
    // What proves a launch to a host comes from the job itself (MPI's agent, mpi_agent.hpp).
    const auto token = aws::random_hex(32);
    if (!token) return failed("InternalServerError: could not draw the job's launch token (OpenSSL)");
    platform["SAGERUN_LAUNCH_TOKEN"] = *token;

    const auto resources = plan_resources();
    m_book.change([this](auto& status, double now) {
      if (!status.training_start_time) status.training_start_time = now; // the first attempt's
      m_attempt_started = now;
      return job::advance(status, SecondaryStatus::training, now);
    });
    const Echo echo = m_context.echo == Echo::raw && m_request.instance_count > 1 ? Echo::prefixed : m_context.echo;
    for (int i = 0; i < m_request.instance_count; ++i) {
      HostLaunch launch;
      launch.job_name = m_request.job_name;
      launch.index = i;
      launch.count = m_request.instance_count;
      launch.tree = m_hosts[static_cast<size_t>(i)].base();
      launch.checkpoint_dir = checkpoint_folder(m_request, m_hosts[static_cast<size_t>(i)]);
      if (m_request.checkpoint) launch.checkpoint_local_path = m_request.checkpoint->local_path;
      launch.env = platform;
      launch.addresses = addresses;
      if (static_cast<size_t>(i) < resources.size()) launch.resources = resources[static_cast<size_t>(i)];
      if (!m_request.container_entrypoint.empty()) {
        launch.program = m_request.container_entrypoint;
        launch.program.insert(launch.program.end(), m_request.container_arguments.begin(),
                              m_request.container_arguments.end());
      }
      const HostLogFiles files{m_folder.log_file(i), m_folder.times_file(i), m_folder.metrics_file(i)};
      auto log = HostLog::open(files, store::host_name(i), echo, &*m_metrics, m_context.echo_fd);
      if (!log) return stop_started("InternalServerError: " + log.error().message);
      auto process = m_runtime->start(launch);
      if (!process) {
        m_start_failed = true; // the runtime's failure, not the job's: RetryStrategy retries it
        return stop_started("ClientError: cannot start " + store::host_name(i) + ": " + process.error().message);
      }
      m_runs.push_back(HostRun{std::move(launch), std::move(*process), std::move(*log)});
    }
    start_instance_metrics();
    return true;
  }

  // Each host's CPUs, memory and GPUs from its instance type, capped by this machine; what was
  // capped is said once, at start.
  std::vector<HostResources> plan_resources() const {
    const auto* type = job::find_instance_type(m_request.instance_type);
    if (type == nullptr) return {};
    const MachineResources machine = m_context.machine ? *m_context.machine : detect_machine();
    const auto plan =
        plan_host_resources(*type, m_request.instance_count, machine, m_context.gpus.value_or(machine.gpus));
    for (const auto& note : plan.notes)
      std::fprintf(stderr, "sagerun: job %s: %s\n", m_request.job_name.c_str(), note.c_str());
    return plan.hosts;
  }

  // Once every host has started (the sampler holds their launches and processes).
  void start_instance_metrics() {
    const auto period = instance_metrics_period(m_context.env).value_or(std::chrono::seconds(5));
    if (period.count() == 0) return;
    SamplerOptions options;
    options.period = period;
    options.runtime = m_runtime;
    if (std::ranges::any_of(m_runs, [](const HostRun& run) { return !run.launch.resources.gpus.empty(); }))
      options.nvidia_smi = find_nvidia_smi(m_context.env);
    std::vector<SampledHost> hosts;
    hosts.reserve(m_runs.size());
    for (const auto& run : m_runs)
      hosts.push_back({&run.launch, &run.process, m_folder.instance_metrics_file(run.launch.index)});
    m_sampler = InstanceSampler::start(hosts, std::move(options));
  }

  bool stop_started(std::string reason) {
    for (auto& run : m_runs)
      m_runtime->kill(run.launch, run.process);
    for (auto& run : m_runs)
      run.process.wait_exit();
    return failed(std::move(reason));
  }

  void supervise_hosts() {
    SuperviseOptions options;
    const auto in = [](double seconds) {
      return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    };
    // MaxRuntime counts the training of every attempt; MaxWaitTime runs from the job's creation.
    options.deadline = in(m_attempts.training_seconds_left());
    if (const auto& wait = m_attempts.policy().wait_deadline) options.wait_deadline = in(*wait - job::now_seconds());
    if (auto after = m_attempts.interrupt_after()) options.interrupt_at = Clock::now() + *after;
    options.grace = stop_grace(m_context.env, m_request).value_or(std::chrono::seconds(120));
    options.stops = &m_stops;
    m_outcome = supervise(m_runs, *m_runtime, options);
    if (m_sampler) m_sampler->stop(); // before the containers go
    std::vector<std::optional<OutOfMemory>> out_of_memory;
    for (auto& run : m_runs) {
      out_of_memory.push_back(m_runtime->out_of_memory(run.launch));
      m_runtime->cleanup(run.launch);
    }
    m_book.change([&](auto& status, double now) {
      status.training_end_time = now;
      status.final_metrics = m_metrics->final_metrics();
      // Billed as trained: locally no attempt is cheaper than another (ARCHITECTURE.md).
      m_attempts.add_training(now - m_attempt_started);
      status.training_time_seconds = whole_seconds(m_attempts.trained_seconds());
      status.billable_time_seconds = whole_seconds(m_attempts.trained_seconds());
      return true;
    });
    // The reason comes from the host that failed first (the others were stopped because of it),
    // before the uploads can fail too.
    std::vector<size_t> order;
    if (m_outcome.first_failed) order.push_back(*m_outcome.first_failed);
    for (size_t i = 0; i < m_runs.size(); ++i)
      order.push_back(i);
    for (const size_t i : order) {
      if (m_outcome.exit_codes[i] == 0) continue;
      if (out_of_memory[i]) {
        failed(out_of_memory_reason(m_runs[i].launch, *out_of_memory[i]));
        break;
      }
      if (m_outcome.reason == StopReason::host_failed && i == m_outcome.first_failed) {
        const HostEnd end{m_outcome.exit_codes[i], util::is_file(m_hosts[i].failure_file()), false};
        if (is_infrastructure_failure(end)) {
          m_infrastructure_failed = true;
          failed(infrastructure_reason(store::host_name(static_cast<int>(i)), end.exit_code));
          break;
        }
      }
      std::string reason = read_failure_reason(m_hosts[i]);
      if (reason.empty()) {
        const int index = static_cast<int>(i);
        reason = contract::compose_failure("AlgorithmError: " + store::host_name(index) + " exited with code " +
                                               std::to_string(m_outcome.exit_codes[i]) +
                                               util::no_space_note(m_hosts[i].base()) +
                                               " (see its log: " + m_folder.log_file(index).string() + ")",
                                           m_runs[i].log.tail());
      }
      failed(std::move(reason));
      break;
    }
  }

  // Also after a failure or a stop, as SageMaker does.
  void upload_outputs() {
    m_book.change([](auto& status, double now) { return job::advance(status, SecondaryStatus::uploading, now); });
    auto uploaded = runner::upload_outputs(m_request, m_hosts, m_folder.work_folder(), m_storage);
    if (uploaded) {
      m_book.change([&](auto& status, double) {
        status.model_artifacts = uploaded->model_artifacts;
        return true;
      });
    } else {
      m_upload_failure = "ClientError: uploading the outputs failed: " + uploaded.error().message +
                         util::no_space_note(m_folder.work_folder());
    }
    // The checkpoints and output/intermediate: what changed since the live sync put it.
    if (auto synced = m_sync->finish(); !synced && m_upload_failure.empty())
      m_upload_failure = "ClientError: uploading " + synced.error().message;
  }

  job::TrainingJobStatus finish() {
    const bool out_of_time = m_outcome.reason == StopReason::max_runtime || m_out_of_wait;
    if (m_stops.requested() || out_of_time) {
      const auto how = m_out_of_wait ? SecondaryStatus::max_wait_time_exceeded
                       : out_of_time ? SecondaryStatus::max_runtime_exceeded
                                     : SecondaryStatus::stopped;
      m_book.change([&](auto& status, double now) { return job::stopped(status, how, now); });
    } else if (!m_failure.empty() || !m_upload_failure.empty()) {
      const std::string& reason = m_failure.empty() ? m_upload_failure : m_failure;
      m_book.change([&](auto& status, double now) { return job::fail(status, reason, now); });
    } else {
      m_book.change(job::complete);
    }
    // Every transfer ended: nothing in flight for anyone to clean up.
    if (store::TransferJournal::read_open(m_folder.journal_file()).empty()) {
      std::error_code ignored;
      fs::remove(m_folder.journal_file(), ignored);
    }
    return m_book.snapshot();
  }

  store::JobLock m_lock;
  store::JobFolder m_folder;
  job::TrainingJobRequest m_request;
  StatusBook m_book;
  Attempts m_attempts;
  const RunContext& m_context;
  store::TransferJournal m_journal;
  JournalObserver m_observer;
  std::unique_ptr<aws::transfer::Manager> m_transfer;
  Storage m_storage;
  std::optional<LiveSync> m_sync; // set once staged; over m_storage and m_hosts
  std::unique_ptr<Runtime> m_own_runtime;
  Runtime* m_runtime = nullptr;
  std::vector<contract::Paths> m_hosts;
  std::unique_ptr<CredentialsServer> m_credentials;
  std::optional<AddressBlock> m_addresses; // held until the hosts are gone
  std::optional<MetricExtractor> m_metrics;
  std::vector<HostRun> m_runs;
  std::unique_ptr<InstanceSampler> m_sampler; // after m_runs: it reads them until it stops
  SuperviseResult m_outcome;
  std::string m_failure;                // the job's FailureReason: the first failure
  std::string m_upload_failure;         // when nothing failed before the uploads
  double m_attempt_started = 0;         // when this attempt's training began (seconds since the epoch)
  bool m_start_failed = false;          // the runtime could not start a host
  bool m_infrastructure_failed = false; // a host was lost from outside (is_infrastructure_failure)
  bool m_out_of_wait = false;           // MaxWaitTimeInSeconds passed
  StopWatcher m_stops;                  // last: its thread writes through m_book
};

} // namespace

Expected<std::chrono::seconds> stop_grace(const util::EnvMap& env, const job::TrainingJobRequest& request) {
  auto settings = contract::read_train_settings(host_settings_env(env, request));
  if (!settings) return std::unexpected(settings.error());
  return settings->stop_grace + std::chrono::seconds(10);
}

Expected<void> check_runnable(const job::TrainingJobRequest& request, const util::EnvMap& env) {
  auto unsupported = [](std::string message) {
    return std::unexpected(job::validation_error(std::move(message), util::ErrorKind::unsupported));
  };
  if (request.input_mode == "Pipe") {
    return unsupported("AlgorithmSpecification.TrainingInputMode: Pipe mode is not supported locally; use File or "
                       "FastFile (both stage the files)");
  }
  for (const auto& channel : request.channels) {
    if (channel.input_mode == "Pipe") {
      return unsupported("InputDataConfig channel '" + channel.name +
                         "': InputMode Pipe is not supported locally; use File");
    }
  }
  if (auto settings = contract::read_train_settings(host_settings_env(env, request)); !settings) {
    return std::unexpected(job::validation_error(settings.error().message, settings.error().kind));
  }
  if (auto period = sync_period(env); !period)
    return std::unexpected(job::validation_error(period.error().message, period.error().kind));
  if (auto period = instance_metrics_period(env); !period)
    return std::unexpected(job::validation_error(period.error().message, period.error().kind));
  // A launcher that only AWS's own images have (SMDDP, XLA, parameter servers), refused before
  // anything runs rather than by each host.
  util::OrderedJson hyperparameters = util::OrderedJson::object();
  for (const auto& [key, value] : request.hyperparameters)
    hyperparameters[key] = value;
  if (auto refused = contract::refused_launcher(contract::split_hyperparameters(hyperparameters).framework);
      !refused.empty()) {
    return unsupported(refused);
  }
  return {};
}

Expected<void> fail_before_start(store::Store& store, const store::JobLock& lock, const std::string& name,
                                 const std::string& reason) {
  auto row = store.index().find(name);
  if (!row) return util::fail(util::ErrorKind::not_found, "no training job " + name + " in " + store.root().string());
  job::fail(row->status, reason, job::now_seconds());
  return store::StatusWriter(store.index(), store.folder(row->name), lock).write(row->status);
}

Expected<job::TrainingJobStatus> run_job(store::Store& store, store::JobLock lock, const std::string& name,
                                         const RunContext& context) {
  auto row = store.index().find(name);
  if (!row) return util::fail(util::ErrorKind::not_found, "no training job " + name + " in " + store.root().string());
  return JobRun(store, std::move(lock), std::move(*row), context).run();
}

} // namespace sagerun::runner
