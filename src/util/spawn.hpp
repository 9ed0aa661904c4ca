#pragma once
// What every posix_spawn caller needs: the attribute and file-action objects released on every
// path, and an argv of C pointers over strings the caller keeps alive.

#include <spawn.h>

#include <string>
#include <vector>

namespace sagerun::util {

struct SpawnSetup {
  posix_spawnattr_t attr{};
  posix_spawn_file_actions_t actions{};
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// argv for execve/posix_spawn: pointers into `args`, then a null; valid while `args` lives.
inline std::vector<char*> argv_pointers(const std::vector<std::string>& args) {
  std::vector<char*> pointers;
  pointers.reserve(args.size() + 1);
  for (const auto& arg : args)
    pointers.push_back(const_cast<char*>(arg.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

} // namespace sagerun::util
