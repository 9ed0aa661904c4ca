#pragma once
// CloudWatch's arithmetic over a metric's points, apart from any protocol: which periods it
// takes, where a query's first period starts, the points aggregated per period, and the
// statistics of a period (SampleCount, Average, Sum, Minimum, Maximum and percentiles pNN.N).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/metric_series.hpp"

namespace sagerun::server {

// CloudWatch's limit on GetMetricStatistics' datapoints.
inline constexpr int64_t k_max_statistics_datapoints = 1440;

enum class StatisticKind { sample_count, average, sum, minimum, maximum, percentile };

struct Statistic {
  StatisticKind kind = StatisticKind::average;
  double percentile = 0; // 0–100, for StatisticKind::percentile
  std::string name;      // as asked: "Average", "p99.9"
};

// "SampleCount", "Average", "Sum", "Minimum", "Maximum"; nullopt for anything else.
std::optional<Statistic> parse_basic_statistic(std::string_view text);
// "p0" to "p100", with decimals ("p99.9"); nullopt for anything else.
std::optional<Statistic> parse_percentile(std::string_view text);

// Whether CloudWatch takes `period` seconds: 1, 5, 10, 30, or a multiple of 60.
bool valid_period(int64_t period);

// Where a query's first period starts: StartTime rounded down as CloudWatch rounds it — to the
// period for periods under a minute (whole 1, 5, 10, 30 s of a minute); else to the minute when
// the start is under 15 days ago, 5 minutes under 63 days, else the hour. Epoch seconds.
double aligned_start(double start, int64_t period, double now);

// How many periods [aligned start, end) spans: what the 1,440-datapoint limit counts.
int64_t periods_between(double start, double end, int64_t period);

struct PeriodStats {
  double start = 0; // epoch seconds
  size_t count = 0;
  double sum = 0;
  double minimum = 0;
  double maximum = 0;
  std::vector<double> values; // sorted, when kept (for percentiles)
};

enum class KeepValues { no, yes };

// The points at or after `start` (aligned) and before `end`, aggregated per period; periods
// without a point are left out, as CloudWatch leaves them out. `points` in time order.
std::vector<PeriodStats> aggregate(std::span<const store::MetricPoint> points, double start, double end, int64_t period,
                                   KeepValues keep);

// A statistic of one period. Percentiles are nearest-rank (the smallest value with at least
// p% of the values at or below it), so they are values that were published.
double statistic_value(const PeriodStats& period, const Statistic& statistic);

} // namespace sagerun::server
