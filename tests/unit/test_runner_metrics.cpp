#include "runner/metrics.hpp"

#include <gtest/gtest.h>

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

TEST(RunnerMetrics, NoDefinitionsNoMetrics) {
  auto extractor = make({});
  extractor.feed_line("loss: 1", 1);
  EXPECT_TRUE(extractor.final_metrics().empty());
}

} // namespace
} // namespace sagerun::runner
