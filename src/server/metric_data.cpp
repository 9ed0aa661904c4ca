// GetMetricData: MetricStat queries, each a metric's statistic per period, newest first unless
// TimestampAscending, paged by MaxDatapoints over all queries.
#include <charconv>
#include <map>

#include "server/cloudwatch_api.hpp"
#include "server/cloudwatch_members.hpp"
#include "server/metric_stats.hpp"

namespace sagerun::server {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr size_t k_max_queries = 500;
constexpr int64_t k_default_max_datapoints = 100800;

struct StatQuery {
  std::string id;
  std::string label;
  MetricRef metric;
  int64_t period = 60;
  Statistic statistic;
  std::optional<std::string> unit;
  bool return_data = true;
};

bool valid_query_id(std::string_view id) {
  if (id.empty() || id[0] < 'a' || id[0] > 'z') return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

ApiResult<StatQuery> read_query(const json& item, size_t number) {
  const std::string prefix = "MetricDataQueries.member." + std::to_string(number) + ".";
  const Members query(item, prefix);
  StatQuery out;
  auto id = query.string("Id", Members::Need::required, 1, 255);
  if (!id) return std::unexpected(id.error());
  if (!valid_query_id(**id)) {
    return invalid_value("The value " + **id + " for parameter " + query.path("Id") +
                         " is invalid: an Id starts with a lowercase letter and holds only letters, digits and "
                         "underscores.");
  }
  out.id = **id;
  auto expression = query.string("Expression", Members::Need::optional, 1, 2048);
  if (!expression) return std::unexpected(expression.error());
  auto stat = query.structure("MetricStat", Members::Need::optional);
  if (!stat) return std::unexpected(stat.error());
  if (*expression) {
    return invalid_value("The parameter " + query.path("Expression") +
                         " is a metric math or Metrics Insights expression, which sagerun server does not evaluate; "
                         "ask for each metric with MetricStat and compute on the values returned.");
  }
  if (*stat == nullptr) {
    return invalid_value("The parameter " + prefix.substr(0, prefix.size() - 1) +
                         " must give exactly one of MetricStat or Expression.");
  }
  auto label = query.string("Label", Members::Need::optional);
  if (!label) return std::unexpected(label.error());
  auto return_data = query.boolean("ReturnData");
  if (!return_data) return std::unexpected(return_data.error());
  out.return_data = return_data->value_or(true);
  if (auto period = query.integer("Period", Members::Need::optional); !period) return std::unexpected(period.error());
  if (auto account = query.string("AccountId", Members::Need::optional, 1, 255); !account)
    return std::unexpected(account.error());

  const Members metric_stat(**stat, prefix + "MetricStat.");
  auto metric = metric_stat.structure("Metric", Members::Need::required);
  if (!metric) return std::unexpected(metric.error());
  auto name = read_metric_ref(Members(**metric, prefix + "MetricStat.Metric."));
  if (!name) return std::unexpected(name.error());
  out.metric = std::move(*name);
  auto period = read_period(metric_stat);
  if (!period) return std::unexpected(period.error());
  out.period = *period;
  auto statistic = metric_stat.string("Stat", Members::Need::required);
  if (!statistic) return std::unexpected(statistic.error());
  auto parsed = parse_basic_statistic(**statistic);
  if (!parsed) parsed = parse_percentile(**statistic);
  if (!parsed) {
    return invalid_value("The parameter " + metric_stat.path("Stat") + " is '" + **statistic +
                         "', which sagerun server does not compute; ask for SampleCount, Average, Sum, Minimum, "
                         "Maximum or a percentile such as p90 or p99.9.");
  }
  out.statistic = std::move(*parsed);
  auto unit = metric_stat.string("Unit", Members::Need::optional);
  if (!unit) return std::unexpected(unit.error());
  if (*unit && !is_standard_unit(**unit))
    return invalid_value("The parameter " + metric_stat.path("Unit") + " is not a CloudWatch unit: '" + **unit + "'.");
  out.unit = *unit;
  out.label = label->value_or(out.metric.metric);
  return out;
}

// "v1:<offset>,<offset>,…": how many datapoints of each returned query earlier pages gave.
std::string data_token(const std::vector<size_t>& offsets) {
  std::string token = "v1:";
  for (size_t i = 0; i < offsets.size(); ++i)
    token += (i == 0 ? "" : ",") + std::to_string(offsets[i]);
  return token;
}

std::optional<std::vector<size_t>> parse_data_token(std::string_view token, size_t queries) {
  if (!token.starts_with("v1:")) return std::nullopt;
  token.remove_prefix(3);
  std::vector<size_t> offsets;
  while (!token.empty()) {
    const auto comma = token.find(',');
    const auto part = token.substr(0, comma);
    size_t value = 0;
    const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size()) return std::nullopt;
    offsets.push_back(value);
    if (comma == std::string_view::npos) break;
    token.remove_prefix(comma + 1);
    if (token.empty()) return std::nullopt; // a trailing comma
  }
  if (offsets.size() != queries) return std::nullopt;
  return offsets;
}

} // namespace

