// The server's kept ListTrainingJobs answers: only for the exact request and index version they
// were built at, and bounded.

#include "server/list_cache.hpp"

#include <gtest/gtest.h>

namespace sagerun::server {
namespace {

TEST(ListCache, AnswersOnlyForTheRequestAndVersionItWasBuiltAt) {
  ListCache cache;
  const store::IndexVersion v1{1, 10}, other_commit{2, 10}, own_commit{1, 11};
  cache.keep(R"({"MaxResults":10})", v1, "page");
  EXPECT_EQ(cache.find(R"({"MaxResults":10})", v1), "page");
  EXPECT_FALSE(cache.find(R"({"MaxResults":10})", other_commit));
  EXPECT_FALSE(cache.find(R"({"MaxResults":10})", own_commit));
  EXPECT_FALSE(cache.find(R"({"MaxResults":11})", v1));
}

TEST(ListCache, HoldsAtMostItsCapacity) {
  ListCache cache(2);
  const store::IndexVersion v{1, 1};
  cache.keep("a", v, "A");
  cache.keep("b", v, "B");
  cache.keep("c", v, "C");
  EXPECT_EQ(cache.find("c", v), "C");
  EXPECT_FALSE(cache.find("a", v));
}

} // namespace
} // namespace sagerun::server
