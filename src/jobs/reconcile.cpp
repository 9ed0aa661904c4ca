#include "jobs/reconcile.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <system_error>

#include "store/runner_lock.hpp"
#include "store/status_writer.hpp"
#include "util/atomic_file.hpp"
#include "util/files.hpp"
#include "util/signals.hpp"
#include "util/text.hpp"

namespace sagerun::jobs {
namespace {

namespace fs = std::filesystem;

bool is_part_of(const std::string& name, const std::string& target) {
  return name.starts_with(target + std::string(util::k_part_marker));
}

// The destination part files of copies that never ended: "<destination>.sagerun-part-*".
void remove_destination_parts(const fs::path& destination) {
  const std::string target = destination.filename().string();
  for (const auto& name : util::list_directory(destination.parent_path())) {
    if (!is_part_of(name, target)) continue;
    std::error_code ignored;
    fs::remove(destination.parent_path() / name, ignored);
  }
}

// The last line the runner wrote to its log, where a detached runner says what went wrong.
std::string last_words(const fs::path& runner_log) {
  auto text = util::read_file(runner_log);
  if (!text) return "";
  std::string_view view = util::trim(*text);
  if (const auto newline = view.rfind('\n'); newline != std::string_view::npos) view.remove_prefix(newline + 1);
  return std::string(view.substr(0, 300));
}

std::string dead_runner_reason(const store::JobFolder& folder, std::optional<int> wait_status) {
  const auto holder = store::recorded_holder(folder.lock_file());
  std::string reason;
  if (!holder) {
    reason = "InternalServerError: the job's runner never started (what created the job ended first)";
  } else {
    reason = "InternalServerError: the runner of this job (pid " + std::to_string(holder->pid) +
             ") ended before the job did";
    if (wait_status && WIFSIGNALED(*wait_status)) {
      const int signal = WTERMSIG(*wait_status);
      reason += ": killed by " + util::signal_name(signal) + " (" + std::to_string(signal) + ")";
    } else if (wait_status && WIFEXITED(*wait_status)) {
      reason += ": it exited with code " + std::to_string(WEXITSTATUS(*wait_status));
    } else {
      reason += " (killed, or the machine restarted)";
    }
    if (const auto words = last_words(folder.runner_log()); !words.empty()) reason += "; its last words: " + words;
  }
  return reason + util::no_space_note(folder.path());
}

void clean_up_transfers(const store::JobFolder& folder, UploadAborter* aborter) {
  const auto open = store::TransferJournal::read_open(folder.journal_file());
  bool all_done = true;
  for (const auto& upload : open.uploads) {
    if (aborter == nullptr) {
      all_done = false;
      continue;
    }
    if (auto aborted = aborter->abort(upload); !aborted) {
      all_done = false;
      std::fprintf(stderr, "sagerun: warning: job %s: could not abort the multipart upload of s3://%s/%s: %s\n",
                   folder.name().c_str(), upload.bucket.c_str(), upload.key.c_str(), aborted.error().message.c_str());
    }
  }
  for (const auto& destination : open.copies)
    remove_destination_parts(destination);
  remove_part_files(folder.path());
  // Scratch space (archives packed for upload): nothing there is wanted once the job has ended.
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(folder.work_folder(), ignored))
    fs::remove_all(entry.path(), ignored);
  // Kept while an upload could not be aborted: a later reconciliation cannot happen (the job has
  // ended), but the record says what is left.
  if (all_done) fs::remove(folder.journal_file(), ignored);
}

} // namespace

bool wants_runner(const store::JobRow& row) {
  return !job::has_ended(row.status.status) && row.status.secondary_status != job::SecondaryStatus::pending;
}

void remove_part_files(const fs::path& folder) {
  std::error_code error;
  for (fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied, error), end;
       !error && it != end; it.increment(error)) {
    if (it->is_symlink() || !it->is_regular_file()) continue;
    if (it->path().filename().string().find(util::k_part_marker) == std::string::npos) continue;
    std::error_code ignored;
    fs::remove(it->path(), ignored);
  }
}

bool reconcile(store::Store& store, const std::string& name, std::optional<int> wait_status, UploadAborter* aborter) {
  const auto seen = store.index().find(name);
  if (!seen || !wants_runner(*seen)) return false;
  const auto folder = store.folder(seen->name); // the name as created; `name` may differ in case
  auto lock = store::JobLock::try_acquire(folder.lock_file());
  if (!lock || !*lock) return false;               // a runner holds it, or another reconciler is at work
  const auto row = store.index().find(seen->name); // as it is now that nobody else may write it
  if (!row || !wants_runner(*row)) return false;
  clean_up_transfers(folder, aborter);
  auto status = row->status;
  const double now = job::now_seconds();
  if (row->stop_requested) {
    job::stopped(status, job::SecondaryStatus::stopped, now);
  } else {
    job::fail(status, dead_runner_reason(folder, wait_status), now);
  }
  if (auto written = store::StatusWriter(store.index(), folder, **lock).write(status); !written) {
    std::fprintf(stderr, "sagerun: error: cannot record the end of job %s: %s\n", name.c_str(),
                 written.error().message.c_str());
    return false;
  }
  return true;
}

} // namespace sagerun::jobs
