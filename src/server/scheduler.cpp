#include "server/scheduler.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "job/instance_types.hpp"
#include "job/lifecycle.hpp"
#include "job/service_error.hpp"
#include "store/runner_lock.hpp"
#include "store/status_writer.hpp"
#include "util/atomic_file.hpp"
#include "util/files.hpp"
#include "util/text.hpp"

namespace sagerun::server {
namespace {

constexpr double k_unlimited = 1e12;

std::string plural(size_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

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
      m_wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), m_free_gpus(m_options.machine.gpus) {}

Scheduler::Share Scheduler::share_of(const job::TrainingJobRequest& request) const {
  Share share;
  share.instances = request.instance_count;
  const auto* type = job::find_instance_type(request.instance_type);
  if (type == nullptr) return share;
  runner::MachineResources machine = m_options.machine;
  if (machine.cpus <= 0) machine.cpus = k_unlimited;
  if (machine.memory_bytes <= 0) machine.memory_bytes = static_cast<int64_t>(k_unlimited);
  for (const auto& host : runner::plan_host_resources(*type, request.instance_count, machine, machine.gpus).hosts) {
    share.cpus += host.cpus;
    share.memory_bytes += host.memory_bytes;
    share.gpus += host.gpus.size();
  }
  // A job larger than the whole machine runs alone, its hosts sharing it (the runner says so).
  share.cpus = std::min(share.cpus, machine.cpus);
  share.memory_bytes = std::min(share.memory_bytes, machine.memory_bytes);
  return share;
}

std::string Scheduler::short_of(const Share& share) const {
  const auto& machine = m_options.machine;
  if (share.instances > m_options.max_instances - m_in_use) {
    return "this server runs at most " + plural(static_cast<size_t>(m_options.max_instances), "instance") +
           " at once (--max-instances)";
  }
  if (machine.cpus > 0 && m_cpus_in_use + share.cpus > machine.cpus + 1e-9) {
    return "its hosts need " + runner::cpus_text(share.cpus) + " CPUs and " + runner::cpus_text(m_cpus_in_use) +
           " of this server's " + runner::cpus_text(machine.cpus) + " are in use (--machine-cpus)";
  }
  if (machine.memory_bytes > 0 && m_memory_in_use + share.memory_bytes > machine.memory_bytes) {
    return "its hosts need " + runner::memory_text(share.memory_bytes) + " of memory and " +
           runner::memory_text(m_memory_in_use) + " of this server's " + runner::memory_text(machine.memory_bytes) +
           " are in use (--machine-memory-gib)";
  }
  if (share.gpus > m_free_gpus.size()) {
    return "it needs " + plural(share.gpus, "GPU") + " of its own and " + std::to_string(m_free_gpus.size()) +
           " of this server's " + std::to_string(machine.gpus.size()) + " are free (--machine-gpus)";
  }
  return {};
}

void Scheduler::take(const std::string& name, Running run) {
  m_in_use += run.share.instances;
  m_cpus_in_use += run.share.cpus;
  m_memory_in_use += run.share.memory_bytes;
  std::erase_if(m_free_gpus, [&](int gpu) { return std::ranges::find(run.gpus, gpu) != run.gpus.end(); });
  m_running[name] = std::move(run);
}

void Scheduler::release(const Running& run) {
  m_in_use -= run.share.instances;
  m_cpus_in_use = std::max(0.0, m_cpus_in_use - run.share.cpus);
  m_memory_in_use = std::max<int64_t>(0, m_memory_in_use - run.share.memory_bytes);
  for (const int gpu : run.gpus) {
    if (std::ranges::find(m_options.machine.gpus, gpu) != m_options.machine.gpus.end()) m_free_gpus.push_back(gpu);
  }
  std::ranges::sort(m_free_gpus);
}

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
      // A runner a former server started, alive (reconcile_all ended the others), with the GPUs
      // it was given.
      const auto folder = store.folder(row.name);
      const auto holder = store::recorded_holder(folder.lock_file());
      Running run{holder ? holder->pid : 0,
                  share_of(job::read_checked_request(row.request)),
                  {},
                  false,
                  holder ? util::open_exit_fd(holder->pid) : util::UniqueFd()}; // a hint: the lock decides
      run.share.instances = row.instances;
      if (auto given = util::read_file(folder.gpus_file())) {
        run.gpus = runner::parse_gpu_list(std::string(util::trim(*given))).value_or(std::vector<int>{});
        run.share.gpus = run.gpus.size();
      }
      take(row.name, std::move(run));
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
    // Unlocked (above), and the eventfd is non-blocking.
    (void)!::read(m_wake.get(), &count, sizeof count); // NOLINT(clang-analyzer-unix.BlockInCriticalSection)
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
      release(it->second);
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
       std::to_string(m_in_use - run.share.instances) + " of " + std::to_string(m_options.max_instances) +
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
    if (!short_of(share_of(job::read_checked_request(row->request))).empty()) return;
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
  const Share share = share_of(job::read_checked_request(row.request));
  // Its own GPUs, the lowest free ones; none is "" (it sees none).
  std::vector<int> gpus(m_free_gpus.begin(),
                        m_free_gpus.begin() + static_cast<std::ptrdiff_t>(std::min(share.gpus, m_free_gpus.size())));
  auto gpus_written = util::write_file_atomic(store.folder(row.name).gpus_file(), runner::gpu_list(gpus) + "\n");
  auto pid =
      gpus_written ? m_launcher.start(store, row.name, lock) : Expected<pid_t>(std::unexpected(gpus_written.error()));
  if (!pid) {
    auto status = row.status;
    job::fail(status, "InternalServerError: the job's runner could not start: " + pid.error().message,
              job::now_seconds());
    if (auto written = store::StatusWriter(store.index(), store.folder(row.name), lock).write(status); !written)
      note("job " + row.name + ": " + written.error().message);
    note("job " + row.name + " could not start: " + pid.error().message);
    return;
  }
  take(row.name, Running{*pid, share, std::move(gpus), true, util::open_exit_fd(*pid)});
  wake(); // the loop watches the new runner's pidfd from now
  note("job " + row.name + " started (" + std::to_string(m_in_use) + " of " + std::to_string(m_options.max_instances) +
       " instances in use)");
}

Expected<std::string> Scheduler::submit(const job::TrainingJobRequest& request) {
  std::unique_lock lock(m_mutex);
  if (request.instance_count > m_options.max_instances)
    return std::unexpected(limit_exceeded(request, m_options.max_instances, m_in_use));
  const std::string waits_for = short_of(share_of(request));
  const bool fits = m_queue.empty() && waits_for.empty();
  jobs::NewJob job{request,
                   store::Origin::server,
                   m_options.region,
                   m_options.account,
                   !fits,
                   "Waiting for capacity: " +
                       (waits_for.empty() ? std::string("jobs created before it wait too") : waits_for)};
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
