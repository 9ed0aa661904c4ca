#include "runner/cgroup.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "util/files.hpp"

namespace sagerun::runner {
namespace {

// Where each hierarchy process `pid` is in lies (in this process's mounts): v1 by controller
// name, v2 as "".
std::map<std::string, fs::path> cgroup_folders_of(const std::string& pid) {
  std::map<std::string, fs::path> mounts; // controller (or "" for v2) → mount point, minus its root
  std::map<std::string, std::string> roots;
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    std::istringstream fields(line);
    std::string id, parent, device, root, point;
    fields >> id >> parent >> device >> root >> point;
    const auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream tail(line.substr(dash + 3));
    std::string type, source, options;
    tail >> type >> source >> options;
    if (type == "cgroup2") {
      mounts[""] = point;
      roots[""] = root;
    } else if (type == "cgroup") {
      std::istringstream list(options);
      for (std::string option; std::getline(list, option, ',');) {
        if (option == "memory" || option == "cpu" || option == "cpuacct") {
          mounts[option] = point;
          roots[option] = root;
        }
      }
    }
  }
  std::map<std::string, fs::path> out;
  std::ifstream cgroups("/proc/" + pid + "/cgroup");
  for (std::string line; std::getline(cgroups, line);) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    std::vector<std::string> names;
    if (controllers.empty()) {
      names.emplace_back("");
    } else {
      std::istringstream list(controllers);
      for (std::string name; std::getline(list, name, ',');)
        names.push_back(name);
    }
    for (const auto& name : names) {
      if (!mounts.contains(name)) continue;
      std::string inside = path;
      if (const auto& root = roots[name]; root != "/" && inside.starts_with(root)) inside = inside.substr(root.size());
      out[name] = mounts[name] / fs::path(inside).relative_path();
    }
  }
  return out;
}

std::map<std::string, fs::path> own_cgroup_folders() { return cgroup_folders_of("self"); }

std::string read_text(const fs::path& path) {
  auto text = util::read_file(path);
  return text ? *text : std::string();
}

int64_t read_number(const fs::path& path) {
  const std::string text = read_text(path);
  return text.empty() || text.starts_with("max") ? 0 : std::strtoll(text.c_str(), nullptr, 10);
}

Expected<void> write_value(const fs::path& path, const std::string& value) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return util::fail(util::ErrorKind::io, util::errno_message("open " + path.string(), errno));
  const util::UniqueFd guard(fd);
  if (::write(fd, value.data(), value.size()) < 0)
    return util::fail(util::ErrorKind::io, util::errno_message("write " + value + " to " + path.string(), errno));
  return {};
}

// v2: the controllers must be enabled for the children of the runner's cgroup.
bool v2_delegated(const fs::path& base) {
  const std::string enabled = read_text(base / "cgroup.subtree_control");
  if (enabled.find("memory") != std::string::npos && enabled.find("cpu") != std::string::npos) return true;
  return write_value(base / "cgroup.subtree_control", "+memory +cpu").has_value();
}

constexpr int64_t k_period_us = 100000;

} // namespace

int64_t oom_kills_in(const std::string& text) {
  std::istringstream lines(text);
  for (std::string key, value; lines >> key >> value;) {
    if (key == "oom_kill") return std::strtoll(value.c_str(), nullptr, 10);
  }
  return 0;
}

double v2_cpu_seconds(const std::string& cpu_stat) {
  std::istringstream lines(cpu_stat);
  for (std::string key, value; lines >> key >> value;) {
    if (key == "usage_usec") return static_cast<double>(std::strtoll(value.c_str(), nullptr, 10)) / 1e6;
  }
  return 0;
}

double v2_quota_cpus(const std::string& cpu_max) {
  std::istringstream fields(cpu_max);
  std::string quota, period;
  fields >> quota >> period;
  if (quota.empty() || quota == "max" || period.empty()) return 0;
  const double p = std::strtod(period.c_str(), nullptr);
  return p > 0 ? std::strtod(quota.c_str(), nullptr) / p : 0;
}

OwnLimits own_limits() {
  OwnLimits limits;
  const auto folders = own_cgroup_folders();
  if (auto v2 = folders.find(""); v2 != folders.end() && fs::exists(v2->second / "memory.max")) {
    limits.cpus = v2_quota_cpus(read_text(v2->second / "cpu.max"));
    limits.memory_bytes = read_number(v2->second / "memory.max");
    return limits;
  }
  if (auto cpu = folders.find("cpu"); cpu != folders.end()) {
    const int64_t quota = read_number(cpu->second / "cpu.cfs_quota_us");
    const int64_t period = read_number(cpu->second / "cpu.cfs_period_us");
    if (quota > 0 && period > 0) limits.cpus = static_cast<double>(quota) / static_cast<double>(period);
  }
  if (auto memory = folders.find("memory"); memory != folders.end()) {
    const int64_t limit = read_number(memory->second / "memory.limit_in_bytes");
    if (limit > 0 && limit < (int64_t{1} << 60)) limits.memory_bytes = limit; // "unlimited" is near 2^63
  }
  return limits;
}

