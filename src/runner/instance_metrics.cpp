#include "runner/instance_metrics.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "runner/host_usage.hpp"
#include "util/settings.hpp"

namespace sagerun::runner {
namespace {

using SteadyClock = std::chrono::steady_clock;

enum Metric : size_t { cpu, memory, disk, gpu, gpu_memory };

// nvidia-smi answers in well under a second; one that hangs must not hold up the sampling.
constexpr std::chrono::milliseconds k_gpu_query_timeout{2000};

double steady_seconds() { return std::chrono::duration<double>(SteadyClock::now().time_since_epoch()).count(); }

int64_t epoch_milliseconds() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace

struct InstanceSampler::Host {
  const HostLaunch* launch = nullptr;
  const ChildProcess* process = nullptr;
  store::MetricWriter writer;
  uint64_t start_ticks = 0;    // the host's process when sampling began: a pid reused later is not it
  std::optional<UsageAt> last; // the previous reading, for CPUUtilization
  bool ended = false;          // its process is gone: nothing more to sample
  size_t lost_reported = 0;    // points that could not be written, already told
};

Expected<std::chrono::seconds> instance_metrics_period(const util::EnvMap& env) {
  auto seconds = util::integer_setting(env, "SAGERUN_INSTANCE_METRICS_SECONDS", {0, 3600, "seconds"});
  if (!seconds) return std::unexpected(seconds.error());
  return std::chrono::seconds(seconds->value_or(5));
}

InstanceSampler::InstanceSampler(SamplerOptions options) : m_options(std::move(options)) {}

std::unique_ptr<InstanceSampler> InstanceSampler::start(const std::vector<SampledHost>& hosts, SamplerOptions options) {
  std::unique_ptr<InstanceSampler> sampler(new InstanceSampler(std::move(options)));
  const std::vector<std::string> names(k_instance_metrics.begin(), k_instance_metrics.end());
  for (const auto& host : hosts) {
    auto writer = store::MetricWriter::create(host.points, names);
    if (!writer) {
      std::fprintf(stderr, "sagerun: warning: no instance metrics for %s: %s\n",
                   host.points.filename().string().c_str(), writer.error().message.c_str());
      continue;
    }
    Host one{host.launch, host.process, std::move(*writer), 0, std::nullopt, false, 0};
    if (auto stat = read_process_stat(host.process->pid())) one.start_ticks = stat->start_ticks;
    sampler->m_hosts.push_back(std::move(one));
  }
  sampler->m_machine_memory = machine_memory_bytes();
  sampler->m_thread = std::thread([raw = sampler.get()] { raw->run(); });
  return sampler;
}

InstanceSampler::~InstanceSampler() { stop(); }

void InstanceSampler::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

void InstanceSampler::run() {
  auto next = SteadyClock::now();
  for (;;) {
    const double now = steady_seconds();
    const int64_t epoch_ms = epoch_milliseconds();
    std::optional<GpuUsage> gpus;
    if (!m_options.nvidia_smi.empty() && !m_gpus_failed) {
      gpus = query_gpus(m_options.nvidia_smi, k_gpu_query_timeout);
      if (!gpus) {
        m_gpus_failed = true; // once: a failing nvidia-smi is not asked again every period
        std::fprintf(stderr, "sagerun: note: %s gave no GPU usage; GPUUtilization is not recorded for this job\n",
                     m_options.nvidia_smi.string().c_str());
      }
    }
    for (auto& host : m_hosts) {
      if (host.ended) continue;
      sample(host, now, epoch_ms);
      // The GPUs are the machine's: every host that was given them sees them all.
      if (gpus && !host.ended) {
        host.writer.append(Metric::gpu, epoch_ms, gpus->utilization);
        host.writer.append(Metric::gpu_memory, epoch_ms, gpus->memory);
      }
      if (host.writer.lost() > host.lost_reported) {
        host.lost_reported = host.writer.lost();
        std::fprintf(stderr, "sagerun: warning: instance metrics could not be written to %s (is the disk full?)\n",
                     host.writer.file().string().c_str());
      }
    }
    // A slow round (a hung nvidia-smi) moves the next one on rather than sampling in a burst.
    next = std::max(next + m_options.period, SteadyClock::now());
    std::unique_lock lock(m_mutex);
    if (m_wake.wait_until(lock, next, [this] { return m_stopping; })) return;
  }
}

void InstanceSampler::sample(Host& host, double steady_seconds, int64_t epoch_ms) {
  std::optional<HostUsage> usage =
      m_options.runtime ? m_options.runtime->usage(*host.launch, *host.process) : std::nullopt;
  if (!usage) {
    const pid_t pid = host.process->pid();
    const auto stat = read_process_stat(pid);
    if (!stat || stat->state == 'Z' || stat->start_ticks != host.start_ticks) {
      host.ended = true;
      return;
    }
    usage = process_tree_usage(pid);
    if (!usage) {
      host.ended = true;
      return;
    }
  }
  const UsageAt reading{steady_seconds, *usage};
  if (host.last) host.writer.append(Metric::cpu, epoch_ms, cpu_percent(*host.last, reading));
  host.last = reading;
  const uint64_t limit = host.launch->resources.memory_bytes > 0
                             ? static_cast<uint64_t>(host.launch->resources.memory_bytes)
                             : m_machine_memory;
  host.writer.append(Metric::memory, epoch_ms, memory_percent(usage->memory_bytes, limit));
  if (auto disk = disk_percent(host.launch->tree)) host.writer.append(Metric::disk, epoch_ms, *disk);
}

} // namespace sagerun::runner
