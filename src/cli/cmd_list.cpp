// sagerun list: training jobs, newest first (a table, or ListTrainingJobs' JSON): this machine's
// — run by `sagerun local` and by `sagerun server` alike — or with --remote / --endpoint-url /
// AWS_ENDPOINT_URL_SAGEMAKER the API's (every page, up to --max-results).
#include <cstdio>

#include "aws/sagemaker_client.hpp"
#include "cli/command_table.hpp"
#include "cli/jobs_access.hpp"
#include "job/lifecycle.hpp"

namespace sagerun::cli {
namespace {

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

} // namespace

int cmd_list(Invocation& invocation) {
  auto& app = invocation.app();
  std::optional<std::string> status;
  std::optional<std::string> name_contains;
  std::optional<int> max_results;
  app.add_option("--status", status, "only jobs with this status")
      ->check(CLI::IsMember({"InProgress", "Completed", "Failed", "Stopping", "Stopped"}));
  app.add_option("--name-contains", name_contains, "only jobs whose name contains this text (any case)");
  app.add_option("--max-results", max_results, "at most this many jobs")->check(CLI::PositiveNumber);
  if (auto done = invocation.parse()) return *done;
  auto access = open_jobs(invocation);
  if (!access) return report(access.error());

  store::ListQuery query;
  query.name_contains = name_contains;
  if (status) query.status_equals = job::parse_job_status(*status);
  nlohmann::json summaries = nlohmann::json::array();
  const auto full = [&] { return max_results && std::cmp_greater_equal(summaries.size(), *max_results); };
  do {
    query.max_results = max_results ? std::min(*max_results - static_cast<int>(summaries.size()), 100) : 100;
    auto page = access->backend->list(query);
    if (!page) return report(page.error());
    for (auto& summary : (*page)["TrainingJobSummaries"])
      if (!full()) summaries.push_back(std::move(summary));
    const std::string next = aws::string_member(*page, "NextToken");
    // A token that repeats would loop for ever.
    query.next_token = next == query.next_token ? "" : next;
  } while (!query.next_token.empty() && !full());

  if (invocation.flags().output == Output::json) {
    print_json({{"TrainingJobSummaries", summaries}});
    return k_exit_ok;
  }
  std::printf(k_row, "NAME", "STATUS", "SECONDARY", "CREATED (UTC)");
  for (const auto& summary : summaries)
    print_row(summary);
  return k_exit_ok;
}

} // namespace sagerun::cli
