#include "runner/host_resources.hpp"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <regex>

#include "runner/cgroup.hpp"
#include "util/files.hpp"

namespace sagerun::runner {
namespace {

namespace fs = std::filesystem;

int64_t mem_total_bytes() {
  auto text = util::read_file("/proc/meminfo");
  if (!text) return 0;
  const auto at = text->find("MemTotal:");
  if (at == std::string::npos) return 0;
  const int64_t kib = std::strtoll(text->c_str() + at + 9, nullptr, 10);
  return kib * 1024;
}

std::vector<int> nvidia_devices() {
  std::vector<int> out;
  std::error_code ec;
  static const std::regex k_device("nvidia([0-9]+)");
  for (const auto& entry : fs::directory_iterator("/dev", ec)) {
    std::smatch match;
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, match, k_device)) out.push_back(std::stoi(match[1].str()));
  }
  std::ranges::sort(out);
  return out;
}

std::string plural(int n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

} // namespace

MachineResources detect_machine() {
  MachineResources machine;
  cpu_set_t set;
  CPU_ZERO(&set);
  machine.cpus = ::sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  machine.memory_bytes = mem_total_bytes();
  const auto own = own_limits();
  if (own.cpus > 0) machine.cpus = std::min(machine.cpus, own.cpus);
  if (own.memory_bytes > 0 && (machine.memory_bytes == 0 || own.memory_bytes < machine.memory_bytes))
    machine.memory_bytes = own.memory_bytes;
  machine.gpus = nvidia_devices();
  return machine;
}

MachineResources machine_with(MachineResources machine, double cpus, double memory_gib, int gpu_count) {
  if (cpus > 0) machine.cpus = cpus;
  if (memory_gib > 0) machine.memory_bytes = static_cast<int64_t>(memory_gib * 1024 * 1024 * 1024);
  if (gpu_count >= 0) {
    machine.gpus.clear();
    for (int i = 0; i < gpu_count; ++i)
      machine.gpus.push_back(i);
  }
  return machine;
}

ResourcePlan plan_host_resources(const job::InstanceType& type, int count, const MachineResources& machine,
                                 const std::vector<int>& gpus) {
  ResourcePlan plan;
  const double cpus = std::min<double>(type.vcpus, machine.cpus);
  const int64_t memory =
      machine.memory_bytes > 0 ? std::min(type.memory_bytes(), machine.memory_bytes) : type.memory_bytes();
  const std::string type_name(type.name);
  if (cpus < type.vcpus) {
    plan.notes.push_back(type_name + " has " + plural(type.vcpus, "vCPU") + " but this machine offers " +
                         cpus_text(machine.cpus) + ": each host is limited to " + cpus_text(cpus) + " CPU" +
                         (cpus == 1 ? "" : "s"));
  }
  if (memory < type.memory_bytes()) {
    plan.notes.push_back(type_name + " has " + memory_text(type.memory_bytes()) +
                         " of memory but this machine offers " + memory_text(machine.memory_bytes) +
                         ": each host is limited to " + memory_text(memory));
  }
  size_t next = 0;
  for (int i = 0; i < count; ++i) {
    HostResources host;
    host.cpus = cpus;
    host.memory_bytes = memory;
    host.instance_type = type_name;
    for (int g = 0; g < type.gpus && next < gpus.size(); ++g)
      host.gpus.push_back(gpus[next++]);
    plan.hosts.push_back(std::move(host));
  }
  const size_t wanted = static_cast<size_t>(type.gpus) * static_cast<size_t>(count);
  if (wanted > next) {
    plan.notes.push_back(type_name + " has " + plural(type.gpus, "GPU") + " per host; " +
                         (next == 0 ? std::string("no GPU is") : plural(static_cast<int>(next), "GPU") + " are") +
                         " given to this job here, so " +
                         (next == 0 ? "its hosts run without one" : "some hosts get fewer"));
  }
  if (count > 1 &&
      (cpus * count > machine.cpus || (machine.memory_bytes > 0 && memory * count > machine.memory_bytes))) {
    plan.notes.push_back("the job's " + std::to_string(count) + " hosts share this machine's " +
                         cpus_text(machine.cpus) + " CPUs and " + memory_text(machine.memory_bytes) +
                         ", where SageMaker gives each its own instance");
  }
  return plan;
}

std::string memory_text(int64_t bytes) {
  constexpr double k_gib = 1024.0 * 1024 * 1024;
  if (bytes < static_cast<int64_t>(k_gib)) return std::to_string(bytes / (1024 * 1024)) + " MiB";
  char text[32];
  const double gib = static_cast<double>(bytes) / k_gib;
  std::snprintf(text, sizeof text, std::fabs(gib - std::round(gib)) < 0.05 ? "%.0f GiB" : "%.1f GiB", gib);
  return text;
}

std::string cpus_text(double cpus) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", cpus);
  return text;
}

std::string gpu_list(const std::vector<int>& gpus) {
  std::string out;
  for (const int gpu : gpus)
    out += (out.empty() ? "" : ",") + std::to_string(gpu);
  return out;
}

Expected<std::vector<int>> parse_gpu_list(const std::string& text) {
  std::vector<int> out;
  if (text.empty()) return out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view part(text.data() + start, comma - start);
    start = comma + 1;
    int value = -1;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (ec != std::errc() || end != part.data() + part.size() || value < 0)
      return util::fail(util::ErrorKind::invalid_input,
                        "--gpu-devices " + text + ": expected device indices separated by commas, like 0,1");
    out.push_back(value);
  }
  return out;
}

} // namespace sagerun::runner
