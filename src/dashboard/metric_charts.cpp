#include "dashboard/metric_charts.hpp"

#include <algorithm>

namespace sagerun::dashboard {

std::vector<Chart> charts_of(const std::vector<store::MetricSeries>& series) {
  std::vector<Chart> charts;
  for (const auto& one : series) {
    const auto axis = one.kind == store::SeriesKind::instance ? ChartAxis::percent : ChartAxis::values;
    // A job's own metric of an instance metric's name is a chart of its own.
    auto chart = std::ranges::find_if(charts, [&](const Chart& c) { return c.metric == one.metric && c.axis == axis; });
    if (chart == charts.end()) chart = charts.insert(charts.end(), Chart{one.metric, {}, axis});
    ChartLine line{store::host_name(one.host_index), {}};
    line.points.reserve(one.points.size());
    for (const auto& point : one.points)
      line.points.push_back({point.timestamp, point.value});
    chart->lines.push_back(std::move(line));
  }
  // The job's own metrics first, then the instance metrics, each in the order first seen.
  std::ranges::stable_partition(charts, [](const Chart& c) { return c.axis == ChartAxis::values; });
  return charts;
}

} // namespace sagerun::dashboard
