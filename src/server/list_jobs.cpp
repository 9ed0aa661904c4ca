#include "server/list_jobs.hpp"

#include <algorithm>

#include "server/params.hpp"

namespace sagerun::server {
namespace {

bool name_pattern(std::string_view text) {
  return !text.empty() && std::ranges::all_of(text, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

} // namespace

ApiResult<store::ListQuery> parse_list_query(const nlohmann::json& body) {
  Params params(body);
  store::ListQuery query;
  query.next_token = params.string("NextToken", {.min_length = 0, .max_length = 8192}).value_or("");
  if (auto max = params.integer("MaxResults", 1, 100)) query.max_results = static_cast<int>(*max);
  query.creation_after = params.timestamp("CreationTimeAfter");
  query.creation_before = params.timestamp("CreationTimeBefore");
  query.modified_after = params.timestamp("LastModifiedTimeAfter");
  query.modified_before = params.timestamp("LastModifiedTimeBefore");
  query.name_contains = params.string(
      "NameContains", {.min_length = 0, .max_length = 63, .pattern = "[a-zA-Z0-9\\-]+", .matches = name_pattern});
  if (auto status = params.string("StatusEquals",
                                  {.enums = {"InProgress", "Completed", "Failed", "Stopping", "Stopped", "Deleting"}}))
    query.status_equals = job::parse_job_status(*status);
  if (auto by = params.string("SortBy", {.enums = {"Name", "CreationTime", "Status"}})) {
    query.sort_by = *by == "Name"     ? store::SortBy::name
                    : *by == "Status" ? store::SortBy::status
                                      : store::SortBy::creation_time;
  }
  if (auto order = params.string("SortOrder", {.enums = {"Ascending", "Descending"}}))
    query.sort_order = *order == "Ascending" ? store::SortOrder::ascending : store::SortOrder::descending;
  params.string("WarmPoolStatusEquals", {.enums = {"Available", "Terminated", "Reused", "InUse"}});
  params.string("TrainingPlanArnEquals", {.min_length = 50, .max_length = 2048});
  if (auto error = params.error()) return std::unexpected(*error);
  return query;
}

} // namespace sagerun::server
