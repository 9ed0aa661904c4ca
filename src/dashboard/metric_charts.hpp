#pragma once
// The store's metric series as the dashboard's charts: one per metric, a line per host; the job's
// own metrics first, then its instance metrics (on a percent axis).

#include <vector>

#include "dashboard/charts.hpp"
#include "store/metric_series.hpp"

namespace sagerun::dashboard {

std::vector<Chart> charts_of(const std::vector<store::MetricSeries>& series);

} // namespace sagerun::dashboard
