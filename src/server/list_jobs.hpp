#pragma once
// ListTrainingJobs: the request's filters, sort and paging over the jobs' summaries.
// NextToken is opaque to clients: the sort key of the last job returned (keyset paging), so a
// job created between two pages neither shifts nor repeats the rest.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/api_error.hpp"
#include "server/job_table.hpp"

namespace sagerun::server {

struct ListQuery {
  std::optional<std::string> name_contains; // case-insensitive substring
  std::optional<std::string> status_equals;
  std::optional<double> creation_after, creation_before; // strict bounds, epoch seconds
  std::optional<double> modified_after, modified_before;
  std::string sort_by = "CreationTime"; // CreationTime | Name | Status
  std::string sort_order = "Descending";
  int max_results = 10;
  std::optional<std::string> next_token;
};

ApiResult<ListQuery> parse_list_query(const nlohmann::json& body);

// The response: {"TrainingJobSummaries": […], "NextToken": …} (NextToken only when more remain).
ApiResult<nlohmann::json> list_training_jobs(const std::vector<JobSummary>& jobs, const ListQuery& query);

} // namespace sagerun::server
