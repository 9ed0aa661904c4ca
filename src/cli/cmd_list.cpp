// sagerun list: training jobs, newest first (a table, or ListTrainingJobs' JSON): the local
// ones, or with --remote / --endpoint-url / AWS_ENDPOINT_URL_SAGEMAKER the API's (every page).
#include <cstdio>
#include <iostream>

#include "cli/aws_context.hpp"
#include "cli/command_table.hpp"
#include "cli/job_lookup.hpp"
#include "cli/remote_context.hpp"

namespace sagerun::cli {
namespace {

struct ListFlags {
  std::string output = "table";
  std::optional<std::string> status_equals;
  std::optional<std::string> name_contains;
  std::optional<int> max_results;
};

constexpr const char* k_row = "%-63s  %-10s  %-18s  %s\n";

void print_row(const nlohmann::json& summary) {
  const auto text = [&](const char* field) {
    const auto value = aws::string_member(summary, field);
    return value.empty() ? std::string("-") : value;
  };
  std::printf(k_row, text("TrainingJobName").c_str(), text("TrainingJobStatus").c_str(),
              text("SecondaryStatus").c_str(),
              format_api_time(summary.value("CreationTime", nlohmann::json())).c_str());
}

nlohmann::json local_summaries(const ListFlags& flags) {
  const auto root = runner::state_root(util::current_environment());
  nlohmann::json summaries = nlohmann::json::array();
  for (const auto& name : runner::list_job_names(root)) {
    if (flags.max_results && std::cmp_greater_equal(summaries.size(), *flags.max_results)) break;
    if (flags.name_contains && name.find(*flags.name_contains) == std::string::npos) continue;
    runner::JobFolder folder(root, name);
    auto status = runner::read_reconciled_status(folder);
    if (!status) continue;
    if (flags.status_equals && status->status != *flags.status_equals) continue;
    nlohmann::json summary = {{"TrainingJobName", status->job_name},   {"TrainingJobArn", status->job_arn},
                              {"CreationTime", status->creation_time}, {"LastModifiedTime", status->last_modified_time},
                              {"TrainingJobStatus", status->status},   {"SecondaryStatus", status->secondary_status}};
    if (status->training_end_time) summary["TrainingEndTime"] = *status->training_end_time;
    summaries.push_back(summary);
  }
  return summaries;
}

Expected<nlohmann::json> remote_summaries(const ListFlags& flags, const RemoteFlags& remote) {
  auto context = make_remote_context(remote.aws, util::current_environment());
  if (!context) return std::unexpected(context.error());
  aws::TrainingJobFilter filter{flags.name_contains, flags.status_equals, std::nullopt};
  nlohmann::json summaries = nlohmann::json::array();
  std::string token;
  do {
    const int wanted = flags.max_results ? *flags.max_results - static_cast<int>(summaries.size()) : 100;
    filter.max_results = std::min(wanted, 100);
    auto page = (*context)->sagemaker->list_training_jobs(filter, token);
    if (!page) return std::unexpected(page.error());
    for (auto& summary : page->summaries) {
      if (flags.max_results && std::cmp_greater_equal(summaries.size(), *flags.max_results)) break;
      summaries.push_back(std::move(summary));
    }
    token = page->next_token == token ? "" : page->next_token; // a token that repeats would loop for ever
  } while (!token.empty() && !(flags.max_results && std::cmp_greater_equal(summaries.size(), *flags.max_results)));
  return summaries;
}

} // namespace

int cmd_list(std::span<char*> args) {
  CLI::App app{"List training jobs, newest first.", "sagerun list"};
  ListFlags flags;
  RemoteFlags remote;
  app.add_option("--output", flags.output, "table or json (ListTrainingJobs' shape)")
      ->check(CLI::IsMember({"table", "json"}));
  app.add_option("--status", flags.status_equals, "only jobs with this status")
      ->check(CLI::IsMember({"InProgress", "Completed", "Failed", "Stopping", "Stopped"}));
  app.add_option("--name-contains", flags.name_contains, "only jobs whose name contains this text");
  app.add_option("--max-results", flags.max_results, "at most this many jobs")->check(CLI::PositiveNumber);
  add_remote_flags(app, remote);
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? k_exit_ok : k_exit_usage;
  }
  nlohmann::json summaries;
  if (wants_remote(remote, util::current_environment())) {
    auto listed = remote_summaries(flags, remote);
    if (!listed) return report(listed.error());
    summaries = std::move(*listed);
  } else {
    summaries = local_summaries(flags);
  }
  if (flags.output == "json") {
    std::cout << nlohmann::json{{"TrainingJobSummaries", summaries}}.dump(4) << "\n";
    return k_exit_ok;
  }
  std::printf(k_row, "NAME", "STATUS", "SECONDARY", "CREATED (UTC)");
  for (const auto& summary : summaries)
    print_row(summary);
  return k_exit_ok;
}

} // namespace sagerun::cli
