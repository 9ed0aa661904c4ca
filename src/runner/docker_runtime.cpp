// The docker runtime: each host is `docker run … IMAGE train`, attached, so the client's output
// is the host's log and its exit status is train's; SIGTERM to the client reaches train (the
// client proxies signals). Hosts share the machine's network with a name each (algo-N → the
// job's own loopback address in every container's /etc/hosts), so they reach one another, the credentials
// endpoint and a local S3 server alike. Environment values travel in the client's environment
// (`-e NAME`), never on its command line, where any user could read them.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>

#include "runner/cgroup.hpp"
#include "runner/runtime.hpp"
#include "store/job_folder.hpp"
#include "util/log.hpp"

namespace sagerun::runner {
namespace {

std::string container_name(const HostLaunch& host) {
  return "sagerun-" + host.job_name + "-" + store::host_name(host.index);
}

class DockerRuntime : public Runtime {
public:
  explicit DockerRuntime(DockerOptions options) : m_options(std::move(options)) {}

  TreeMount mount() const override { return TreeMount::container; }

  Expected<ChildProcess> start(const HostLaunch& host) override {
    // Not --rm: once it ended, `docker inspect` tells whether the kernel killed it for memory
    // (cleanup removes it).
    std::vector<std::string> argv{m_options.docker, "run",
                                  "--name",         container_name(host),
                                  "--label",        "sagerun.job=" + host.job_name,
                                  "--hostname",     store::host_name(host.index)};
    if (m_options.network_isolation) {
      argv.insert(argv.end(), {"--network", "none"});
    } else {
      argv.insert(argv.end(), {"--network", "host"});
      for (int i = 0; i < host.count; ++i)
        argv.insert(argv.end(), {"--add-host", store::host_name(i) + ":" + host.addresses[static_cast<size_t>(i)]});
    }
    argv.insert(argv.end(), {"-v", host.tree.string() + ":/opt/ml"});
    if (!host.checkpoint_local_path.empty() && !host.checkpoint_local_path.starts_with("/opt/ml/")) {
      const auto target = std::filesystem::path(host.checkpoint_local_path).lexically_normal().string();
      argv.insert(argv.end(), {"-v", host.checkpoint_dir.string() + ":" + target});
    }
    const auto& resources = host.resources;
    if (resources.cpus > 0) argv.insert(argv.end(), {"--cpus", cpus_text(resources.cpus)});
    if (resources.memory_bytes > 0) {
      // No swap beyond the limit, as on an instance.
      const auto bytes = std::to_string(resources.memory_bytes);
      argv.insert(argv.end(), {"--memory", bytes, "--memory-swap", bytes});
    }
    // Its own GPUs (numbered from 0 inside), never another job's.
    if (!resources.gpus.empty()) argv.insert(argv.end(), {"--gpus", "\"device=" + gpu_list(resources.gpus) + "\""});
    util::EnvMap client_env = m_options.client_env;
    for (const auto& [key, value] : host.env) {
      argv.insert(argv.end(), {"-e", key});
      client_env[key] = value;
    }
    if (host.program.empty()) {
      argv.insert(argv.end(), {m_options.image, "train"});
    } else {
      // The request's ContainerEntrypoint instead of the image's, as SageMaker runs it; Docker's
      // init (tini) as process 1 reaps and forwards signals, since train does not run.
      argv.insert(argv.end(), {"--init", "--entrypoint", host.program.front(), m_options.image});
      argv.insert(argv.end(), host.program.begin() + 1, host.program.end());
    }
    return ChildProcess::spawn_tied(argv, client_env);
  }

  void kill(const HostLaunch& host, ChildProcess& process) override {
    run_quietly({m_options.docker, "kill", container_name(host)});
    process.signal(SIGKILL);
  }

  std::optional<OutOfMemory> out_of_memory(const HostLaunch& host) override {
    auto child = ChildProcess::spawn(
        {m_options.docker, "inspect", "--format", "{{.State.OOMKilled}}", container_name(host)}, m_options.client_env);
    if (!child) return std::nullopt;
    const std::string answer = read_all(*child);
    if (child->wait_exit() != 0 || !answer.starts_with("true")) return std::nullopt;
    // Docker keeps no peak once a container ended; a kill for memory means it reached its limit.
    return OutOfMemory{host.resources.memory_bytes, host.resources.memory_bytes};
  }

  void cleanup(const HostLaunch& host) override { run_quietly({m_options.docker, "rm", "-f", container_name(host)}); }

private:
  static std::string read_all(ChildProcess& child) {
    std::string out;
    char buffer[256];
    for (;;) {
      pollfd fd{child.output_fd(), POLLIN, 0};
      if (::poll(&fd, 1, 10000) <= 0) break;
      const ssize_t got = ::read(child.output_fd(), buffer, sizeof buffer);
      if (got <= 0) break;
      out.append(buffer, static_cast<size_t>(got));
    }
    return out;
  }

  void run_quietly(const std::vector<std::string>& argv) {
    auto child = ChildProcess::spawn(argv, m_options.client_env);
    if (child) child->wait_exit();
  }

  DockerOptions m_options;
  mutable std::mutex m_mutex; // usage() runs on the instance metrics' thread
  mutable std::map<int, pid_t> m_container_pids;
};

} // namespace

std::unique_ptr<Runtime> make_docker_runtime(DockerOptions options) {
  return std::make_unique<DockerRuntime>(std::move(options));
}

} // namespace sagerun::runner
