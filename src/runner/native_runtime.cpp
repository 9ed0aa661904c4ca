// The native runtime: each host is the train entrypoint in a light container of its own
// (light_container.hpp): its tree at /opt/ml, its own processes, host name and /etc/hosts, so
// programs written for SageMaker's paths run as they are and algo-N resolve as in SageMaker.
// Where the kernel refuses the namespaces, the runtime says so once and runs each host as a plain
// child process with its tree where it lies (SAGEMAKER_BASE_DIR), several hosts with a private
// /etc/hosts and host name (user, mount and UTS namespaces) when those at least are allowed.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <optional>

#include "runner/cgroup.hpp"
#include "runner/light_container.hpp"
#include "runner/runtime.hpp"
#include "store/job_folder.hpp"
#include "util/atomic_file.hpp"
#include "util/files.hpp"
#include "util/log.hpp"

namespace sagerun::runner {
namespace {

std::string hosts_file_text(const std::vector<std::string>& addresses) {
  std::string text = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  for (size_t i = 0; i < addresses.size(); ++i)
    text += addresses[i] + "\t" + store::host_name(static_cast<int>(i)) + "\n";
  return text;
}

// Whether this kernel lets us make light containers: a child in the namespaces, with its maps,
// a tmpfs and a /proc of its own, that exits 0.
std::optional<std::string> light_containers_refused(const std::string& probe_binary, const fs::path& scratch) {
  std::error_code ec;
  fs::create_directories(scratch, ec);
  const auto plan = LightContainerPlan::probe(scratch);
  auto child = ChildProcess::spawn_with_setup(
      {probe_binary, "--version"}, {}, [&plan]() { return plan.enter(); }, light_container_namespaces());
  std::optional<std::string> refused;
  if (!child) {
    refused = child.error().message;
  } else {
    if (child->wait_exit() != 0) refused = "a probe in them exited " + std::to_string(*child->exit_code());
  }
  fs::remove_all(scratch, ec);
  return refused;
}

class NativeRuntime : public Runtime {
public:
  explicit NativeRuntime(NativeOptions options) : m_options(std::move(options)) {
    if (!m_options.light_containers) return;
    if (auto refused = light_containers_refused(m_options.train_binary, m_options.scratch)) {
      util::log::warn("light containers are refused here (" + *refused +
                      "; a container's seccomp profile, or a kernel setting such as "
                      "kernel.unprivileged_userns_clone=0, refuses new namespaces): each host runs as a plain "
                      "process with its tree where it lies (SAGEMAKER_BASE_DIR). Programs that use /opt/ml "
                      "paths will not find them, and the script can see this machine's processes and files. "
                      "--runtime docker runs the job as SageMaker lays it out.");
      m_options.light_containers = false;
    }
  }

  TreeMount mount() const override { return m_options.light_containers ? TreeMount::container : TreeMount::native; }

