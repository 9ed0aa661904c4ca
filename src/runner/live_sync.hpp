#pragma once
// What SageMaker syncs while a job runs: each host's checkpoint folder (CheckpointConfig.LocalPath)
// to CheckpointConfig.S3Uri, and each host's output/intermediate/ to
// <S3OutputPath>/<job>/output/intermediate/ (the path the training toolkit uses; every host to the
// same place, algo-1's file winning a clash), for s3:// and file:// destinations alike. A thread
// makes a pass every period (SAGERUN_SYNC_SECONDS) through the job's Storage, so transfers go
// through the one transfer manager and into the job's journal; the rules of a pass are
// sync_folder.hpp's. A failed pass is reported on stderr once (and once more when it recovers)
// and tried again at the next; it never fails the job. finish() is the final upload: it stops
// the thread and puts what changed since it was last put, and its failure fails the job.
// Files deleted during the job stay at the destination, as on SageMaker.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "contract/paths.hpp"
#include "job/request.hpp"
#include "runner/storage.hpp"
#include "runner/sync_folder.hpp"
#include "util/environment.hpp"
#include "util/error.hpp"

namespace sagerun::runner {

inline constexpr std::chrono::milliseconds k_default_sync_period{5000};

// SAGERUN_SYNC_SECONDS (fractions allowed, at most an hour), else 5 s; an error names the
// variable and what it takes.
Expected<std::chrono::milliseconds> sync_period(const util::EnvMap& env);

class LiveSync {
public:
  // Takes the files already in the folders as put (the checkpoints just downloaded from their
  // destination): make it after staging, before the hosts start. `hosts` are the hosts' trees,
  // algo-1 first; `storage` must outlive this.
  LiveSync(const job::TrainingJobRequest& request, const std::vector<contract::Paths>& hosts, Storage& storage,
           std::chrono::milliseconds period);
  ~LiveSync();
  LiveSync(const LiveSync&) = delete;
  LiveSync& operator=(const LiveSync&) = delete;

  void start();
  // Ends the thread, waiting at most for a put in flight; no thread is left. Idempotent.
  void stop();
  // stop(), then one final pass over every folder (the hosts have ended): every file changed
  // since it was put. The first error names the folder, its destination and the file.
  Expected<void> finish();

private:
  void run();
  void report(size_t folder, const Expected<size_t>& result);

  Storage& m_storage;
  std::chrono::milliseconds m_period;
  std::vector<FolderSync> m_folders;
  std::vector<bool> m_failing;           // per folder: its last pass failed (reported once)
  std::vector<util::Error> m_unsyncable; // destinations that did not parse: finish() reports them
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
  std::thread m_thread;
};

} // namespace sagerun::runner
