#pragma once
// What a host uses of this machine, read where the runtime cannot tell (Runtime::usage): its
// process tree in /proc (the host's process and every descendant), the volume of its tree, the
// machine's memory, and the GPUs through nvidia-smi. And the percentages SageMaker publishes of
// them (CPUUtilization summed over cores, MemoryUtilization of the instance's memory).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "runner/runtime.hpp"
#include "util/environment.hpp"

namespace sagerun::runner {

// The fields of /proc/PID/stat the sampler needs.
struct ProcessStat {
  pid_t parent = 0;
  char state = '?';         // 'Z' once it has ended and waits to be reaped
  double cpu_seconds = 0;   // utime + stime, and cutime + cstime of the children it reaped
  uint64_t start_ticks = 0; // when it started, since boot: tells a reused pid from the process
};
std::optional<ProcessStat> read_process_stat(pid_t pid);

// The CPU time and resident memory of `root` and all its descendants (by the parent links of
// every process in /proc); nullopt when `root` is gone or has ended.
std::optional<HostUsage> process_tree_usage(pid_t root);

// This machine's memory (MemTotal of /proc/meminfo); 0 when it cannot be read.
uint64_t machine_memory_bytes();

// The used share of the volume holding `path` (statvfs, as df counts it), in (0, 100];
// nullopt when it cannot be read.
std::optional<double> disk_percent(const std::filesystem::path& path);

// One usage reading and when it was taken (a steady clock, in seconds).
struct UsageAt {
  double seconds = 0;
  HostUsage usage;
};
// CPUUtilization between two readings: CPU seconds over wall seconds, × 100 (so 0–100 × cores);
// 0 when no time passed or the CPU time went back (a process left the tree).
double cpu_percent(const UsageAt& before, const UsageAt& after);
// MemoryUtilization: `memory_bytes` of `limit_bytes`, at most 100; 0 when the limit is unknown.
double memory_percent(uint64_t memory_bytes, uint64_t limit_bytes);

// The GPUs' utilisation, each summed over the GPUs as SageMaker does (0–100 × GPUs).
struct GpuUsage {
  double utilization = 0;
  double memory = 0; // used of total memory, per GPU
  int gpus = 0;
};
// nvidia-smi's answer to --query-gpu=utilization.gpu,memory.used,memory.total
// --format=csv,noheader,nounits: a line per GPU. nullopt when a line does not read so.
std::optional<GpuUsage> parse_gpu_query(std::string_view text);

// nvidia-smi found on PATH of `env` (an absolute path), or empty.
std::filesystem::path find_nvidia_smi(const util::EnvMap& env);
// Runs `nvidia_smi` (fixed argv, no shell) and reads its answer, killing it after `timeout`;
// nullopt when it fails, times out or answers otherwise.
std::optional<GpuUsage> query_gpus(const std::filesystem::path& nvidia_smi, std::chrono::milliseconds timeout);

} // namespace sagerun::runner
