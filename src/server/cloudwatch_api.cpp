#include "server/cloudwatch_api.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "server/cloudwatch_members.hpp"

namespace sagerun::server {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// ListMetrics' page, as CloudWatch's; and how many jobs one call reads at most, so that a store
// of jobs whose metrics have no points yet still answers each page quickly (with a NextToken).
constexpr size_t k_metrics_per_page = 500;
constexpr size_t k_jobs_per_page = 1000;
constexpr double k_recently_active_seconds = 3 * 3600;

// Where a listing goes on: at the job of creation sequence `sequence`, past its first `skip`
// metrics. "<sequence>.<skip>".
struct ListCursor {
  int64_t sequence = 0;
  size_t skip = 0;
};

std::string list_token(const ListCursor& cursor) {
  return std::to_string(cursor.sequence) + "." + std::to_string(cursor.skip);
}

std::optional<ListCursor> parse_list_token(std::string_view token) {
  ListCursor cursor;
  const auto dot = token.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const auto whole = [](std::string_view text, auto& out) {
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && ec == std::errc() && ptr == text.data() + text.size();
  };
  if (!whole(token.substr(0, dot), cursor.sequence) || !whole(token.substr(dot + 1), cursor.skip) ||
      cursor.sequence < 1) {
    return std::nullopt;
  }
  return cursor;
}

// One metric ListMetrics names: the metric, under one dimension.
struct Listed {
  std::string metric;
  std::string_view dimension;
  std::string value;
};

ordered_json metric_json(const Listed& listed) {
  return {{"Namespace", std::string(k_metrics_namespace)},
          {"MetricName", listed.metric},
          {"Dimensions", ordered_json::array({{{"Name", listed.dimension}, {"Value", listed.value}}})}};
}

} // namespace

std::string host_dimension(const std::string& job, int host_index) { return job + "/" + store::host_name(host_index); }

std::optional<HostOfJob> parse_host_dimension(std::string_view value) {
  const auto slash = value.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  const std::string_view host = value.substr(slash + 1);
  if (!host.starts_with("algo-") || host.size() == 5 || host[5] == '0') return std::nullopt;
  int number = 0;
  const auto [ptr, ec] = std::from_chars(host.data() + 5, host.data() + host.size(), number);
  if (ec != std::errc() || ptr != host.data() + host.size() || number < 1) return std::nullopt;
  return HostOfJob{std::string(value.substr(0, slash)), number - 1};
}

bool CloudWatchApi::serves(std::string_view operation) {
  return operation == "ListMetrics" || operation == "GetMetricStatistics" || operation == "GetMetricData";
}

ApiResult<ordered_json> CloudWatchApi::call(std::string_view operation, const json& body) {
  if (operation == "GetMetricData") return get_metric_data(body);
  if (operation == "GetMetricStatistics") return get_metric_statistics(body);
  if (operation == "ListMetrics") return list_metrics(body);
  return api_error(400, "InvalidAction",
                   "The action " + std::string(operation) + " is not valid for this web service.");
}

