// The server's kept DescribeTrainingJob answers: only ever for the exact stored status they were
// built from, and bounded.

#include "server/describe_cache.hpp"

#include <gtest/gtest.h>

namespace sagerun::server {
namespace {

TEST(DescribeCache, AnswersOnlyForTheVersionItWasBuiltFrom) {
  DescribeCache cache;
  cache.keep({7, R"({"TrainingJobStatus":"Completed"})"}, "answer 7");
  EXPECT_EQ(cache.find({7, R"({"TrainingJobStatus":"Completed"})"}), "answer 7");
  EXPECT_FALSE(cache.find({7, R"({"TrainingJobStatus":"Failed"})"}));    // the status was written since
  EXPECT_FALSE(cache.find({8, R"({"TrainingJobStatus":"Completed"})"})); // another job of the same name
  cache.keep({7, R"({"TrainingJobStatus":"Failed"})"}, "answer 7 failed");
  EXPECT_EQ(cache.find({7, R"({"TrainingJobStatus":"Failed"})"}), "answer 7 failed");
  cache.keep({9, ""}, "never stored"); // a row not read from the store has no version
  EXPECT_FALSE(cache.find({9, ""}));
}

TEST(DescribeCache, HoldsAtMostItsCapacity) {
  DescribeCache cache(3);
  for (int64_t sequence = 1; sequence <= 10; ++sequence)
    cache.keep({sequence, "s"}, "a" + std::to_string(sequence));
  int kept = 0;
  for (int64_t sequence = 1; sequence <= 10; ++sequence)
    kept += cache.find({sequence, "s"}) ? 1 : 0;
  EXPECT_EQ(kept, 3);
  EXPECT_EQ(cache.find({10, "s"}), "a10"); // the newest is always kept
}

} // namespace
} // namespace sagerun::server
