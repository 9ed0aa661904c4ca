#pragma once
// Each host's instance metrics, as SageMaker publishes them for a training host: CPUUtilization
// (percent summed over cores), MemoryUtilization (of the instance's memory), DiskUtilization (of
// the volume holding the host's tree) and, for hosts given GPUs where nvidia-smi exists,
// GPUUtilization and GPUMemoryUtilization (summed over GPUs). One thread per job samples every
// host each period and appends the values to the host's metrics/algo-N.instance.points
// (store/metric_series.hpp); it is stopped and joined when the hosts have ended.

#include <array>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "runner/child_process.hpp"
#include "runner/runtime.hpp"
#include "store/metric_series.hpp"
#include "util/environment.hpp"
#include "util/error.hpp"

namespace sagerun::runner {

// The metrics, in the order of each file's header.
inline constexpr std::array<const char*, 5> k_instance_metrics = {
    "CPUUtilization", "MemoryUtilization", "DiskUtilization", "GPUUtilization", "GPUMemoryUtilization"};

// SAGERUN_INSTANCE_METRICS_SECONDS: whole seconds between samples, 0 to 3600 (0 = none taken);
// 5 when unset. An error names the variable and what it takes.
Expected<std::chrono::seconds> instance_metrics_period(const util::EnvMap& env);

// A host to sample: its launch and process live (in the runner's HostRun) until the sampler stops.
struct SampledHost {
  const HostLaunch* launch = nullptr;
  const ChildProcess* process = nullptr;
  std::filesystem::path points; // its instance metrics file
};

struct SamplerOptions {
  std::chrono::milliseconds period{5000};
  const Runtime* runtime = nullptr; // asked first (Runtime::usage), else the host's /proc tree
  std::filesystem::path nvidia_smi; // empty: no GPU metrics (no GPUs given, or no nvidia-smi)
};

class InstanceSampler {
public:
  // Opens each host's file and starts sampling (the first sample at once). A file that cannot
  // be made is reported on stderr and that host left out: metrics never fail a job.
  static std::unique_ptr<InstanceSampler> start(const std::vector<SampledHost>& hosts, SamplerOptions options);
  ~InstanceSampler(); // stop()
  InstanceSampler(const InstanceSampler&) = delete;
  InstanceSampler& operator=(const InstanceSampler&) = delete;

  // Ends the thread within a moment (it waits on a condition, not a sleep) and joins it.
  void stop();

private:
  struct Host;
  explicit InstanceSampler(SamplerOptions options);
  void run();
  void sample(Host& host, double steady_seconds, int64_t epoch_ms);

  SamplerOptions m_options;
  std::vector<Host> m_hosts;
  uint64_t m_machine_memory = 0;
  bool m_gpus_failed = false;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
  std::thread m_thread; // last: started once the rest is ready
};

} // namespace sagerun::runner