  Expected<ChildProcess> start(const HostLaunch& host) override {
    util::EnvMap env = m_options.base_env;
    for (const auto& [key, value] : host.env)
      env[key] = value;
    // CUDA sees the host's own GPUs only (none: none), unless the job's Environment says otherwise.
    if (!host.env.contains("CUDA_VISIBLE_DEVICES")) env["CUDA_VISIBLE_DEVICES"] = gpu_list(host.resources.gpus);
    const HostCgroup* group = limit(host);
    auto join = [group]() { return group != nullptr ? group->join() : 0; };
    std::vector<std::string> argv{m_options.train_binary};
    if (m_options.train_is_subcommand) argv.emplace_back("train");
    if (!host.program.empty()) {
      argv.emplace_back("--exec");
      argv.insert(argv.end(), host.program.begin(), host.program.end());
    }
    const std::string hostname = store::host_name(host.index);
    const fs::path hosts_file = host.tree.parent_path() / (hostname + ".hosts");
    if (m_options.light_containers || host.count > 1) {
      if (auto written = util::write_file_atomic(hosts_file, hosts_file_text(host.addresses)); !written) {
        return std::unexpected(written.error());
      }
    }
    if (m_options.light_containers) {
      env["SAGEMAKER_BASE_DIR"] = "/opt/ml";
      LightContainerSpec spec;
      spec.new_root = root_of(host);
      spec.tree = host.tree;
      spec.hosts_file = hosts_file;
      spec.hostname = hostname;
      spec.hidden = m_options.hidden;
      const fs::path inside = fs::path(host.checkpoint_local_path).lexically_normal().lexically_relative("/opt/ml");
      const bool outside_tree = inside.empty() || *inside.begin() == "..";
      if (!host.checkpoint_local_path.empty() && !host.checkpoint_dir.empty() && outside_tree) {
        spec.checkpoint_dir = host.checkpoint_dir;
        spec.checkpoint_path = host.checkpoint_local_path;
      }
      if (auto made = util::make_directories(spec.new_root); !made) return std::unexpected(made.error());
      auto plan = LightContainerPlan::make(spec);
      if (!plan) return std::unexpected(plan.error());
      return ChildProcess::spawn_tied(
          argv, env,
          [&plan, &join]() {
            const int joined = join();
            return joined != 0 ? joined : plan->enter();
          },
          light_container_namespaces());
    }
    env["SAGEMAKER_BASE_DIR"] = host.tree.string();
    if (host.count == 1) return ChildProcess::spawn_tied(argv, env, join);
    const auto plan = LightContainerPlan::names_only(hosts_file, hostname);
    auto isolated = ChildProcess::spawn_tied(
        argv, env,
        [&plan, &join]() {
          const int joined = join();
          return joined != 0 ? joined : plan.enter();
        },
        names_only_namespaces());
    if (!isolated) {
      return util::fail(isolated.error().kind,
                        "a job of several hosts needs a host name and /etc/hosts of its own for each (user, mount "
                        "and UTS namespaces), which are refused here (" +
                            isolated.error().message + "): run it with --runtime docker, or with one host");
    }
    return isolated;
  }

  std::optional<OutOfMemory> out_of_memory(const HostLaunch& host) override {
    const auto found = m_cgroups.find(host.index);
    if (found == m_cgroups.end()) return std::nullopt;
    const auto usage = found->second.usage();
    if (usage.oom_kills == 0) return std::nullopt;
    return OutOfMemory{found->second.memory_limit(), usage.peak_bytes};
  }

  std::optional<HostUsage> usage(const HostLaunch& host, const ChildProcess& /*process*/) const override {
    const auto found = m_cgroups.find(host.index);
    if (found == m_cgroups.end()) return std::nullopt;
    const auto usage = found->second.usage();
    return HostUsage{usage.cpu_seconds, static_cast<uint64_t>(usage.memory_bytes)};
  }

  void cleanup(const HostLaunch& host) override {
    m_cgroups.erase(host.index);
    std::error_code ec;
    fs::remove(root_of(host), ec); // the empty mount point of its root
  }

  void kill(const HostLaunch& /*host*/, ChildProcess& process) override { process.signal(SIGKILL); }

private:
  static fs::path root_of(const HostLaunch& host) {
    return host.tree.parent_path() / (store::host_name(host.index) + ".root");
  }

  // The host's cgroup, with its type's CPUs and memory; nullptr where cgroups cannot be made here
  // (said once: the hosts then run unlimited).
  const HostCgroup* limit(const HostLaunch& host) {
    m_cgroups.erase(host.index);
    if (!m_options.limit_hosts || (host.resources.cpus <= 0 && host.resources.memory_bytes <= 0)) return nullptr;
    auto group = HostCgroup::create("sagerun-" + host.job_name + "-" + store::host_name(host.index),
                                    host.resources.cpus, host.resources.memory_bytes);
    if (!group) {
      util::log::warn("the hosts cannot be limited to their instance type's CPUs and memory here (" +
                      group.error().message +
                      "): they may use the whole machine, and running out of memory is "
                      "not told apart from other kills. --runtime docker limits them.");
      m_options.limit_hosts = false;
      return nullptr;
    }
    return &m_cgroups.emplace(host.index, std::move(*group)).first->second;
  }

  NativeOptions m_options;
  std::map<int, HostCgroup> m_cgroups; // by host index, until its cleanup
};

} // namespace

std::unique_ptr<Runtime> make_native_runtime(NativeOptions options) {
  return std::make_unique<NativeRuntime>(std::move(options));
}

} // namespace sagerun::runner