ApiResult<ordered_json> CloudWatchApi::get_metric_data(const json& body) {
  const Members members(body, "");
  auto list = members.list("MetricDataQueries", Members::Need::required, k_max_queries);
  if (!list) return std::unexpected(list.error());
  if ((*list)->empty()) return invalid_value("The parameter MetricDataQueries must hold at least one query.");
  std::vector<StatQuery> queries;
  std::map<std::string, size_t> ids;
  for (size_t i = 0; i < (*list)->size(); ++i) {
    auto query = read_query((**list)[i], i + 1);
    if (!query) return std::unexpected(query.error());
    if (const auto [it, fresh] = ids.emplace(query->id, i + 1); !fresh) {
      return invalid_value("The value " + query->id + " for parameter MetricDataQueries.member." +
                           std::to_string(i + 1) + ".Id is the Id of MetricDataQueries.member." +
                           std::to_string(it->second) + " too: each query needs an Id of its own.");
    }
    queries.push_back(std::move(*query));
  }
  auto range = read_time_range(members, "The parameter StartTime must be less than the parameter EndTime.");
  if (!range) return std::unexpected(range.error());
  auto scan_by = members.string("ScanBy", Members::Need::optional);
  if (!scan_by) return std::unexpected(scan_by.error());
  if (*scan_by && **scan_by != "TimestampDescending" && **scan_by != "TimestampAscending") {
    return api_error(400, "ValidationError",
                     "1 validation error detected: Value '" + **scan_by +
                         "' at 'ScanBy' failed to satisfy constraint: Member must satisfy enum value set: "
                         "[TimestampDescending, TimestampAscending]");
  }
  const bool ascending = scan_by->value_or("TimestampDescending") == "TimestampAscending";
  auto max_datapoints = members.integer("MaxDatapoints", Members::Need::optional);
  if (!max_datapoints) return std::unexpected(max_datapoints.error());
  if (*max_datapoints && **max_datapoints < 1)
    return invalid_value("The parameter MaxDatapoints must be at least 1, not " + std::to_string(**max_datapoints) +
                         ".");
  if (auto options = members.structure("LabelOptions", Members::Need::optional); !options)
    return std::unexpected(options.error());
  std::erase_if(queries, [](const StatQuery& query) { return !query.return_data; });
  auto token = members.string("NextToken", Members::Need::optional);
  if (!token) return std::unexpected(token.error());
  std::vector<size_t> offsets(queries.size(), 0);
  if (*token) {
    auto parsed = parse_data_token(**token, queries.size());
    if (!parsed) {
      return api_error(400, "InvalidNextToken",
                       "The NextToken is not one GetMetricData gave for these queries; ask again without it.");
    }
    offsets = std::move(*parsed);
  }

  const double now = wall_clock_seconds();
  auto budget = static_cast<size_t>(max_datapoints->value_or(k_default_max_datapoints));
  bool more = false;
  ordered_json results = ordered_json::array();
  for (size_t q = 0; q < queries.size(); ++q) {
    const auto& query = queries[q];
    auto points = points_of(m_store, query.metric);
    if (!points) return std::unexpected(to_api_error(points.error()));
    if (query.unit && *query.unit != "None") points->clear();
    const auto keep = query.statistic.kind == StatisticKind::percentile ? KeepValues::yes : KeepValues::no;
    auto periods = aggregate(*points, aligned_start(range->start, query.period, now), range->end, query.period, keep);
    if (!ascending) std::ranges::reverse(periods);
    ordered_json timestamps = ordered_json::array();
    ordered_json values = ordered_json::array();
    size_t& offset = offsets[q];
    for (; offset < periods.size() && budget > 0; ++offset, --budget) {
      timestamps.push_back(periods[offset].start);
      values.push_back(statistic_value(periods[offset], query.statistic));
    }
    const bool partial = offset < periods.size();
    more = more || partial;
    results.push_back({{"Id", query.id},
                       {"Label", query.label},
                       {"Timestamps", std::move(timestamps)},
                       {"Values", std::move(values)},
                       {"StatusCode", partial ? "PartialData" : "Complete"}});
  }
  ordered_json out = {{"MetricDataResults", std::move(results)}};
  if (more) out["NextToken"] = data_token(offsets);
  out["Messages"] = ordered_json::array();
  return out;
}

} // namespace sagerun::server
