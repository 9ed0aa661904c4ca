#pragma once
// A job's folder in the store, and the only code that knows its layout:
//   <root>/jobs/<name>/
//     lock             flock(2)-held by the job's runner for as long as it lives; holds its
//                      pid and start time (runner_lock.hpp)
//     reserve          disk space kept for the job's last status writes (status_writer.hpp)
//     transfers        the transfers in flight: open multipart uploads, files being copied
//                      (journal.hpp), for clean-up after a runner dies
//     runner.log       a detached runner's own output
//     hosts/algo-N/    each host's /opt/ml tree (contract::Paths)
//     logs/algo-N.log  each host's output, byte for byte
//     logs/algo-N.times   when each part of it arrived (log_events.hpp)
//     metrics/algo-N.points  each host's metric values over time (metric_series.hpp)
//     metrics/algo-N.instance.points  its instance metrics: CPU, memory, disk, GPU (the same format)
//     work/            scratch space for packing outputs
// The request and the status live in the store's index (index.hpp), not here.

#include <filesystem>
#include <string>

#include "contract/paths.hpp"
#include "util/error.hpp"

namespace sagerun::store {

namespace fs = std::filesystem;

// "algo-1" for host index 0.
std::string host_name(int host_index);

class JobFolder {
public:
  JobFolder(fs::path root, std::string name) : m_root(std::move(root)), m_name(std::move(name)) {}

  const std::string& name() const { return m_name; }
  const fs::path& store_root() const { return m_root; }
  fs::path path() const { return m_root / "jobs" / m_name; }
  fs::path lock_file() const { return path() / "lock"; }
  fs::path reserve_file() const { return path() / "reserve"; }
  fs::path journal_file() const { return path() / "transfers"; }
  fs::path runner_log() const { return path() / "runner.log"; }
  // The GPU devices the server's scheduler gave the job ("0,1"), written before its runner starts.
  fs::path gpus_file() const { return path() / "gpus"; }
  fs::path work_folder() const { return path() / "work"; }
  fs::path host_tree(int host_index) const { return path() / "hosts" / host_name(host_index); }
  contract::Paths host_paths(int host_index) const { return contract::Paths(host_tree(host_index)); }
  fs::path log_file(int host_index) const;
  fs::path times_file(int host_index) const;
  fs::path metrics_file(int host_index) const;
  fs::path instance_metrics_file(int host_index) const;

  // Makes the folder and its parts, with the reserve. The name must be new: an existing folder
  // is refused (ResourceInUse).
  Expected<void> create() const;
  bool exists() const;
  // Removes the folder and everything in it (a job that could not be created).
  void remove() const;

  // Space held back for the last status writes of a job on a full disk.
  static constexpr size_t k_reserve_bytes = 1 << 20;
  // Gives the reserve back to the file system; true when there was one.
  bool release_reserve() const;

private:
  fs::path m_root;
  std::string m_name;
};

} // namespace sagerun::store
