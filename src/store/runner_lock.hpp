#pragma once
// Whether a job's runner lives, and who it is. The runner holds an exclusive flock(2) on the
// job's lock file for its whole life: the kernel drops it when the process ends, however it
// ends, so "can the lock be taken?" is the liveness test and taking it makes the taker the
// job's only writer. The lock file names the holder — its pid and its start time, so a stop
// request never signals an unrelated process that got the same pid.
//
// A creator (`sagerun local --detach`, the server) takes the lock and hands the very descriptor
// to the runner it starts, so there is no moment when a new job looks abandoned.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace sagerun::store {

struct RunnerId {
  pid_t pid = 0;
  uint64_t start_ticks = 0; // /proc/<pid>/stat field 22: clock ticks after boot

  bool operator==(const RunnerId&) const = default;
};

RunnerId this_process();
// The process's start time, or nullopt when no such process runs (or it is a zombie).
std::optional<uint64_t> process_start_ticks(pid_t pid);
// Whether that very process (pid and start time) still runs.
bool is_running(const RunnerId& id);

class JobLock {
public:
  // Takes the lock unless someone holds it (then nullopt); the file is created if missing.
  static Expected<std::optional<JobLock>> try_acquire(const std::filesystem::path& lock_file);
  // Waits for the lock (a reconciler that must not race another one).
  static Expected<JobLock> acquire(const std::filesystem::path& lock_file);
  // A runner's inherited descriptor (`--lock-fd`): checked to hold the lock, made close-on-exec
  // so the runner's own children never keep it alive.
  static Expected<JobLock> adopt(int fd, const std::filesystem::path& lock_file);

  int fd() const { return m_fd.get(); }
  // Names this process as the holder (the runner does this when it starts).
  Expected<void> record_holder() const;
  Expected<void> record_holder(const RunnerId& id) const;

private:
  JobLock(util::UniqueFd fd, std::filesystem::path file) : m_fd(std::move(fd)), m_file(std::move(file)) {}
  util::UniqueFd m_fd;
  std::filesystem::path m_file;
};

// The holder the lock file names; nullopt when none was recorded.
std::optional<RunnerId> recorded_holder(const std::filesystem::path& lock_file);

// Whether someone holds the lock right now (without taking it).
bool is_locked(const std::filesystem::path& lock_file);

} // namespace sagerun::store
