#include "server/list_jobs.hpp"

#include <algorithm>
#include <tuple>

#include "aws/crypto.hpp"
#include "server/params.hpp"

namespace sagerun::server {
namespace {

using nlohmann::json;

std::string lower(std::string text) {
  std::ranges::transform(text, text.begin(),
                         [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return text;
}

// A job's place in the chosen order: (text, number, name), compared as a tuple.
struct SortKey {
  std::string text;
  double number = 0;
  std::string name; // lower-cased: names are unique regardless of case

  auto tie() const { return std::tie(text, number, name); }
};

SortKey key_of(const JobSummary& job, const std::string& sort_by) {
  if (sort_by == "Name") return {lower(job.name), 0, lower(job.name)};
  if (sort_by == "Status") return {job.status, job.creation_time, lower(job.name)};
  return {"", job.creation_time, lower(job.name)};
}

// Whether `a` comes before `b` in the listing.
bool before(const SortKey& a, const SortKey& b, bool descending) {
  return descending ? b.tie() < a.tie() : a.tie() < b.tie();
}

std::string encode_token(const SortKey& key, const ListQuery& query) {
  const json token = {{"v", 1},           {"by", query.sort_by},  {"order", query.sort_order},
                      {"text", key.text}, {"number", key.number}, {"name", key.name}};
  return aws::base64_encode(token.dump());
}

ApiResult<SortKey> decode_token(const std::string& text, const ListQuery& query) {
  auto invalid = [] { return validation_error("Invalid pagination token: NextToken was not returned by this API"); };
  auto raw = aws::base64_decode(text);
  if (!raw) return invalid();
  const auto token = json::parse(*raw, nullptr, false);
  if (!token.is_object() || token.value("v", 0) != 1 || !token.contains("text") || !token["text"].is_string() ||
      !token.contains("number") || !token["number"].is_number() || !token.contains("name") ||
      !token["name"].is_string()) {
    return invalid();
  }
  if (token.value("by", "") != query.sort_by || token.value("order", "") != query.sort_order) {
    return validation_error("Invalid pagination token: it belongs to a listing with another SortBy or SortOrder");
  }
  return SortKey{token["text"].get<std::string>(), token["number"].get<double>(), token["name"].get<std::string>()};
}

bool name_pattern(std::string_view text) {
  return !text.empty() && std::ranges::all_of(text, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

} // namespace

ApiResult<ListQuery> parse_list_query(const json& body) {
  Params params(body);
  ListQuery query;
  query.next_token = params.string("NextToken", {.min_length = 0, .max_length = 8192});
  if (auto max = params.integer("MaxResults", 1, 100)) query.max_results = static_cast<int>(*max);
  query.creation_after = params.timestamp("CreationTimeAfter");
  query.creation_before = params.timestamp("CreationTimeBefore");
  query.modified_after = params.timestamp("LastModifiedTimeAfter");
  query.modified_before = params.timestamp("LastModifiedTimeBefore");
  query.name_contains = params.string(
      "NameContains", {.min_length = 0, .max_length = 63, .pattern = "[a-zA-Z0-9\\-]+", .matches = name_pattern});
  query.status_equals = params.string(
      "StatusEquals", {.enums = {"InProgress", "Completed", "Failed", "Stopping", "Stopped", "Deleting"}});
  if (auto by = params.string("SortBy", {.enums = {"Name", "CreationTime", "Status"}})) query.sort_by = *by;
  if (auto order = params.string("SortOrder", {.enums = {"Ascending", "Descending"}})) query.sort_order = *order;
  params.string("WarmPoolStatusEquals", {.enums = {"Available", "Terminated", "Reused", "InUse"}});
  params.string("TrainingPlanArnEquals", {.min_length = 50, .max_length = 2048});
  if (auto error = params.error()) return std::unexpected(*error);
  return query;
}

ApiResult<json> list_training_jobs(const std::vector<JobSummary>& jobs, const ListQuery& query) {
  const bool descending = query.sort_order == "Descending";
  std::optional<SortKey> after;
  if (query.next_token && !query.next_token->empty()) {
    auto decoded = decode_token(*query.next_token, query);
    if (!decoded) return std::unexpected(decoded.error());
    after = std::move(*decoded);
  }
  const std::string needle = query.name_contains ? lower(*query.name_contains) : "";
  std::vector<std::pair<SortKey, const JobSummary*>> selected;
  for (const auto& job : jobs) {
    if (!needle.empty() && lower(job.name).find(needle) == std::string::npos) continue;
    if (query.status_equals && job.status != *query.status_equals) continue;
    if (query.creation_after && !(job.creation_time > *query.creation_after)) continue;
    if (query.creation_before && !(job.creation_time < *query.creation_before)) continue;
    if (query.modified_after && !(job.last_modified_time > *query.modified_after)) continue;
    if (query.modified_before && !(job.last_modified_time < *query.modified_before)) continue;
    SortKey key = key_of(job, query.sort_by);
    if (after && !before(*after, key, descending)) continue;
    selected.emplace_back(std::move(key), &job);
  }
  const auto page = std::min(selected.size(), static_cast<size_t>(query.max_results));
  std::partial_sort(selected.begin(), selected.begin() + static_cast<std::ptrdiff_t>(page), selected.end(),
                    [descending](const auto& a, const auto& b) { return before(a.first, b.first, descending); });
  json summaries = json::array();
  for (size_t i = 0; i < page; ++i) {
    const JobSummary& job = *selected[i].second;
    json item = {{"TrainingJobName", job.name},       {"TrainingJobArn", job.arn},
                 {"CreationTime", job.creation_time}, {"LastModifiedTime", job.last_modified_time},
                 {"TrainingJobStatus", job.status},   {"SecondaryStatus", job.secondary_status}};
    if (job.end_time) item["TrainingEndTime"] = *job.end_time;
    summaries.push_back(std::move(item));
  }
  json out = {{"TrainingJobSummaries", std::move(summaries)}};
  if (selected.size() > page) out["NextToken"] = encode_token(selected[page - 1].first, query);
  return out;
}

} // namespace sagerun::server
