#pragma once
// A native host's control group: its CPU quota and memory limit (no swap beyond it), its CPU
// time and memory use, its peak, and the kernel's count of out-of-memory kills in it — the
// proof that a host died of memory, not a guess from SIGKILL. Made beside nothing: a child of the
// runner's own cgroup, in each v1 hierarchy (memory, cpu, cpuacct) or in the v2 tree.
//
// The host's first process joins it before exec: join() writes "0" to descriptors opened here,
// so nothing the script allocates escapes the limit.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace sagerun::runner {

namespace fs = std::filesystem;

struct CgroupUsage {
  double cpu_seconds = 0;
  int64_t memory_bytes = 0;
  int64_t peak_bytes = 0; // 0: not known (cgroup v2 before Linux 5.19)
  int64_t oom_kills = 0;
};

// The limits of the cgroups this process is in (0 where none): what the machine offers it.
struct OwnLimits {
  double cpus = 0;
  int64_t memory_bytes = 0;
};
OwnLimits own_limits();

class HostCgroup {
public:
  // Nothing limits (0) is allowed for either. An error says why cgroups cannot be made here.
  static Expected<HostCgroup> create(const std::string& name, double cpus, int64_t memory_bytes);
  HostCgroup(HostCgroup&&) noexcept = default;
  HostCgroup& operator=(HostCgroup&&) noexcept = default;
  HostCgroup(const HostCgroup&) = delete;
  HostCgroup& operator=(const HostCgroup&) = delete;
  ~HostCgroup(); // kills what is left in it and removes it

  // In the new child, before exec: moves the calling process in. 0 or an errno.
  int join() const noexcept;
  CgroupUsage usage() const;
  int64_t memory_limit() const { return m_memory_limit; }

private:
  HostCgroup() = default;
  void remove();
  bool m_v2 = false;
  std::vector<fs::path> m_folders; // v1: memory, cpu, cpuacct (those present); v2: one
  std::vector<util::UniqueFd> m_procs;
  int64_t m_memory_limit = 0;
};

// The usage of the cgroup process `pid` is in (a container's first process, say).
std::optional<CgroupUsage> process_cgroup_usage(pid_t pid);

// The parsers, for the tests: "oom_kill N" of memory.oom_control (v1) or memory.events (v2);
// cpu.stat's usage_usec (v2); a quota of cpu.max ("max 100000" or "200000 100000").
int64_t oom_kills_in(const std::string& text);
double v2_cpu_seconds(const std::string& cpu_stat);
double v2_quota_cpus(const std::string& cpu_max);

} // namespace sagerun::runner
