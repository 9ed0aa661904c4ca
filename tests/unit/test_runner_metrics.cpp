#include "runner/metrics.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace sagerun::runner {
namespace {

MetricExtractor make(const std::vector<job::MetricDefinition>& definitions) {
  auto extractor = MetricExtractor::create(definitions);
  EXPECT_TRUE(extractor) << extractor.error().message;
  return std::move(*extractor);
}

TEST(RunnerMetrics, LastValuePerMetricInDefinitionOrder) {
  auto extractor = make({{"train:loss", R"(loss: ([0-9\.]+))"},
                         {"validation:accuracy", R"(accuracy=(\S+))"},
                         {"never", R"(never seen (\d+))"}});
  extractor.feed_line("epoch 1 loss: 0.75 accuracy=0.5", 100);
  extractor.feed_line("epoch 2 loss: 0.25", 200);
  extractor.feed_line("unrelated line", 300);
  const auto metrics = extractor.final_metrics();
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_EQ(metrics[0].name, "train:loss");
  EXPECT_DOUBLE_EQ(metrics[0].value, 0.25);
  EXPECT_DOUBLE_EQ(metrics[0].timestamp, 200);
  EXPECT_EQ(metrics[1].name, "validation:accuracy");
  EXPECT_DOUBLE_EQ(metrics[1].value, 0.5);
  EXPECT_DOUBLE_EQ(metrics[1].timestamp, 100);
}

TEST(RunnerMetrics, NonNumericCapturesAreIgnored) {
  auto extractor = make({{"acc", R"(accuracy=(\S+))"}});
  extractor.feed_line("accuracy=0.9", 1);
  for (const char* line : {"accuracy=abc", "accuracy=1.5x", "accuracy=nan", "accuracy=inf", "accuracy=0x10"})
    extractor.feed_line(line, 2);
  ASSERT_EQ(extractor.final_metrics().size(), 1u);
  EXPECT_DOUBLE_EQ(extractor.final_metrics()[0].value, 0.9);
  EXPECT_DOUBLE_EQ(extractor.final_metrics()[0].timestamp, 1);
  extractor.feed_line("accuracy=-1e-3", 3);
  EXPECT_DOUBLE_EQ(extractor.final_metrics()[0].value, -0.001);
}

TEST(RunnerMetrics, ProgressBarRedrawsCountAsLines) {
  auto extractor = make({{"loss", R"(loss=(\d+\.\d+))"}});
  extractor.feed_line("step 1 loss=0.90\rstep 2 loss=0.80\rstep 3 loss=0.70", 5);
  EXPECT_DOUBLE_EQ(extractor.final_metrics().at(0).value, 0.70);
}

TEST(RunnerMetrics, BadRegexNamesTheMetric) {
  auto broken = MetricExtractor::create({{"ok", "a=(\\d+)"}, {"train:broken", "loss=([0-9"}});
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().kind, util::ErrorKind::invalid_input);
  EXPECT_NE(broken.error().message.find("train:broken"), std::string::npos) << broken.error().message;

  auto no_group = MetricExtractor::create({{"nogroup", "loss=[0-9]+"}});
  ASSERT_FALSE(no_group);
  EXPECT_NE(no_group.error().message.find("nogroup"), std::string::npos);
  EXPECT_NE(no_group.error().message.find("capture group"), std::string::npos);
}

TEST(RunnerMetrics, EveryValueGoesToItsHostsSeriesAndTheLastToTheFinalList) {
  test::TempDir dir;
  const store::JobFolder folder(dir.path(), "job");
  auto extractor = make({{"loss", R"(loss=(\S+))"}, {"acc", R"(acc=(\S+))"}});
  auto first = store::MetricWriter::create(folder.metrics_file(0), extractor.names());
  auto second = store::MetricWriter::create(folder.metrics_file(1), extractor.names());
  ASSERT_TRUE(first && second);
  extractor.feed_line("loss=0.9 acc=0.1", 100.25, &*first);
  extractor.feed_line("loss=0.8", 100.5, &*second);
  extractor.feed_line("loss=0.7", 101.125, &*first);
  extractor.feed_line("acc=0.3", 102, &*second);
  const auto final_metrics = extractor.final_metrics();
  ASSERT_EQ(final_metrics.size(), 2u);
  EXPECT_DOUBLE_EQ(final_metrics[0].value, 0.7); // the last of any host, as before
  EXPECT_DOUBLE_EQ(final_metrics[1].value, 0.3);
  const auto series = store::read_metric_series(folder, 2);
  ASSERT_TRUE(series) << series.error().message;
  ASSERT_EQ(series->size(), 4u);
  EXPECT_EQ((*series)[0].metric, "loss");
  ASSERT_EQ((*series)[0].points.size(), 2u);
  EXPECT_DOUBLE_EQ((*series)[0].points[0].timestamp, 100.25);
  EXPECT_DOUBLE_EQ((*series)[0].points[1].value, 0.7);
  EXPECT_DOUBLE_EQ((*series)[0].points[1].timestamp, 101.125);
  EXPECT_EQ((*series)[1].metric, "acc");
  EXPECT_EQ((*series)[2].host_index, 1);
  EXPECT_DOUBLE_EQ((*series)[2].points.at(0).value, 0.8);
  EXPECT_DOUBLE_EQ((*series)[3].points.at(0).value, 0.3);
}

TEST(RunnerMetrics, NoDefinitionsNoMetrics) {
  auto extractor = make({});
  extractor.feed_line("loss: 1", 1);
  EXPECT_TRUE(extractor.final_metrics().empty());
}

} // namespace
} // namespace sagerun::runner
