#pragma once
// A native host as rootless container runtimes make one: its own user, mount, UTS and PID
// namespaces; a new root on a tmpfs holding this machine's folders (bind mounts), with the host's
// tree at /opt/ml, a /proc of its own, its own /etc/hosts and host name; and the paths the job must
// not see (the store of jobs, the caller's AWS files) covered by empty ones. `train` runs as the
// namespace's process 1, so when it ends, by any means, everything in the host ends with it.
//
// Everything is planned before the child exists: after clone(2) the child only makes system
// calls on strings prepared here (the runner has threads), then execs.

#include <filesystem>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace sagerun::runner {

namespace fs = std::filesystem;

struct LightContainerSpec {
  fs::path new_root;            // an empty folder of this machine, for the new root's tmpfs
  fs::path tree;                // the host's tree, at /opt/ml
  fs::path checkpoint_dir;      // when not empty: at `checkpoint_path`
  std::string checkpoint_path;  // CheckpointConfig.LocalPath (outside /opt/ml)
  fs::path hosts_file;          // at /etc/hosts
  std::string hostname;         // algo-N
  std::vector<fs::path> hidden; // paths of this machine covered (folders by an empty tmpfs)
};

// The namespaces a light container is made in (CLONE_NEW* flags for clone(2)).
int light_container_namespaces();
// Those of names_only: mount and UTS, in a user namespace of their own unless this is root.
int names_only_namespaces();

class LightContainerPlan {
public:
  static Expected<LightContainerPlan> make(const LightContainerSpec& spec);
  // The least a light container needs, to probe the kernel with: the namespaces' id maps, a
  // tmpfs on `scratch` (an empty folder) and a /proc of its own inside it.
  static LightContainerPlan probe(const fs::path& scratch);
  // Less than a container, where one is refused: a host name and /etc/hosts of the host's own,
  // on this machine's root (names_only_namespaces).
  static LightContainerPlan names_only(const fs::path& hosts_file, const std::string& hostname);
  // In the new child: builds the root and enters it. 0, or the errno of the step that failed.
  // System calls only.
  int enter() const noexcept;

private:
  struct Step {
    enum class Kind { id_maps, private_root, tmpfs, mkdir, bind, symlink, touch, proc, mask_file, pivot, hostname };
    Kind kind;
    std::string target;
    std::string source; // bind and symlink: what; id_maps: the uid map; hostname: the name
    std::string extra;  // id_maps: the gid map
  };
  static Step id_maps();
  static std::vector<Step> first_steps(const std::string& root);
  std::vector<Step> m_steps;
};

} // namespace sagerun::runner
