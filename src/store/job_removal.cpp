#include "store/job_removal.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "job/lifecycle.hpp"
#include "job/service_error.hpp"
#include "store/runner_lock.hpp"
#include "util/files.hpp"

namespace sagerun::store {
namespace {

namespace fs = std::filesystem;

// A folder of jobs/ without a row is left alone this long: its job may be being created.
constexpr auto k_orphan_age = std::chrono::seconds(60);
// A job that shows ended while its lock is held has a runner that is exiting: it is given this
// long to let go (`sagerun rm` right after the job was seen Completed).
constexpr auto k_exit_wait = std::chrono::seconds(5);

// The job's lock, waiting up to k_exit_wait for a runner that has ended its job; nullopt when
// it is held still.
Expected<std::optional<JobLock>> take_lock(const fs::path& lock_file, bool ended) {
  const auto give_up = std::chrono::steady_clock::now() + k_exit_wait;
  for (;;) {
    auto taken = JobLock::try_acquire(lock_file);
    if (!taken || *taken || !ended || std::chrono::steady_clock::now() >= give_up) return taken;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// What a refusal says the job is: "InProgress (Training)", "Stopping", "InProgress (Pending)".
std::string state_of(const JobRow& row) {
  const auto status = row.status.status;
  std::string state(job::to_string(status));
  if (status == job::JobStatus::in_progress)
    state += " (" + std::string(job::to_string(row.status.secondary_status)) + ")";
  return state;
}

// <root>/removed/<name>.<sequence>.<pid>: the pid says whether its deletion is still under way.
fs::path removed_entry(const Store& store, const std::string& name, int64_t sequence) {
  return store.removed_folder() / (name + "." + std::to_string(sequence) + "." + std::to_string(::getpid()));
}

// The folder out of jobs/ (one rename, so its name is free at once), then deleted. Where it
// cannot be renamed (removed/ on another file system, say) it is deleted in place.
void discard_folder(const Store& store, const fs::path& folder, const fs::path& entry) {
  std::error_code error;
  fs::create_directories(store.removed_folder(), error);
  fs::path doomed = folder;
  if (!error && ::rename(folder.c_str(), entry.c_str()) == 0) doomed = entry;
  fs::remove_all(doomed, error);
  if (error) {
    std::fprintf(stderr, "sagerun: warning: could not delete all of %s (%s); the next `sagerun prune` retries\n",
                 doomed.c_str(), error.message().c_str());
  }
}

bool process_lives(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

// The pid at the end of a removed/ entry's name; 0 when there is none.
pid_t entry_pid(const std::string& name) {
  const auto dot = name.rfind('.');
  if (dot == std::string::npos) return 0;
  pid_t pid = 0;
  const auto* first = name.data() + dot + 1;
  const auto* last = name.data() + name.size();
  const auto [end, error] = std::from_chars(first, last, pid);
  return error == std::errc() && end == last ? pid : 0;
}

bool older_than(const fs::path& path, std::chrono::seconds age) {
  struct stat info{};
  if (::lstat(path.c_str(), &info) != 0) return false;
  const auto changed = std::chrono::system_clock::from_time_t(info.st_ctim.tv_sec);
  return std::chrono::system_clock::now() - changed >= age;
}

} // namespace

Expected<RemovedJob> remove_ended_job(Store& store, const std::string& name) {
  const auto seen = store.index().find(name);
  if (!seen) return std::unexpected(job::training_job_not_found(name));
  const auto folder = store.folder(seen->name); // the name as created; `name` may differ in case
  // Held to the end: from here nobody starts, runs or ends the job but this function.
  std::optional<JobLock> lock;
  if (folder.exists()) {
    auto taken = take_lock(folder.lock_file(), job::has_ended(seen->status.status));
    if (!taken) return std::unexpected(taken.error());
    if (!*taken) {
      const std::string state = job::has_ended(seen->status.status) ? std::string(job::to_string(seen->status.status)) +
                                                                          " but its runner has not exited"
                                                                    : state_of(*seen);
      return std::unexpected(job::training_job_running(seen->name, state));
    }
    lock = std::move(**taken);
  } // else no runner can be at work: a runner's lock lives in the folder
  const auto row = store.index().find(seen->name); // as it is now that nobody else may change it
  if (!row) return std::unexpected(job::training_job_not_found(name));
  if (!job::has_ended(row->status.status)) return std::unexpected(job::training_job_running(row->name, state_of(*row)));
  RemovedJob removed{row->name, folder_bytes(folder.path())};
  auto sequence = store.index().remove_ended(row->name);
  if (!sequence) return std::unexpected(sequence.error());
  if (!*sequence) return std::unexpected(job::training_job_not_found(name)); // deleted by another meanwhile
  if (lock) discard_folder(store, folder.path(), removed_entry(store, row->name, **sequence));
  return removed;
}

uint64_t folder_bytes(const fs::path& folder) {
  struct Inode {
    nlink_t links = 0; // links seen inside the folder
    nlink_t of = 0;    // links it has
    uint64_t bytes = 0;
  };
  std::map<std::pair<dev_t, ino_t>, Inode> files;
  uint64_t total = 0;
  std::error_code error;
  for (fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied, error), end;
       !error && it != end; it.increment(error)) {
    struct stat info{};
    if (::lstat(it->path().c_str(), &info) != 0) continue;
    const auto bytes = static_cast<uint64_t>(info.st_blocks) * 512;
    if (S_ISDIR(info.st_mode)) {
      total += bytes;
    } else if (S_ISREG(info.st_mode)) {
      auto& inode = files[{info.st_dev, info.st_ino}];
      ++inode.links;
      inode.of = info.st_nlink;
      inode.bytes = bytes;
    }
  }
  for (const auto& [key, inode] : files)
    if (inode.links >= inode.of) total += inode.bytes;
  return total;
}

void sweep_removed(Store& store) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(store.removed_folder(), error)) {
    if (process_lives(entry_pid(entry.path().filename().string()))) continue; // its deletion is under way
    std::error_code ignored;
    fs::remove_all(entry.path(), ignored);
  }
  for (const auto& entry : fs::directory_iterator(store.root() / "jobs", error)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || entry.is_symlink() || store.index().find(name)) continue;
    if (util::is_file(entry.path() / "request.json") || util::is_file(entry.path() / "status.json")) continue;
    if (!older_than(entry.path(), k_orphan_age)) continue;
    const auto folder = store.folder(name);
    auto lock = JobLock::try_acquire(folder.lock_file());
    if (!lock || !*lock || store.index().find(name)) continue;
    discard_folder(store, folder.path(), removed_entry(store, name, 0));
  }
}

} // namespace sagerun::store
