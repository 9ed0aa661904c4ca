#pragma once
// The scheduler: runs jobs within a capacity (instances at once), first come first served.
// A job that does not fit waits, InProgress with SecondaryStatus `Pending`; when capacity
// frees, its folder is created (runner::create_job) and its runner started. Running jobs are
// watched: their status.json is copied into the table whenever the runner rewrites it, and a
// runner that ends without a final status ends its job (Failed, or Stopped when a stop was
// asked). Runners outlive the server; on start, the stored jobs are reconciled with their
// folders and runners (reattached, ended, or queued again).

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/api_error.hpp"
#include "server/job_table.hpp"
#include "server/launcher.hpp"

namespace sagerun::server {

struct SchedulerOptions {
  std::filesystem::path state_dir = {}; // jobs/<name>/ under it
  int max_instances = 1;
  std::string region = "us-east-1";
  std::string account = "000000000000";
  std::chrono::milliseconds poll{100};
  bool log = true; // one line on stderr per job started and ended
};

class Scheduler {
public:
  Scheduler(JobTable& table, Launcher& launcher, SchedulerOptions options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Reconciles the stored jobs (JobTable::load) with their folders and runners, then watches.
  void start(const std::vector<JobRecord>& records);
  // Stops watching. Runners go on; a new server reattaches them.
  void stop();

  // CreateTrainingJob, for a validated request: ResourceInUse when the name is taken,
  // ResourceLimitExceeded when the job alone needs more than the capacity; else the job is
  // started or queued. Returns the job as recorded.
  ApiResult<JobRecord> submit(const std::string& name, const nlohmann::json& request, int instances);
  // StopTrainingJob: a queued job ends Stopped at once; a running one is asked to stop.
  ApiResult<void> stop_job(const std::string& name);

  int instances_in_use() const;

private:
  struct Running {
    pid_t pid = 0;
    int instances = 1;
    std::string fingerprint; // of the status.json last copied
  };

  void loop();
  void tick();
  bool watch(const std::string& name, Running& run);
  void sync_from_folder(JobRecord& record, Running& run, bool force);
  void end_orphaned(JobRecord& record);
  void dispatch_waiting();
  void launch(JobRecord& record);
  void fail_to_start(JobRecord& record, const std::string& reason);
  void save(const JobRecord& record);
  void adopt(const JobRecord& record, pid_t pid);
  void note(const std::string& line) const;

  JobTable& m_table;
  Launcher& m_launcher;
  SchedulerOptions m_options;

  mutable std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
  bool m_kick = false;
  std::thread m_thread;
  std::deque<std::string> m_queue;
  std::map<std::string, Running> m_running;
  std::vector<std::pair<pid_t, std::string>> m_reaping; // runners of ended jobs, not exited yet
  int m_in_use = 0;
};

bool is_final_status(const std::string& status);

} // namespace sagerun::server
