#pragma once
// The server's scheduler: runs the jobs created through its API within a capacity — instances at
// once, and this machine's CPUs, memory and GPUs, each job counted at what its hosts are given
// (host_resources.hpp) — first come first served. Each job gets GPUs of its own, never another
// running job's, written to its folder (JobFolder::gpus_file) for its runner. A job that does not fit waits, InProgress
// with SecondaryStatus `Pending`; when capacity frees, the scheduler takes its lock, records Starting and hands the
// lock to a runner (`sagerun __run-job`). Runners outlive the server; a server starting on the
// store counts the server jobs whose runners still hold their locks, reconciles those whose
// runners are gone, and queues the Pending ones again. Jobs run by `sagerun local` share the store
// but not the capacity: they are the user's own.

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "job/request.hpp"
#include "jobs/local_jobs.hpp"
#include "runner/host_resources.hpp"
#include "server/launcher.hpp"
#include "util/fd.hpp"

namespace sagerun::server {

struct SchedulerOptions {
  int max_instances = 1;
  // The CPUs, memory and GPUs jobs share; 0 CPUs or memory: not counted.
  runner::MachineResources machine{.cpus = 0, .memory_bytes = 0, .gpus = {}};
  std::string region = "us-east-1";
  std::string account = "000000000000";
  // Exits of runners are delivered (pidfds); this is how often the scheduler looks anyway, for a
  // runner it could not get a pidfd of and a lock that was busy.
  std::chrono::milliseconds poll{1000};
  bool log = true; // one line on stderr per job started and ended
};

class Scheduler {
public:
  Scheduler(jobs::LocalJobs& jobs, Launcher& launcher, SchedulerOptions options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Takes over the store's server jobs (see above), then watches.
  void start();
  // Stops watching. Runners go on; a new server takes them over.
  void stop();

  // CreateTrainingJob for a validated request: ResourceLimitExceeded when the job alone needs more
  // than the capacity, ResourceInUse when the name is taken; else the job starts or waits.
  // Returns its ARN.
  Expected<std::string> submit(const job::TrainingJobRequest& request);

  int instances_in_use() const;

private:
  // What a job takes of the capacity while it runs.
  struct Share {
    int instances = 1;
    double cpus = 0;
    int64_t memory_bytes = 0;
    size_t gpus = 0;
  };
  struct Running {
    pid_t pid = 0;
    Share share;
    std::vector<int> gpus;  // the devices it was given
    bool ours = true;       // started by this server (reaped), else found running (watched by its lock)
    util::UniqueFd exit_fd; // readable once the runner has ended; invalid where pidfds are refused
  };

  void loop();
  void wake() const;
  void tick();
  bool ended(const std::string& name, const Running& run);
  void dispatch_waiting();
  // A waiting job: false when it could not be taken now (its lock is held: try again later).
  bool launch(const std::string& name);
  void start_runner(const store::JobRow& row, const store::JobLock& lock);
  Share share_of(const job::TrainingJobRequest& request) const;
  // Empty when it fits now; else what it waits for.
  std::string short_of(const Share& share) const;
  void take(const std::string& name, Running run);
  void release(const Running& run);
  void note(const std::string& line) const;

  jobs::LocalJobs& m_jobs;
  Launcher& m_launcher;
  SchedulerOptions m_options;

  mutable std::mutex m_mutex;
  util::UniqueFd m_wake; // an eventfd: a new runner to watch, or stop
  bool m_stopping = false;
  std::thread m_thread;
  std::deque<std::string> m_queue;
  std::map<std::string, Running> m_running;
  int m_in_use = 0; // instances
  double m_cpus_in_use = 0;
  int64_t m_memory_in_use = 0;
  std::vector<int> m_free_gpus;
};

} // namespace sagerun::server
