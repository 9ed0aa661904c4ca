#include "server/scheduler.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>

#include "job/status.hpp"
#include "runner/job_runner.hpp"
#include "runner/state.hpp"

namespace sagerun::server {
namespace {

// A status record that cannot be written is logged: the SQLite store still has it.
void write_status_logged(const runner::JobFolder& folder, const job::TrainingJobStatus& status) {
  if (auto written = folder.write_status(status); !written) {
    std::fprintf(stderr, "sagerun server: %s\n", written.error().message.c_str());
  }
}

std::string pending_message(int max_instances) {
  return "Waiting for capacity: this server runs at most " + std::to_string(max_instances) + " instance" +
         (max_instances == 1 ? "" : "s") + " at once (--max-instances)";
}

// Identifies one version of status.json: the runner replaces it with a rename on every write.
std::string fingerprint(const std::filesystem::path& file) {
  struct stat info{};
  if (::stat(file.c_str(), &info) != 0) return {};
  return std::to_string(info.st_ino) + ":" + std::to_string(info.st_mtim.tv_sec) + "." +
         std::to_string(info.st_mtim.tv_nsec) + ":" + std::to_string(info.st_size);
}

} // namespace

bool is_final_status(const std::string& status) {
  return status == "Completed" || status == "Failed" || status == "Stopped";
}

Scheduler::Scheduler(JobTable& table, Launcher& launcher, SchedulerOptions options)
    : m_table(table), m_launcher(launcher), m_options(std::move(options)) {}

Scheduler::~Scheduler() { stop(); }

void Scheduler::note(const std::string& line) const {
  if (m_options.log) std::fprintf(stderr, "sagerun: server: %s\n", line.c_str());
}

void Scheduler::save(const JobRecord& record) {
  if (auto saved = m_table.update(record); !saved)
    note("cannot record job " + record.name + ": " + saved.error().message);
}

void Scheduler::adopt(const JobRecord& record, pid_t pid) {
  m_running[record.name] = Running{pid, record.instances, {}};
  m_in_use += record.instances;
}

void Scheduler::start(const std::vector<JobRecord>& records) {
  std::unique_lock lock(m_mutex);
  for (const auto& record : records) {
    if (record.phase == Phase::done) continue;
    const runner::JobFolder folder(m_options.state_dir, record.name);
    if (record.phase == Phase::running) {
      adopt(record, record.runner_pid);
    } else if (folder.exists()) {
      // The server ended between creating the folder and recording the runner.
      adopt(record, folder.live_runner_pid().value_or(0));
    } else {
      m_queue.push_back(record.name);
    }
  }
  if (!m_running.empty() || !m_queue.empty()) {
    note("reconciling " + std::to_string(m_running.size()) + " running and " + std::to_string(m_queue.size()) +
         " queued job(s) from the last run");
  }
  tick();
  lock.unlock();
  m_thread = std::thread([this] { loop(); });
}

void Scheduler::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

void Scheduler::loop() {
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    m_wake.wait_for(lock, m_options.poll, [this] { return m_stopping || m_kick; });
    m_kick = false;
    if (!m_stopping) tick();
  }
}

int Scheduler::instances_in_use() const {
  std::lock_guard lock(m_mutex);
  return m_in_use;
}

void Scheduler::tick() {
  // A runner exits just after writing its final status; reap it once it has.
  std::erase_if(m_reaping, [this](const auto& runner) { return !m_launcher.alive(runner.first, runner.second); });
  for (auto it = m_running.begin(); it != m_running.end();) {
    if (watch(it->first, it->second)) {
      m_in_use -= it->second.instances;
      it = m_running.erase(it);
    } else {
      ++it;
    }
  }
  dispatch_waiting();
}

// True when the job has ended (its capacity is free again).
bool Scheduler::watch(const std::string& name, Running& run) {
  auto record = m_table.get(name);
  if (!record) return true;
  sync_from_folder(*record, run, false);
  if (!is_final_status(record->status.status)) {
    if (m_launcher.alive(run.pid, name)) return false;
    // The runner is gone; its last write may have landed since the look above.
    sync_from_folder(*record, run, true);
    if (!is_final_status(record->status.status)) end_orphaned(*record);
  } else if (m_launcher.alive(run.pid, name)) {
    m_reaping.emplace_back(run.pid, name);
  }
  record->phase = Phase::done;
  record->runner_pid = 0;
  save(*record);
  note("job " + name + " ended " + record->status.status + " (" + std::to_string(m_in_use - run.instances) + " of " +
       std::to_string(m_options.max_instances) + " instances in use)");
  return true;
}

void Scheduler::sync_from_folder(JobRecord& record, Running& run, bool force) {
  const runner::JobFolder folder(m_options.state_dir, record.name);
  const auto file = folder.folder() / "status.json";
  auto print = fingerprint(file);
  if (!force && (print.empty() || print == run.fingerprint)) return;
  auto status = folder.read_status();
  if (!status) return;
  run.fingerprint = std::move(print);
  // Between StopTrainingJob and the runner's own `Stopping`, the job shows what was asked.
  if (record.stop_requested && status->status == "InProgress") return;
  record.status = std::move(*status);
  save(record);
}

void Scheduler::end_orphaned(JobRecord& record) {
  const runner::JobFolder folder(m_options.state_dir, record.name);
  const double now = job::now_seconds();
  if (record.stop_requested) {
    record.status.status = "Stopped";
    job::transition(record.status, "Stopped", "Training job stopped", now);
  } else {
    record.status.status = "Failed";
    record.status.failure_reason = "InternalServerError: the runner of this job ended before the job did (killed, or "
                                   "the machine restarted?); see " +
                                   (folder.folder() / "runner.log").string();
    job::transition(record.status, "Failed", "Training job failed", now);
  }
  if (folder.exists()) write_status_logged(folder, record.status);
}

