// sagerun prune --older-than DAYS [--dry-run]: deletes every ended job of this machine's store
// whose end (its creation where it never ran) is more than DAYS days old, as `sagerun rm` would,
// and says what it deleted and the disk it freed; --dry-run says what it would delete and deletes
// nothing. A job that has not ended is never among them. Then the leftovers of deletions a crash
// cut short are swept (store/job_removal.hpp).
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli/command_table.hpp"
#include "cli/job_output.hpp"
#include "cli/jobs_access.hpp"
#include "job/lifecycle.hpp"
#include "store/job_removal.hpp"

namespace sagerun::cli {
namespace {

constexpr double k_seconds_per_day = 86400;

// A positive, finite number of days, the whole text (fractions allowed: 0.5 is 12 hours).
std::optional<double> parse_days(const std::string& text) {
  double days = 0;
  const auto* last = text.data() + text.size();
  const auto [end, error] = std::from_chars(text.data(), last, days);
  if (text.empty() || error != std::errc() || end != last || !std::isfinite(days) || days <= 0) return std::nullopt;
  return days;
}

} // namespace

int cmd_prune(Invocation& invocation) {
  std::string older_than;
  bool dry_run = false;
  invocation.app()
      .add_option("--older-than", older_than,
                  "DAYS: delete the ended jobs that ended more than this many days ago (a positive number; 0.5 is 12 "
                  "hours)")
      ->required();
  invocation.app().add_flag("--dry-run", dry_run, "say what would be deleted, delete nothing");
  if (auto done = invocation.parse()) return *done;
  const auto days = parse_days(older_than);
  if (!days) {
    std::cerr << "sagerun: error: --older-than: '" << older_than
              << "' is not a positive number of days (say 30, or 0.5 for 12 hours)\n";
    return k_exit_usage;
  }
  const bool json = invocation.flags().output == Output::json;
  auto local = open_local_jobs(invocation.env(), AwsFlags{});
  if (!local) return report(local.error());
  auto& jobs = *local->jobs;
  auto names = jobs.ended_before(job::now_seconds() - *days * k_seconds_per_day);
  if (!names) return report(names.error());

  nlohmann::json deleted = nlohmann::json::array();
  nlohmann::json errors = nlohmann::json::array();
  uint64_t freed = 0;
  for (const auto& name : *names) {
    uint64_t bytes = 0;
    if (dry_run) {
      bytes = store::folder_bytes(local->store->folder(name).path());
    } else if (auto removed = jobs.remove(name); removed) {
      bytes = removed->bytes_freed;
    } else {
      report(removed.error()); // an ended job whose runner has not exited yet, say: the next prune takes it
      errors.push_back(
          {{"TrainingJobName", name}, {"Code", removed.error().code}, {"Message", removed.error().message}});
      continue;
    }
    freed += bytes;
    deleted.push_back({{"TrainingJobName", name}, {"BytesFreed", bytes}});
    if (!json)
      std::printf("%s %s (%s)\n", dry_run ? "would delete" : "deleted", name.c_str(), format_bytes(bytes).c_str());
  }
  if (!dry_run) store::sweep_removed(*local->store);

  if (json) {
    print_json({{"DryRun", dry_run}, {"Deleted", deleted}, {"BytesFreed", freed}, {"Errors", errors}});
  } else if (deleted.empty() && errors.empty()) {
    std::printf("no ended job is older than %s days\n", older_than.c_str());
  } else {
    const auto count = deleted.size();
    const auto bytes = format_bytes(freed);
    if (dry_run) {
      std::printf("%zu jobs would be deleted, %s would be freed\n", count, bytes.c_str());
    } else {
      std::printf("%zu jobs deleted, %s freed\n", count, bytes.c_str());
    }
  }
  return errors.empty() ? k_exit_ok : k_exit_error;
}

} // namespace sagerun::cli
