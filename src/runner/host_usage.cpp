#include "runner/host_usage.hpp"

#include <dirent.h>
#include <poll.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <string>
#include <vector>

#include "runner/child_process.hpp"
#include "util/files.hpp"
#include "util/text.hpp"

namespace sagerun::runner {
namespace {

namespace fs = std::filesystem;

// A number at the front of `text` (after spaces), or nullopt.
template <typename Number> std::optional<Number> leading_number(std::string_view text) {
  text = util::trim(text);
  Number value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  return value;
}

// The whitespace-separated fields of `text`.
std::vector<std::string_view> fields_of(std::string_view text) {
  std::vector<std::string_view> out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t start = text.find_first_not_of(" \n\t", at);
    if (start == std::string_view::npos) break;
    const size_t end = std::min(text.find_first_of(" \n\t", start), text.size());
    out.push_back(text.substr(start, end - start));
    at = end;
  }
  return out;
}

std::optional<uint64_t> resident_bytes(pid_t pid) {
  auto statm = util::read_file("/proc/" + std::to_string(pid) + "/statm");
  if (!statm) return std::nullopt;
  const auto fields = fields_of(*statm);
  if (fields.size() < 2) return std::nullopt;
  const auto pages = leading_number<uint64_t>(fields[1]);
  if (!pages) return std::nullopt;
  return *pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// Every process's pid, from /proc's folders of digits.
std::vector<pid_t> all_pids() {
  std::vector<pid_t> pids;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return pids;
  while (const dirent* entry = ::readdir(proc)) {
    if (auto pid = leading_number<pid_t>(entry->d_name); pid && std::to_string(*pid) == entry->d_name)
      pids.push_back(*pid);
  }
  ::closedir(proc);
  return pids;
}

} // namespace

std::optional<ProcessStat> read_process_stat(pid_t pid) {
  auto stat = util::read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::nullopt;
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
  const auto close = stat->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  const auto fields = fields_of(std::string_view(*stat).substr(close + 1));
  // From field 3 (state) on: ppid is the 2nd, utime…cstime the 12th–15th, starttime the 20th.
  if (fields.size() < 20 || fields[0].empty()) return std::nullopt;
  const auto parent = leading_number<pid_t>(fields[1]);
  double ticks = 0;
  for (size_t i = 11; i <= 14; ++i) {
    const auto value = leading_number<uint64_t>(fields[i]);
    if (!value) return std::nullopt;
    ticks += static_cast<double>(*value);
  }
  const auto start = leading_number<uint64_t>(fields[19]);
  if (!parent || !start) return std::nullopt;
  static const double k_ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return ProcessStat{*parent, fields[0][0], ticks / k_ticks_per_second, *start};
}

std::optional<HostUsage> process_tree_usage(pid_t root) {
  const auto root_stat = read_process_stat(root);
  if (!root_stat || root_stat->state == 'Z') return std::nullopt;
  std::multimap<pid_t, std::pair<pid_t, ProcessStat>> children; // parent → (pid, stat)
  for (const pid_t pid : all_pids()) {
    if (pid == root) continue;
    if (auto stat = read_process_stat(pid)) children.emplace(stat->parent, std::pair{pid, *stat});
  }
  HostUsage usage;
  std::vector<std::pair<pid_t, ProcessStat>> pending{{root, *root_stat}};
  while (!pending.empty()) {
    const auto [pid, stat] = pending.back();
    pending.pop_back();
    // A process that ended between the two reads counts no memory; its time is its parent's
    // once reaped.
    usage.cpu_seconds += stat.cpu_seconds;
    usage.memory_bytes += resident_bytes(pid).value_or(0);
    const auto [first, last] = children.equal_range(pid);
    for (auto child = first; child != last; ++child)
      pending.push_back(child->second);
  }
  return usage;
}

uint64_t machine_memory_bytes() {
  auto meminfo = util::read_file("/proc/meminfo");
  if (!meminfo) return 0;
  const auto at = meminfo->find("MemTotal:");
  if (at == std::string::npos) return 0;
  const auto kib = leading_number<uint64_t>(std::string_view(*meminfo).substr(at + 9));
  return kib ? *kib * 1024 : 0;
}

std::optional<double> disk_percent(const fs::path& path) {
  struct statvfs volume{};
  if (::statvfs(path.c_str(), &volume) != 0 || volume.f_blocks == 0) return std::nullopt;
  // As df: used over what the user could have (used + available to unprivileged users).
  const double used = static_cast<double>(volume.f_blocks - volume.f_bfree);
  const double usable = used + static_cast<double>(volume.f_bavail);
  if (usable <= 0) return std::nullopt;
  return std::clamp(used / usable * 100.0, 0.0, 100.0);
}

double cpu_percent(const UsageAt& before, const UsageAt& after) {
  const double wall = after.seconds - before.seconds;
  const double cpu = after.usage.cpu_seconds - before.usage.cpu_seconds;
  if (wall <= 0 || cpu <= 0) return 0;
  return cpu / wall * 100.0;
}

double memory_percent(uint64_t memory_bytes, uint64_t limit_bytes) {
  if (limit_bytes == 0) return 0;
  // Pages shared by several processes of the tree are counted by each: never above the whole.
  return std::min(100.0, static_cast<double>(memory_bytes) / static_cast<double>(limit_bytes) * 100.0);
}

std::optional<GpuUsage> parse_gpu_query(std::string_view text) {
  GpuUsage usage;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = util::trim(text.substr(at, end - at));
    at = end + 1;
    if (line.empty()) continue;
    std::vector<double> values;
    for (size_t from = 0; from <= line.size();) {
      const size_t comma = std::min(line.find(',', from), line.size());
      const auto value = leading_number<double>(line.substr(from, comma - from));
      if (!value) return std::nullopt; // "[N/A]", "[Not Supported]": not a reading
      values.push_back(*value);
      from = comma + 1;
    }
    if (values.size() != 3 || values[2] <= 0) return std::nullopt;
    usage.utilization += values[0];
    usage.memory += values[1] / values[2] * 100.0;
    ++usage.gpus;
  }
  if (usage.gpus == 0) return std::nullopt;
  return usage;
}

fs::path find_nvidia_smi(const util::EnvMap& env) {
  const auto path = util::lookup(env, "PATH");
  const std::string_view dirs = path ? std::string_view(*path) : std::string_view("/usr/bin:/bin");
  size_t at = 0;
  while (at <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', at), dirs.size());
    const fs::path dir(dirs.substr(at, end - at));
    at = end + 1;
    if (!dir.is_absolute()) continue; // a relative entry would depend on the runner's folder
    const auto candidate = dir / "nvidia-smi";
    if (::access(candidate.c_str(), X_OK) == 0 && util::is_file(candidate)) return candidate;
  }
  return {};
}

std::optional<GpuUsage> query_gpus(const fs::path& nvidia_smi, std::chrono::milliseconds timeout) {
  auto child = ChildProcess::spawn(
      {nvidia_smi.string(), "--query-gpu=utilization.gpu,memory.used,memory.total", "--format=csv,noheader,nounits"},
      {});
  if (!child) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  constexpr size_t k_most = 64 * 1024; // a line per GPU: far less
  std::string text;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt; // hung: the guard kills and reaps it
    pollfd wait{child->output_fd(), POLLIN, 0};
    if (::poll(&wait, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) return std::nullopt;
    char buffer[4096];
    const ssize_t n = ::read(child->output_fd(), buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return std::nullopt;
    }
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > k_most) return std::nullopt;
  }
  if (child->wait_exit() != 0) return std::nullopt;
  return parse_gpu_query(text);
}

} // namespace sagerun::runner
