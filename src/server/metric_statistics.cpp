// GetMetricStatistics: a metric's points per Period, with the statistics asked for.
#include "server/cloudwatch_api.hpp"
#include "server/cloudwatch_members.hpp"
#include "server/metric_stats.hpp"

namespace sagerun::server {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Statistics.member.N or ExtendedStatistics.member.N, each checked.
ApiResult<std::vector<Statistic>> read_statistics(const Members& members, std::string_view member, size_t max_items,
                                                  bool percentiles) {
  std::vector<Statistic> out;
  auto list = members.list(member, Members::Need::optional, max_items);
  if (!list) return std::unexpected(list.error());
  if (*list == nullptr) return out;
  if ((*list)->empty()) {
    return api_error(400, "ValidationError",
                     "1 validation error detected: Value '[]' at '" + members.path(member) +
                         "' failed to satisfy constraint: Member must have length greater than or equal to 1");
  }
  for (size_t i = 0; i < (*list)->size(); ++i) {
    const auto& item = (**list)[i];
    const std::string path = members.path(member) + ".member." + std::to_string(i + 1);
    const std::string text = item.is_string() ? item.get<std::string>() : item.dump();
    auto statistic = percentiles ? parse_percentile(text) : parse_basic_statistic(text);
    if (!statistic) {
      return invalid_value(percentiles ? "The parameter " + path +
                                             " must be a percentile from p0.0 to p100, such "
                                             "as p90 or p99.9, not '" +
                                             text + "'."
                                       : "The parameter " + path +
                                             " must be a value in the set [ SampleCount, Average, Sum, Minimum, "
                                             "Maximum ], not '" +
                                             text + "'.");
    }
    out.push_back(std::move(*statistic));
  }
  return out;
}

} // namespace

ApiResult<ordered_json> CloudWatchApi::get_metric_statistics(const json& body) {
  const Members members(body, "");
  auto metric = read_metric_ref(members);
  if (!metric) return std::unexpected(metric.error());
  auto range = read_time_range(members, "The parameter StartTime must be less than the parameter EndTime.");
  if (!range) return std::unexpected(range.error());
  auto period = read_period(members);
  if (!period) return std::unexpected(period.error());
  auto statistics = read_statistics(members, "Statistics", 5, false);
  if (!statistics) return std::unexpected(statistics.error());
  auto extended = read_statistics(members, "ExtendedStatistics", 10, true);
  if (!extended) return std::unexpected(extended.error());
  if (statistics->empty() == extended->empty())
    return invalid_combination("Must specify either Statistics or ExtendedStatistics, but not both.");
  auto unit = members.string("Unit", Members::Need::optional);
  if (!unit) return std::unexpected(unit.error());
  if (*unit && !is_standard_unit(**unit)) {
    return api_error(400, "ValidationError",
                     "1 validation error detected: Value '" + **unit +
                         "' at 'Unit' failed to satisfy constraint: Member must satisfy enum value set: [Seconds, "
                         "Microseconds, Milliseconds, Bytes, …, Count/Second, None]");
  }

  const double start = aligned_start(range->start, *period, wall_clock_seconds());
  const int64_t requested = periods_between(start, range->end, *period);
  if (requested > k_max_statistics_datapoints) {
    return invalid_combination("You have requested up to " + std::to_string(requested) +
                               " datapoints, which exceeds the limit of " +
                               std::to_string(k_max_statistics_datapoints) +
                               ". You may reduce the datapoints requested by increasing Period, or decreasing the "
                               "time range.");
  }
  auto points = points_of(m_store, *metric);
  if (!points) return std::unexpected(to_api_error(points.error()));
  if (*unit && **unit != "None") points->clear(); // training metrics are published without a unit

  ordered_json datapoints = ordered_json::array();
  const auto keep = extended->empty() ? KeepValues::no : KeepValues::yes;
  for (const auto& one : aggregate(*points, start, range->end, *period, keep)) {
    ordered_json datapoint = {{"Timestamp", one.start}};
    // The members in the service's order, whatever the order asked.
    for (const auto kind : {StatisticKind::sample_count, StatisticKind::average, StatisticKind::sum,
                            StatisticKind::minimum, StatisticKind::maximum}) {
      for (const auto& statistic : *statistics) {
        if (statistic.kind != kind) continue;
        datapoint[statistic.name] = statistic_value(one, statistic);
        break;
      }
    }
    datapoint["Unit"] = "None";
    if (!extended->empty()) {
      ordered_json values = ordered_json::object();
      for (const auto& statistic : *extended)
        values[statistic.name] = statistic_value(one, statistic);
      datapoint["ExtendedStatistics"] = std::move(values);
    }
    datapoints.push_back(std::move(datapoint));
  }
  return ordered_json{{"Label", metric->metric}, {"Datapoints", std::move(datapoints)}};
}

} // namespace sagerun::server
