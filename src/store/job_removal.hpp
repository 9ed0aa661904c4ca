#pragma once
// Deleting jobs from the store (`sagerun rm`, `sagerun prune`, the server's DeleteTrainingJob):
// one ended job entirely — its index row with its request and tags, then its folder — and never
// a job that may run.
//
// Never a running job: the job's lock is taken (try_acquire) for the whole deletion, so a live
// runner refuses it and no runner, scheduler or reconciler can take the job meanwhile; under the
// lock the job must show ended (Completed, Failed, Stopped). A job InProgress or Stopping, or
// Pending in a server's queue, is refused.
//
// Never half a job that looks whole: the row goes first, in one statement (from then on nothing
// lists, describes or finds the job), then the folder is renamed into <root>/removed/ — freeing
// its name at once — and deleted there. A crash in between leaves either a folder without a row,
// which no front end shows, or an entry of removed/: sweep_removed() deletes both.

#include <cstdint>
#include <filesystem>
#include <string>

#include "store/store.hpp"
#include "util/error.hpp"

namespace sagerun::store {

struct RemovedJob {
  std::string name;         // as it was created
  uint64_t bytes_freed = 0; // the disk its folder held (folder_bytes)
};

// Deletes the ended job `name` (in any case). Errors: ResourceNotFound when the store has no such
// job; ResourceInUse, naming the job and saying to stop it first, when it has not ended or a
// runner still holds its lock.
Expected<RemovedJob> remove_ended_job(Store& store, const std::string& name);

// The disk a folder holds: its directories' blocks and those of the files all of whose hard
// links are inside it (a local channel hard-linked into a host's tree frees nothing).
uint64_t folder_bytes(const std::filesystem::path& folder);

// Deletes what deletions cut short by a crash left: the entries of <root>/removed/ whose process
// is gone, and the folders of jobs/ that have no row in the index, whose lock nobody holds, at
// least a minute old (a job being created has its folder a moment before its row) and not of an
// older layout (request.json / status.json, which store/migrate judges).
void sweep_removed(Store& store);

} // namespace sagerun::store
