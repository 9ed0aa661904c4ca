// A job's metric series: each host's points written as they come and read back at any moment —
// by host then metric in MetricDefinitions order, in time order; a torn last point (or header)
// ignored and never misread; a file of another format refused; ten thousand steps.

#include "store/metric_series.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_support.hpp"

namespace sagerun::store {
namespace {

namespace fs = std::filesystem;

class MetricSeriesTest : public ::testing::Test {
protected:
  MetricWriter writer(int host, const std::vector<std::string>& names) {
    auto made = MetricWriter::create(folder.metrics_file(host), names);
    EXPECT_TRUE(made) << made.error().message;
    return std::move(*made);
  }
  std::vector<MetricSeries> read(int instances) {
    auto series = read_metric_series(folder, instances);
    EXPECT_TRUE(series) << series.error().message;
    return series ? *series : std::vector<MetricSeries>{};
  }

  test::TempDir dir;
  JobFolder folder{dir.path(), "job"};
};

TEST_F(MetricSeriesTest, ByHostThenMetricInDefinitionOrder) {
  auto first = writer(0, {"train:loss", "validation:accuracy", "never"});
  auto second = writer(1, {"train:loss", "validation:accuracy", "never"});
  EXPECT_TRUE(first.append(1, 1700000000123, 0.5));
  EXPECT_TRUE(first.append(0, 1700000000456, 0.75));
  EXPECT_TRUE(first.append(0, 1700000001456, 0.25));
  EXPECT_TRUE(second.append(0, 1700000000999, -1e-300));
  const auto series = read(2);
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(series[0].metric, "train:loss");
  EXPECT_EQ(series[0].host_index, 0);
  ASSERT_EQ(series[0].points.size(), 2u);
  EXPECT_DOUBLE_EQ(series[0].points[0].timestamp, 1700000000.456);
  EXPECT_EQ(series[0].points[0].value, 0.75);
  EXPECT_EQ(series[0].points[1].value, 0.25);
  EXPECT_EQ(series[1].metric, "validation:accuracy");
  EXPECT_EQ(series[1].points.at(0).value, 0.5);
  EXPECT_EQ(series[2].metric, "train:loss");
  EXPECT_EQ(series[2].host_index, 1);
  EXPECT_EQ(series[2].points.at(0).value, -1e-300); // bit for bit
}

TEST_F(MetricSeriesTest, InstanceMetricsComeAfterTheJobsOwnAndSayTheirKind) {
  auto own = writer(0, {"loss"});
  auto instance = MetricWriter::create(folder.instance_metrics_file(0), {"CPUUtilization", "MemoryUtilization"});
  ASSERT_TRUE(instance) << instance.error().message;
  EXPECT_TRUE(instance->append(0, 1700000000000, 187.5));
  EXPECT_TRUE(own.append(0, 1700000000500, 0.5));
  EXPECT_TRUE(instance->append(1, 1700000001000, 12.25));
  // A host of instance metrics alone (a job without MetricDefinitions) has them too.
  auto other = MetricWriter::create(folder.instance_metrics_file(1), {"CPUUtilization"});
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->append(0, 1700000002000, 99));
  const auto series = read(2);
  ASSERT_EQ(series.size(), 4u);
  EXPECT_EQ(series[0].metric, "loss");
  EXPECT_EQ(series[0].kind, SeriesKind::job);
  EXPECT_EQ(series[1].metric, "CPUUtilization");
  EXPECT_EQ(series[1].kind, SeriesKind::instance);
  EXPECT_DOUBLE_EQ(series[1].points.at(0).value, 187.5);
  EXPECT_DOUBLE_EQ(series[1].points.at(0).timestamp, 1700000000.0);
  EXPECT_EQ(series[2].metric, "MemoryUtilization");
  EXPECT_DOUBLE_EQ(series[2].points.at(0).value, 12.25);
  EXPECT_EQ(series[3].host_index, 1);
  EXPECT_EQ(series[3].kind, SeriesKind::instance);
  EXPECT_EQ(folder.instance_metrics_file(1).filename(), "algo-2.instance.points");
}

TEST_F(MetricSeriesTest, NothingYetIsEmpty) {
  EXPECT_TRUE(read(2).empty()); // no files
  auto only = writer(0, {"loss"});
  EXPECT_TRUE(read(2).empty()); // a header, no points
  // A header being written: what is there is its beginning.
  std::ofstream(folder.metrics_file(1), std::ios::binary | std::ios::trunc) << "sagerun met";
  EXPECT_TRUE(read(2).empty());
}

TEST_F(MetricSeriesTest, ATornLastPointIsLeftForLater) {
  auto host = writer(0, {"loss"});
  ASSERT_TRUE(host.append(0, 1000, 1.0));
  ASSERT_TRUE(host.append(0, 2000, 2.0));
  const auto file = folder.metrics_file(0);
  const auto whole = fs::file_size(file);
  // Half a point as a reader may meet it while it is written, or as a crash leaves it.
  const std::string half("\x00\xB8\x0B\x00\x00\x00\x00", 7);
  std::ofstream(file, std::ios::binary | std::ios::app) << half;
  auto series = read(1);
  ASSERT_EQ(series.size(), 1u);
  ASSERT_EQ(series[0].points.size(), 2u);
  EXPECT_EQ(series[0].points[1].value, 2.0);
  fs::resize_file(file, whole + k_metric_point_bytes - 1);
  EXPECT_EQ(read(1).at(0).points.size(), 2u);
}

TEST_F(MetricSeriesTest, APointOfNoKnownMetricEndsTheRead) {
  auto host = writer(0, {"loss"});
  ASSERT_TRUE(host.append(0, 1000, 1.0));
  EXPECT_FALSE(host.append(3, 2000, 2.0)); // refused: no such metric
  EXPECT_EQ(host.lost(), 1u);
  std::string bad(k_metric_point_bytes, '\0');
  bad[0] = 7;
  std::ofstream(folder.metrics_file(0), std::ios::binary | std::ios::app) << bad;
  ASSERT_TRUE(host.append(0, 3000, 3.0));
  const auto series = read(1);
  ASSERT_EQ(series.at(0).points.size(), 1u); // nothing after the stray record is trusted
}

TEST_F(MetricSeriesTest, PointsComeInTimeOrderEvenAfterAClockWentBack) {
  auto host = writer(0, {"loss"});
  ASSERT_TRUE(host.append(0, 5000, 5.0));
  ASSERT_TRUE(host.append(0, 4000, 4.0));
  ASSERT_TRUE(host.append(0, 6000, 6.0));
  const auto points = read(1).at(0).points;
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].value, 4.0);
  EXPECT_EQ(points[2].value, 6.0);
}