void Scheduler::dispatch_waiting() {
  while (!m_queue.empty()) {
    auto record = m_table.get(m_queue.front());
    if (!record || record->phase != Phase::queued) {
      m_queue.pop_front();
      continue;
    }
    // First come, first served: a large job at the head is not overtaken by smaller ones.
    if (record->instances > m_options.max_instances - m_in_use) return;
    m_queue.pop_front();
    launch(*record);
  }
}

void Scheduler::fail_to_start(JobRecord& record, const std::string& reason) {
  record.status.status = "Failed";
  record.status.failure_reason = reason.substr(0, 1024);
  job::transition(record.status, "Failed", "Training job failed", job::now_seconds());
  record.phase = Phase::done;
  const runner::JobFolder folder(m_options.state_dir, record.name);
  if (folder.exists()) write_status_logged(folder, record.status);
  save(record);
  note("job " + record.name + " could not start: " + reason);
}

void Scheduler::launch(JobRecord& record) {
  const runner::JobFolder folder(m_options.state_dir, record.name);
  if (!folder.exists()) {
    auto request = job::parse_request(record.request, job::UriPolicy::local);
    if (!request) return fail_to_start(record, "InternalServerError: " + request.error().message);
    runner::RunContext context;
    context.region = m_options.region;
    context.account = m_options.account;
    auto created = runner::create_job(m_options.state_dir, *request, context);
    if (!created) return fail_to_start(record, "InternalServerError: " + created.error().message);
  }
  if (record.status.secondary_status == "Pending") {
    job::transition(record.status, "Starting", "Launching requested ML instances", job::now_seconds());
  }
  // The folder's status is the server's (creation time, the Pending wait); the runner goes on from it.
  if (auto written = folder.write_status(record.status); !written) {
    return fail_to_start(record, "InternalServerError: " + written.error().message);
  }
  auto pid = m_launcher.start(m_options.state_dir, record.name);
  if (!pid) return fail_to_start(record, "InternalServerError: " + pid.error().message);
  record.phase = Phase::running;
  record.runner_pid = *pid;
  save(record);
  adopt(record, *pid);
  note("job " + record.name + " started (" + std::to_string(m_in_use) + " of " +
       std::to_string(m_options.max_instances) + " instances in use)");
}

ApiResult<JobRecord> Scheduler::submit(const std::string& name, const nlohmann::json& request, int instances) {
  std::unique_lock lock(m_mutex);
  const std::string arn = job::training_job_arn(m_options.region, m_options.account, name);
  if (m_table.contains(name) || runner::JobFolder(m_options.state_dir, name).exists()) {
    return api_error(400, "ResourceInUse",
                     "Training job names must be unique within an AWS account and region, and a training job with "
                     "this name already exists (" +
                         arn + ")");
  }
  if (instances > m_options.max_instances) {
    std::string type = request.contains("ResourceConfig") && request["ResourceConfig"].is_object()
                           ? request["ResourceConfig"].value("InstanceType", "ml.m5.xlarge")
                           : "ml.m5.xlarge";
    return api_error(400, "ResourceLimitExceeded",
                     "The account-level service limit '" + type + " for training job usage' is " +
                         std::to_string(m_options.max_instances) +
                         " Instances (sagerun server --max-instances), with current utilization of " +
                         std::to_string(m_in_use) + " Instances and a request delta of " + std::to_string(instances) +
                         " Instances. Restart the server with a larger --max-instances to run this job.");
  }
  JobRecord record;
  record.name = name;
  record.request = request;
  record.instances = instances;
  record.status.job_name = name;
  record.status.job_arn = arn;
  record.status.creation_time = job::now_seconds();
  const bool fits = m_queue.empty() && instances <= m_options.max_instances - m_in_use;
  if (fits) {
    job::transition(record.status, "Starting", "Launching requested ML instances", record.status.creation_time);
  } else {
    job::transition(record.status, "Pending", pending_message(m_options.max_instances), record.status.creation_time);
  }
  if (auto stored = m_table.insert(record); !stored) {
    return api_error(500, "InternalFailure", "cannot record the job: " + stored.error().message);
  }
  if (fits) {
    launch(record);
  } else {
    m_queue.push_back(name);
  }
  return record;
}

ApiResult<void> Scheduler::stop_job(const std::string& name) {
  std::unique_lock lock(m_mutex);
  auto record = m_table.get(name);
  if (!record) return validation_error("Requested resource not found.");
  const auto& status = record->status.status;
  if (is_final_status(status)) {
    return validation_error("The request was rejected because the training job is in status " + status + ".");
  }
  if (status == "Stopping" || record->stop_requested) return {};
  const double now = job::now_seconds();
  if (record->phase == Phase::queued) {
    std::erase(m_queue, record->name);
    record->status.status = "Stopped";
    job::transition(record->status, "Stopped", "Training job stopped", now);
    record->phase = Phase::done;
    save(*record);
    note("job " + record->name + " stopped while it waited for capacity");
    return {};
  }
  record->stop_requested = true;
  record->status.status = "Stopping";
  job::transition(record->status, "Stopping", "Stopping the training job", now);
  save(*record);
  const auto running = m_running.find(record->name);
  m_launcher.request_stop(running != m_running.end() ? running->second.pid : record->runner_pid);
  m_kick = true;
  m_wake.notify_all();
  return {};
}

} // namespace sagerun::server
