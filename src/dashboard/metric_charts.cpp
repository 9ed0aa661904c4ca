#include "dashboard/metric_charts.hpp"

#include <algorithm>

namespace sagerun::dashboard {

std::vector<Chart> charts_of(const std::vector<store::MetricSeries>& series) {
  std::vector<Chart> charts;
  for (const auto& one : series) {
    auto chart = std::ranges::find(charts, one.metric, &Chart::metric);
    if (chart == charts.end()) chart = charts.insert(charts.end(), Chart{one.metric, {}});
    ChartLine line{store::host_name(one.host_index), {}};
    line.points.reserve(one.points.size());
    for (const auto& point : one.points)
      line.points.push_back({point.timestamp, point.value});
    chart->lines.push_back(std::move(line));
  }
  return charts;
}

} // namespace sagerun::dashboard
