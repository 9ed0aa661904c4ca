#pragma once
// What each host of a job may use: its instance type's vCPUs, memory and GPUs, capped by what
// this machine offers (or what the caller says it offers: --machine-cpus, --machine-memory-gib,
// --machine-gpus). Where the machine is smaller than the type the plan says what was capped, so
// the runner can tell the user at start.

#include <cstdint>
#include <string>
#include <vector>

#include "job/instance_types.hpp"
#include "util/error.hpp"

namespace sagerun::runner {

// What this machine offers the jobs.
struct MachineResources {
  double cpus = 1;
  int64_t memory_bytes = 0;
  std::vector<int> gpus; // NVIDIA device indices
};

// The CPUs this process may run on (its affinity, and its cgroup's CPU quota), the memory it may
// use (MemTotal, and its cgroup's limit) and the NVIDIA devices (/dev/nvidiaN).
MachineResources detect_machine();

// The detected machine with what the caller gave instead: a value <= 0 (or a negative GPU
// count) keeps the detected one; `gpu_count` N means devices 0…N-1.
MachineResources machine_with(MachineResources machine, double cpus, double memory_gib, int gpu_count);

struct HostResources {
  double cpus = 0;          // 0: unlimited
  int64_t memory_bytes = 0; // 0: unlimited
  std::vector<int> gpus;    // the devices this host is given (its own, never another job's)
  std::string instance_type;
};

struct ResourcePlan {
  std::vector<HostResources> hosts;
  std::vector<std::string> notes; // what was capped, for the user
};

// Each of `count` hosts of `type`: its vCPUs and memory (at most the machine's), and its share of
// `gpus` (the devices the job was given: the server's scheduler hands each job its own; a local
// job takes the machine's first ones), type.gpus each while they last.
ResourcePlan plan_host_resources(const job::InstanceType& type, int count, const MachineResources& machine,
                                 const std::vector<int>& gpus);

// "4 GiB", "7.5 GiB", "512 MiB".
std::string memory_text(int64_t bytes);
// "2", "0.5".
std::string cpus_text(double cpus);
// "0,1,3".
std::string gpu_list(const std::vector<int>& gpus);
// Parses "0,1,3" (the runner's --gpu-devices); an error names the flag.
Expected<std::vector<int>> parse_gpu_list(const std::string& text);

} // namespace sagerun::runner
