#pragma once
// How a host runs: `native` (the train entrypoint as a process on this machine, its tree
// relocated with SAGEMAKER_BASE_DIR) or `docker` (a container of the job's image, its tree at
// /opt/ml). Both give the runner a ChildProcess whose output is the host's log and whose exit
// status is train's; SIGTERM to it reaches train, which forwards it to the script.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runner/child_process.hpp"
#include "runner/host_resources.hpp"
#include "runner/host_tree.hpp"
#include "util/environment.hpp"
#include "util/error.hpp"

namespace sagerun::runner {

struct HostLaunch {
  std::string job_name;
  int index = 0; // 0-based: algo-(index+1)
  int count = 1;
  fs::path tree;                      // the host's /opt/ml on this machine
  fs::path checkpoint_dir;            // on this machine
  std::string checkpoint_local_path;  // CheckpointConfig.LocalPath, as the container sees it
  util::EnvMap env;                   // the platform's variables and the job's Environment
  std::vector<std::string> addresses; // each host's loopback address, algo-1 first (address_block.hpp)
  // ContainerEntrypoint then ContainerArguments, when the request gives an entrypoint: run
  // instead of `train` (natively under `train --exec`, which supervises it).
  std::vector<std::string> program;
  HostResources resources; // its CPUs, memory and GPUs (host_resources.hpp)
};

// A host the kernel killed for memory (its cgroup's OOM counter moved): its limit and the most it
// used (0 where the runtime cannot tell).
struct OutOfMemory {
  int64_t limit_bytes = 0;
  int64_t peak_bytes = 0;
};

// What a host has used so far: CPU time over all its processes, and the memory they hold now.
struct HostUsage {
  double cpu_seconds = 0;
  uint64_t memory_bytes = 0;
};

class Runtime {
public:
  virtual ~Runtime() = default;
  virtual TreeMount mount() const = 0;
  virtual Expected<ChildProcess> start(const HostLaunch& host) = 0;
  // The last resort once the grace period is over: SIGKILL (native) or `docker kill`.
  virtual void kill(const HostLaunch& host, ChildProcess& process) = 0;
  // After the host ended: remove what the runtime left (containers).
  virtual void cleanup(const HostLaunch& host) { (void)host; }
  // Once the host ended, before cleanup: whether it ran out of memory.
  virtual std::optional<OutOfMemory> out_of_memory(const HostLaunch& host) {
    (void)host;
    return std::nullopt;
  }
  // The host's usage now, for its instance metrics (instance_metrics.hpp); nullopt where the
  // runtime cannot tell (the sampler then reads the host's process tree in /proc). Called from
  // the sampler's thread while the hosts run: read only what does not change (the launch, the pid).
  virtual std::optional<HostUsage> usage(const HostLaunch& host, const ChildProcess& process) const {
    (void)host;
    (void)process;
    return std::nullopt;
  }
};

struct NativeOptions {
  std::string train_binary; // the train entrypoint (a path, or "sagerun" with `train` as its first argument)
  bool train_is_subcommand = false;
  util::EnvMap base_env; // the runner's environment, AWS keys removed
  // Each host in a light container (light_container.hpp) where the kernel allows it.
  bool light_containers = true;
  // Each host in a cgroup of its type's CPUs and memory (cgroup.hpp) where this machine allows it.
  bool limit_hosts = true;
  fs::path scratch;             // an empty folder for the kernel probe (removed after it)
  std::vector<fs::path> hidden; // paths the hosts must not see (the store, the caller's AWS files)
};
std::unique_ptr<Runtime> make_native_runtime(NativeOptions options);

struct DockerOptions {
  std::string docker = "docker"; // or podman
  std::string image;
  bool network_isolation = false;
  util::EnvMap client_env; // the docker client's own environment (DOCKER_HOST and the like)
};
std::unique_ptr<Runtime> make_docker_runtime(DockerOptions options);

} // namespace sagerun::runner
