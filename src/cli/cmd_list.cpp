// sagerun list: local training jobs, newest first (a table, or ListTrainingJobs' JSON).
#include <cstdio>
#include <ctime>
#include <iostream>

#include "cli/aws_context.hpp"
#include "cli/command_table.hpp"
#include "cli/job_lookup.hpp"

namespace sagerun::cli {
namespace {

std::string format_time(double seconds) {
  const std::time_t time = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&time, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

} // namespace

int cmd_list(std::span<char*> args) {
  CLI::App app{"List training jobs, newest first.", "sagerun list"};
  std::string output = "table";
  std::optional<std::string> status_equals;
  app.add_option("--output", output, "table or json (ListTrainingJobs' shape)")
      ->check(CLI::IsMember({"table", "json"}));
  app.add_option("--status", status_equals,
                 "only jobs with this status (InProgress, Completed, Failed, Stopping, Stopped)");
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? k_exit_ok : k_exit_usage;
  }
  const auto root = runner::state_root(util::current_environment());
  nlohmann::json summaries = nlohmann::json::array();
  if (output == "table") std::printf("%-63s  %-10s  %-18s  %s\n", "NAME", "STATUS", "SECONDARY", "CREATED (UTC)");
  for (const auto& name : runner::list_job_names(root)) {
    runner::JobFolder folder(root, name);
    auto status = runner::read_reconciled_status(folder);
    if (!status) continue;
    if (status_equals && status->status != *status_equals) continue;
    if (output == "json") {
      nlohmann::json summary = {
          {"TrainingJobName", status->job_name},   {"TrainingJobArn", status->job_arn},
          {"CreationTime", status->creation_time}, {"LastModifiedTime", status->last_modified_time},
          {"TrainingJobStatus", status->status},   {"SecondaryStatus", status->secondary_status}};
      if (status->training_end_time) summary["TrainingEndTime"] = *status->training_end_time;
      summaries.push_back(summary);
    } else {
      std::printf("%-63s  %-10s  %-18s  %s\n", name.c_str(), status->status.c_str(), status->secondary_status.c_str(),
                  format_time(status->creation_time).c_str());
    }
  }
  if (output == "json") std::cout << nlohmann::json{{"TrainingJobSummaries", summaries}}.dump(4) << "\n";
  return k_exit_ok;
}

} // namespace sagerun::cli
