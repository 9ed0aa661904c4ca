#pragma once
// The store's metric series as the dashboard's charts: one per metric, a line per host.

#include <vector>

#include "dashboard/charts.hpp"
#include "store/metric_series.hpp"

namespace sagerun::dashboard {

std::vector<Chart> charts_of(const std::vector<store::MetricSeries>& series);

} // namespace sagerun::dashboard