Expected<HostCgroup> HostCgroup::create(const std::string& name, double cpus, int64_t memory_bytes) {
  const auto folders = own_cgroup_folders();
  HostCgroup group;
  group.m_memory_limit = memory_bytes;
  std::vector<std::pair<std::string, fs::path>> made; // controller → folder
  if (auto v2 = folders.find("");
      v2 != folders.end() && fs::exists(v2->second / "cgroup.controllers") && !folders.contains("memory")) {
    if (!v2_delegated(v2->second)) {
      return util::fail(util::ErrorKind::unsupported,
                        "the memory and cpu controllers are not delegated to " + v2->second.string() +
                            " (run sagerun under a delegated cgroup: systemd-run --user --scope -p Delegate=yes …)");
    }
    group.m_v2 = true;
    made.emplace_back("", v2->second / name);
  } else {
    for (const char* controller : {"memory", "cpu", "cpuacct"}) {
      auto found = folders.find(controller);
      if (found == folders.end()) continue;
      const fs::path folder = found->second / name;
      bool shared = false; // cpu and cpuacct mounted together
      for (const auto& [other, path] : made)
        shared = shared || path == folder;
      if (!shared) made.emplace_back(controller, folder);
    }
    if (made.empty()) return util::fail(util::ErrorKind::unsupported, "no memory or cpu cgroup is mounted here");
  }
  for (const auto& [controller, folder] : made) {
    std::error_code ec;
    fs::remove(folder, ec); // a stale one of a runner that died (empty: its processes ended with it)
    if (::mkdir(folder.c_str(), 0755) != 0 && errno != EEXIST)
      return util::fail(util::ErrorKind::io, util::errno_message("mkdir " + folder.string(), errno));
    group.m_folders.push_back(folder);
  }
  const auto quota = std::to_string(static_cast<int64_t>(std::llround(cpus * k_period_us)));
  for (const auto& [controller, folder] : made) {
    Expected<void> set;
    if (group.m_v2) {
      if (memory_bytes > 0) set = write_value(folder / "memory.max", std::to_string(memory_bytes));
      if (set && memory_bytes > 0 && fs::exists(folder / "memory.swap.max"))
        set = write_value(folder / "memory.swap.max", "0");
      if (set && cpus > 0) set = write_value(folder / "cpu.max", quota + " " + std::to_string(k_period_us));
    } else if (controller == "memory" && memory_bytes > 0) {
      set = write_value(folder / "memory.limit_in_bytes", std::to_string(memory_bytes));
      // No swap beyond the limit, as on an instance.
      if (set && fs::exists(folder / "memory.memsw.limit_in_bytes"))
        set = write_value(folder / "memory.memsw.limit_in_bytes", std::to_string(memory_bytes));
    } else if (controller == "cpu" && cpus > 0) {
      set = write_value(folder / "cpu.cfs_period_us", std::to_string(k_period_us));
      if (set) set = write_value(folder / "cpu.cfs_quota_us", quota);
    }
    if (!set) return std::unexpected(set.error());
    const int fd = ::open((folder / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return util::fail(util::ErrorKind::io, util::errno_message("open " + folder.string(), errno));
    group.m_procs.emplace_back(fd);
  }
  return group;
}

HostCgroup::~HostCgroup() { remove(); }

void HostCgroup::remove() {
  if (m_folders.empty()) return;
  // What is left (a host that ran as a plain process may leave children): killed, then gone.
  for (int round = 0; round < 50; ++round) {
    bool empty = true;
    for (const auto& folder : m_folders) {
      std::istringstream pids(read_text(folder / "cgroup.procs"));
      for (pid_t pid = 0; pids >> pid;) {
        empty = false;
        ::kill(pid, SIGKILL);
      }
    }
    if (empty) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  m_procs.clear();
  for (const auto& folder : m_folders)
    ::rmdir(folder.c_str());
  m_folders.clear();
}

int HostCgroup::join() const noexcept {
  for (const auto& procs : m_procs) {
    if (::write(procs.get(), "0", 1) < 0) return errno;
  }
  return 0;
}

namespace {

CgroupUsage usage_in(const std::vector<fs::path>& folders, bool v2) {
  CgroupUsage usage;
  if (folders.empty()) return usage;
  if (v2) {
    const fs::path& folder = folders.front();
    usage.cpu_seconds = v2_cpu_seconds(read_text(folder / "cpu.stat"));
    usage.memory_bytes = read_number(folder / "memory.current");
    usage.peak_bytes = read_number(folder / "memory.peak");
    usage.oom_kills = oom_kills_in(read_text(folder / "memory.events"));
    return usage;
  }
  for (const auto& folder : folders) {
    if (fs::exists(folder / "memory.usage_in_bytes")) {
      usage.memory_bytes = read_number(folder / "memory.usage_in_bytes");
      usage.peak_bytes = read_number(folder / "memory.max_usage_in_bytes");
      usage.oom_kills = oom_kills_in(read_text(folder / "memory.oom_control"));
    }
    if (fs::exists(folder / "cpuacct.usage"))
      usage.cpu_seconds = static_cast<double>(read_number(folder / "cpuacct.usage")) / 1e9;
  }
  return usage;
}

} // namespace

CgroupUsage HostCgroup::usage() const { return usage_in(m_folders, m_v2); }

std::optional<CgroupUsage> process_cgroup_usage(pid_t pid) {
  const auto folders = cgroup_folders_of(std::to_string(pid));
  if (folders.empty()) return std::nullopt;
  if (auto v2 = folders.find(""); v2 != folders.end() && !folders.contains("memory"))
    return usage_in({v2->second}, true);
  std::vector<fs::path> v1;
  for (const char* controller : {"memory", "cpuacct"}) {
    if (auto found = folders.find(controller); found != folders.end()) v1.push_back(found->second);
  }
  if (v1.empty()) return std::nullopt;
  return usage_in(v1, false);
}

} // namespace sagerun::runner
