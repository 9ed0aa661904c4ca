#include "entrypoint/system_info.hpp"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <string_view>

#include "util/files.hpp"

namespace sagerun::entrypoint {
namespace {

bool numbered(std::string_view name, std::string_view prefix) {
  if (!name.starts_with(prefix) || name.size() == prefix.size()) return false;
  for (const char c : name.substr(prefix.size())) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool on_path(const util::EnvMap& env, const std::string& program) {
  const auto path = util::lookup(env, "PATH").value_or("/usr/local/bin:/usr/bin:/bin");
  size_t start = 0;
  while (start <= path.size()) {
    const size_t colon = path.find(':', start);
    const auto dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!dir.empty() && util::is_executable(std::filesystem::path(dir) / program)) return true;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return false;
}

} // namespace

contract::SystemInfo probe_system(const util::EnvMap& env) {
  contract::SystemInfo info;
  info.cpus = static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  util::visit_directory("/dev", [&](std::string_view name) {
    if (numbered(name, "nvidia")) ++info.gpus;
  });
  util::visit_directory("/sys/class/neuron_device", [&](std::string_view name) {
    if (auto count = util::read_file("/sys/class/neuron_device/" + std::string(name) + "/core_count")) {
      info.neurons += std::atoi(count->c_str());
    }
  });
  info.smddpmprun_installed = on_path(env, "smddpmprun");
  return info;
}

} // namespace sagerun::entrypoint
