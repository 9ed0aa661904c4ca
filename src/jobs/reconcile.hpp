#pragma once
// Ending a job whose runner is gone. Under the job's lock (taken only if no runner holds it, so
// a live runner is never overruled): what the runner left half-done is cleaned up — the multipart
// uploads and destination part files its journal names, and every part file in the job's folder
// — and the status says why the job ended: Stopped when a stop had been asked, else Failed with
// the best reason there is (the runner's exit, its last words, a full disk).

#include <optional>
#include <string>

#include "store/journal.hpp"
#include "store/store.hpp"
#include "util/error.hpp"

namespace sagerun::jobs {

// Aborts a multipart upload a dead runner left open. An interface: the caller knows how to reach
// S3 (its credentials); tests count the calls.
class UploadAborter {
public:
  virtual ~UploadAborter() = default;
  virtual Expected<void> abort(const store::OpenUpload& upload) = 0;
};

// Whether `row` is a job a runner should be running now (not ended, not waiting for capacity).
bool wants_runner(const store::JobRow& row);

// `wait_status`: how the runner ended, when the caller reaped it (waitpid's status word).
// Returns whether the job was reconciled (false: a runner lives, or there was nothing to do).
bool reconcile(store::Store& store, const std::string& name, std::optional<int> wait_status, UploadAborter* aborter);

// The part files a dead process left: every "*.sagerun-part-*" under `folder`.
void remove_part_files(const std::filesystem::path& folder);

} // namespace sagerun::jobs