TEST_F(MetricSeriesTest, AFileOfAnotherFormatIsRefusedNamingIt) {
  fs::create_directories(folder.metrics_file(0).parent_path());
  std::ofstream(folder.metrics_file(0), std::ios::binary) << "loss\t1.0\n";
  auto series = read_metric_series(folder, 1);
  ASSERT_FALSE(series);
  EXPECT_NE(series.error().message.find(folder.metrics_file(0).string()), std::string::npos);
}

TEST_F(MetricSeriesTest, AJobStartedAgainStartsItsFileAfresh) {
  {
    auto host = writer(0, {"loss"});
    ASSERT_TRUE(host.append(0, 1000, 1.0));
  }
  auto host = writer(0, {"accuracy"});
  ASSERT_TRUE(host.append(0, 2000, 0.5));
  const auto series = read(1);
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].metric, "accuracy");
  EXPECT_EQ(series[0].points.size(), 1u);
}

TEST_F(MetricSeriesTest, TenThousandStepsReadWhole) {
  auto host = writer(0, {"loss", "accuracy"});
  for (int i = 0; i < 10000; ++i) {
    ASSERT_TRUE(host.append(0, 1700000000000 + i * 100, 1.0 / (i + 1)));
    ASSERT_TRUE(host.append(1, 1700000000000 + i * 100, i / 10000.0));
  }
  const auto series = read(1);
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].points.size(), 10000u);
  EXPECT_EQ(series[1].points.back().value, 0.9999);
  EXPECT_DOUBLE_EQ(series[1].points.back().timestamp, 1700000999.9);
}

} // namespace
} // namespace sagerun::store
