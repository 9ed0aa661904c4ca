#include "server/scheduler.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <vector>

#include "job/lifecycle.hpp"
#include "job/service_error.hpp"
#include "store/runner_lock.hpp"
#include "store/status_writer.hpp"

namespace sagerun::server {
namespace {

std::string pending_message(int max_instances) {
  return "Waiting for capacity: this server runs at most " + std::to_string(max_instances) + " instance" +
         (max_instances == 1 ? "" : "s") + " at once (--max-instances)";
}

util::Error limit_exceeded(const job::TrainingJobRequest& request, int max_instances, int in_use) {
  return job::limit_exceeded(
      "The account-level service limit '" + request.instance_type + " for training job usage' is " +
      std::to_string(max_instances) + " Instances (sagerun server --max-instances), with current utilization of " +
      std::to_string(in_use) + " Instances and a request delta of " + std::to_string(request.instance_count) +
      " Instances. Restart the server with a larger --max-instances to run this job.");
}

} // namespace

Scheduler::Scheduler(jobs::LocalJobs& jobs, Launcher& launcher, SchedulerOptions options)
    : m_jobs(jobs), m_launcher(launcher), m_options(std::move(options)),
      m_wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Scheduler::~Scheduler() { stop(); }

void Scheduler::note(const std::string& line) const {
  if (m_options.log) std::fprintf(stderr, "sagerun: server: %s\n", line.c_str());
}

void Scheduler::start() {
  std::unique_lock lock(m_mutex);
  m_jobs.reconcile_all();
  auto& store = m_jobs.store();
  if (auto active = store.index().active()) {
    for (const auto& row : *active) {
      if (row.origin != store::Origin::server) continue;
      if (row.status.secondary_status == job::SecondaryStatus::pending) {
        m_queue.push_back(row.name);
        continue;
      }
      // A runner a former server started, alive (reconcile_all ended the others).
      const auto holder = store::recorded_holder(store.folder(row.name).lock_file());
      m_running[row.name] =
          Running{holder ? holder->pid : 0, row.instances, false,
                  holder ? util::open_exit_fd(holder->pid) : util::UniqueFd()}; // a hint: the lock decides
      m_in_use += row.instances;
    }
  }
  if (!m_running.empty() || !m_queue.empty()) {
    note("took over " + std::to_string(m_running.size()) + " running and " + std::to_string(m_queue.size()) +
         " waiting job(s) of the store");
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
  wake();
  if (m_thread.joinable()) m_thread.join();
}

void Scheduler::wake() const {
  const uint64_t one = 1;
  (void)!::write(m_wake.get(), &one, sizeof one);
}

// Sleeps until a runner ends (its pidfd), a new one is to be watched, or the poll period passes.
// Only this thread erases from m_running, so the descriptors polled stay open while unlocked.
void Scheduler::loop() {
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    std::vector<pollfd> fds{{m_wake.get(), POLLIN, 0}};
    for (const auto& [name, run] : m_running) {
      if (run.exit_fd.valid()) fds.push_back({run.exit_fd.get(), POLLIN, 0});
    }
    lock.unlock();
    ::poll(fds.data(), fds.size(), static_cast<int>(m_options.poll.count()));
    uint64_t count = 0;
    (void)!::read(m_wake.get(), &count, sizeof count);
    lock.lock();
    if (!m_stopping) tick();
  }
}

int Scheduler::instances_in_use() const {
  std::lock_guard lock(m_mutex);
  return m_in_use;
}

void Scheduler::tick() {
  for (auto it = m_running.begin(); it != m_running.end();) {
    if (ended(it->first, it->second)) {
      m_in_use -= it->second.instances;
      it = m_running.erase(it);
    } else {
      ++it;
    }
  }
  dispatch_waiting();
}

// True once the job's runner has ended (its capacity is free again); a job it did not end is
// reconciled with how it ended.
bool Scheduler::ended(const std::string& name, const Running& run) {
  std::optional<int> wait_status;
  if (run.ours) {
    auto end = m_launcher.reap(run.pid);
    if (!end) return false;
    wait_status = end->wait_status;
  } else if (store::is_locked(m_jobs.store().folder(name).lock_file())) {
    return false;
  }
  if (wait_status) {
    m_jobs.runner_ended(name, *wait_status);
  } else {
    m_jobs.reconcile_all();
  }
  const auto row = m_jobs.store().index().find(name);
  note("job " + name + " ended " + (row ? std::string(job::to_string(row->status.status)) : "?") + " (" +
       std::to_string(m_in_use - run.instances) + " of " + std::to_string(m_options.max_instances) +
       " instances in use)");
  return true;
}

void Scheduler::dispatch_waiting() {
  while (!m_queue.empty()) {
    const auto row = m_jobs.store().index().find(m_queue.front());
    if (!row || row->status.secondary_status != job::SecondaryStatus::pending || job::has_ended(row->status.status)) {
      m_queue.pop_front(); // stopped while it waited
      continue;
    }
    // First come, first served: a large job at the head is not overtaken by smaller ones.
    if (row->instances > m_options.max_instances - m_in_use) return;
    if (!launch(row->name)) return;
    m_queue.pop_front();
  }
}

bool Scheduler::launch(const std::string& name) {
  auto& store = m_jobs.store();
  const auto folder = store.folder(name);
  auto lock = store::JobLock::try_acquire(folder.lock_file());
  if (!lock || !*lock) return false; // a stop is ending it right now: look again next time
  auto row = store.index().find(name);
  if (!row || row->status.secondary_status != job::SecondaryStatus::pending) return true;
  job::advance(row->status, job::SecondaryStatus::starting, job::now_seconds());
  if (auto written = store::StatusWriter(store.index(), folder, **lock).write(row->status); !written) {
    note("job " + name + " could not start: " + written.error().message);
    return true;
  }
  start_runner(*row, **lock);
  return true;
}

void Scheduler::start_runner(const store::JobRow& row, const store::JobLock& lock) {
  auto& store = m_jobs.store();
  auto pid = m_launcher.start(store, row.name, lock);
  if (!pid) {
    auto status = row.status;
    job::fail(status, "InternalServerError: the job's runner could not start: " + pid.error().message,
              job::now_seconds());
    if (auto written = store::StatusWriter(store.index(), store.folder(row.name), lock).write(status); !written)
      note("job " + row.name + ": " + written.error().message);
    note("job " + row.name + " could not start: " + pid.error().message);
    return;
  }
  m_running[row.name] = Running{*pid, row.instances, true, util::open_exit_fd(*pid)};
  m_in_use += row.instances;
  wake(); // the loop watches the new runner's pidfd from now
  note("job " + row.name + " started (" + std::to_string(m_in_use) + " of " + std::to_string(m_options.max_instances) +
       " instances in use)");
}

Expected<std::string> Scheduler::submit(const job::TrainingJobRequest& request) {
  std::unique_lock lock(m_mutex);
  if (request.instance_count > m_options.max_instances)
    return std::unexpected(limit_exceeded(request, m_options.max_instances, m_in_use));
  const bool fits = m_queue.empty() && request.instance_count <= m_options.max_instances - m_in_use;
  jobs::NewJob job{request,
                   store::Origin::server,
                   m_options.region,
                   m_options.account,
                   !fits,
                   pending_message(m_options.max_instances)};
  auto created = m_jobs.create(job);
  if (!created) return std::unexpected(created.error());
  if (fits) {
    start_runner(created->row, *created->lock); // the creator's lock, straight to the runner
  } else {
    m_queue.push_back(created->row.name);
  }
  return created->row.status.job_arn;
}

} // namespace sagerun::server
