// CloudWatch's arithmetic: the periods it takes, where a query's first period starts, the points
// aggregated per period, and each statistic (percentiles nearest-rank).

#include "server/metric_stats.hpp"

#include <gtest/gtest.h>

namespace sagerun::server {
namespace {

constexpr double k_stats_now = 1700000000; // 2023-11-14T22:13:20Z

TEST(MetricStats, PeriodsAreHighResolutionStepsOrWholeMinutes) {
  for (const int64_t good : {1, 5, 10, 30, 60, 120, 300, 3600, 86400})
    EXPECT_TRUE(valid_period(good)) << good;
  for (const int64_t bad : {0, -60, 2, 15, 20, 45, 59, 61, 90, 3601})
    EXPECT_FALSE(valid_period(bad)) << bad;
}

TEST(MetricStats, StatisticsByNameAndPercentiles) {
  EXPECT_EQ(parse_basic_statistic("SampleCount")->kind, StatisticKind::sample_count);
  EXPECT_EQ(parse_basic_statistic("Maximum")->kind, StatisticKind::maximum);
  EXPECT_FALSE(parse_basic_statistic("average"));
  EXPECT_FALSE(parse_basic_statistic("p90"));
  EXPECT_DOUBLE_EQ(parse_percentile("p99.9")->percentile, 99.9);
  EXPECT_EQ(parse_percentile("p99.9")->name, "p99.9");
  EXPECT_DOUBLE_EQ(parse_percentile("p0")->percentile, 0);
  EXPECT_DOUBLE_EQ(parse_percentile("p100")->percentile, 100);
  for (const char* bad : {"p", "p100.1", "p-1", "p1e1", "p 50", "p50.", "p.5", "P50", "tm99", "Average", "p+5"})
    EXPECT_FALSE(parse_percentile(bad)) << bad;
}

TEST(MetricStats, StartIsRoundedAsCloudWatchRoundsIt) {
  // 2023-11-14T22:13:20Z + 7.4 s
  const double start = k_stats_now + 7.4;
  EXPECT_DOUBLE_EQ(aligned_start(start, 1, k_stats_now + 100), k_stats_now + 7);
  EXPECT_DOUBLE_EQ(aligned_start(start, 5, k_stats_now + 100), k_stats_now + 5);
  EXPECT_DOUBLE_EQ(aligned_start(start, 10, k_stats_now + 100), k_stats_now);
  EXPECT_DOUBLE_EQ(aligned_start(start, 30, k_stats_now + 100), k_stats_now - 20); // 22:13:00
  EXPECT_DOUBLE_EQ(aligned_start(start, 60, k_stats_now + 100), k_stats_now - 20);
  EXPECT_DOUBLE_EQ(aligned_start(start, 300, k_stats_now + 100), k_stats_now - 20);         // the minute, not 5 of them
  EXPECT_DOUBLE_EQ(aligned_start(start, 300, k_stats_now + 20 * 86400), k_stats_now - 200); // 22:10:00
  EXPECT_DOUBLE_EQ(aligned_start(start, 60, k_stats_now + 70 * 86400), k_stats_now - 13 * 60 - 20); // 22:00:00
}

TEST(MetricStats, PeriodsBetweenCountsAPartOneAsOne) {
  EXPECT_EQ(periods_between(0, 86400, 60), 1440);
  EXPECT_EQ(periods_between(0, 86401, 60), 1441);
  EXPECT_EQ(periods_between(0, 86400, 1), 86400);
  EXPECT_EQ(periods_between(10, 10, 60), 0);
}

TEST(MetricStats, PointsAggregatePerPeriodFromTheStartEmptyOnesLeftOut) {
  const std::vector<store::MetricPoint> points = {{99.5, 100}, {100.0, 1},  {100.9, 3},  {101.2, 5},
                                                  {105.0, 7},  {159.9, -2}, {160.0, 11}, {170.0, 13}};
  auto periods = aggregate(points, 100, 160, 1, KeepValues::no);
  ASSERT_EQ(periods.size(), 4u);
  EXPECT_DOUBLE_EQ(periods[0].start, 100);
  EXPECT_EQ(periods[0].count, 2u);
  EXPECT_DOUBLE_EQ(periods[0].sum, 4);
  EXPECT_DOUBLE_EQ(periods[0].minimum, 1);
  EXPECT_DOUBLE_EQ(periods[0].maximum, 3);
  EXPECT_DOUBLE_EQ(periods[1].start, 101);
  EXPECT_DOUBLE_EQ(periods[2].start, 105);
  EXPECT_DOUBLE_EQ(periods[3].start, 159); // the end is exclusive: 160 is out
  periods = aggregate(points, 100, 200, 60, KeepValues::yes);
  ASSERT_EQ(periods.size(), 2u);
  EXPECT_EQ(periods[0].count, 5u);
  EXPECT_DOUBLE_EQ(statistic_value(periods[0], *parse_basic_statistic("Average")), 14.0 / 5);
  EXPECT_DOUBLE_EQ(statistic_value(periods[0], *parse_basic_statistic("Minimum")), -2);
  EXPECT_DOUBLE_EQ(statistic_value(periods[0], *parse_basic_statistic("SampleCount")), 5);
  EXPECT_EQ(periods[0].values, (std::vector<double>{-2, 1, 3, 5, 7}));
  EXPECT_DOUBLE_EQ(periods[1].start, 160);
  EXPECT_DOUBLE_EQ(statistic_value(periods[1], *parse_basic_statistic("Sum")), 24);
  EXPECT_TRUE(aggregate(points, 200, 300, 60, KeepValues::no).empty());
}

TEST(MetricStats, PercentilesAreNearestRank) {
  PeriodStats period;
  for (int i = 1; i <= 10; ++i)
    period.values.push_back(i);
  period.count = 10;
  const auto p = [&](const char* name) { return statistic_value(period, *parse_percentile(name)); };
  EXPECT_DOUBLE_EQ(p("p90"), 9);
  EXPECT_DOUBLE_EQ(p("p91"), 10);
  EXPECT_DOUBLE_EQ(p("p50"), 5);
  EXPECT_DOUBLE_EQ(p("p10"), 1);
  EXPECT_DOUBLE_EQ(p("p0"), 1);
  EXPECT_DOUBLE_EQ(p("p100"), 10);
  EXPECT_DOUBLE_EQ(p("p99.9"), 10);
}

} // namespace
} // namespace sagerun::server