ApiResult<ordered_json> CloudWatchApi::list_metrics(const json& body) {
  const Members members(body, "");
  auto name_space = members.string("Namespace", Members::Need::optional, 1, 255);
  if (!name_space) return std::unexpected(name_space.error());
  auto metric = members.string("MetricName", Members::Need::optional, 1, 255);
  if (!metric) return std::unexpected(metric.error());
  auto dimensions = members.list("Dimensions", Members::Need::optional, 10);
  if (!dimensions) return std::unexpected(dimensions.error());
  auto token = members.string("NextToken", Members::Need::optional);
  if (!token) return std::unexpected(token.error());
  auto recently = members.string("RecentlyActive", Members::Need::optional);
  if (!recently) return std::unexpected(recently.error());
  if (*recently && **recently != "PT3H") {
    return api_error(
        400, "ValidationError",
        "1 validation error detected: Value '" + **recently +
            "' at 'RecentlyActive' failed to satisfy constraint: Member must satisfy enum value set: [PT3H]");
  }
  if (auto linked = members.boolean("IncludeLinkedAccounts"); !linked) return std::unexpected(linked.error());
  if (auto owner = members.string("OwningAccount", Members::Need::optional, 1, 255); !owner)
    return std::unexpected(owner.error());

  // Every metric has one dimension, Host or TrainingJobName: a filter of another name matches
  // none, of both names none, and a value picks one host or one job.
  bool matches_none = *name_space && **name_space != k_metrics_namespace;
  std::optional<std::string> dimension_name;
  std::optional<std::string> dimension_value;
  for (size_t i = 0; *dimensions != nullptr && i < (*dimensions)->size(); ++i) {
    const Members filter((**dimensions)[i], "Dimensions.member." + std::to_string(i + 1) + ".");
    auto name = filter.string("Name", Members::Need::required, 1, 255);
    if (!name) return std::unexpected(name.error());
    auto value = filter.string("Value", Members::Need::optional, 1, 1024);
    if (!value) return std::unexpected(value.error());
    matches_none = matches_none || (**name != k_host_dimension && **name != k_job_dimension) ||
                   (dimension_name && *dimension_name != **name) ||
                   (*value && dimension_value && *dimension_value != **value);
    dimension_name = **name;
    if (*value) dimension_value = **value;
  }
  const bool per_host = dimension_name != std::string(k_job_dimension);
  const bool per_job = dimension_name != std::string(k_host_dimension);
  ListCursor cursor{1, 0};
  if (*token) {
    auto parsed = parse_list_token(**token);
    if (!parsed) return invalid_value("The parameter NextToken is not one ListMetrics gave; start again without it.");
    cursor = *parsed;
  }
  ordered_json out = {{"Metrics", ordered_json::array()}};
  if (matches_none) return out;

  std::vector<store::MetricSource> sources;
  std::optional<HostOfJob> only_host;
  if (dimension_value) {
    if (per_host) only_host = parse_host_dimension(*dimension_value);
    const std::string job = per_host ? (only_host ? only_host->job : std::string()) : *dimension_value;
    const auto row = job.empty() ? std::nullopt : m_store.index().find(job);
    if (!row || row->name != job || row->sequence < cursor.sequence) return out;
    sources.push_back({row->sequence, row->name, row->instances});
  } else {
    auto found = m_store.index().metric_sources(cursor.sequence - 1, k_jobs_per_page);
    if (!found) return std::unexpected(to_api_error(found.error()));
    sources = std::move(*found);
  }
  const double active_since = wall_clock_seconds() - k_recently_active_seconds;
  auto& list = out["Metrics"];
  for (const auto& source : sources) {
    const auto folder = m_store.folder(source.name);
    auto series = only_host ? store::read_host_metric_series(folder, only_host->host_index)
                            : store::read_metric_series(folder, source.instances);
    if (!series) {
      // One job's unreadable file must not hide every other job's metrics.
      std::fprintf(stderr, "sagerun: server: ListMetrics passes over job %s: %s\n", source.name.c_str(),
                   series.error().message.c_str());
      continue;
    }
    // Each host's metrics, then the job's (one per metric any host has).
    std::vector<Listed> matching;
    std::vector<std::string> job_metrics;
    for (const auto& one : *series) {
      const bool wanted = (!*metric || one.metric == **metric) &&
                          (!*recently || one.points.back().timestamp >= active_since) &&
                          one.host_index < source.instances;
      if (!wanted) continue;
      if (per_host) matching.push_back({one.metric, k_host_dimension, host_dimension(source.name, one.host_index)});
      if (per_job && std::ranges::find(job_metrics, one.metric) == job_metrics.end()) job_metrics.push_back(one.metric);
    }
    for (auto& name : job_metrics)
      matching.push_back({std::move(name), k_job_dimension, source.name});
    for (size_t i = source.sequence == cursor.sequence ? cursor.skip : 0; i < matching.size(); ++i) {
      if (list.size() == k_metrics_per_page) {
        out["NextToken"] = list_token({source.sequence, i});
        return out;
      }
      list.push_back(metric_json(matching[i]));
    }
  }
  if (!dimension_value && sources.size() == k_jobs_per_page)
    out["NextToken"] = list_token({sources.back().sequence + 1, 0});
  return out;
}

} // namespace sagerun::server
