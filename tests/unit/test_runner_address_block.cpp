// Each running job holds a loopback block of its own: two at once never share addresses.
#include "runner/address_block.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace sagerun::runner {
namespace {

TEST(RunnerAddressBlock, JobsRunningAtOnceGetBlocksOfTheirOwn) {
  test::TempDir store;
  auto first = AddressBlock::claim(store.path(), "job-a");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->host(0).starts_with("127.1"));
  EXPECT_TRUE(first->host(1).ends_with(".2"));
  // The same name again while the first runs (a restarted runner's race, or two stores' jobs
  // of one name): the next block.
  auto second = AddressBlock::claim(store.path(), "job-a");
  ASSERT_TRUE(second);
  EXPECT_NE(first->host(0), second->host(0));
  const std::string held = first->host(0);
  first = AddressBlock::claim(store.path(), "other"); // the old block is released with its holder
  auto again = AddressBlock::claim(store.path(), "job-a");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->host(0), held);
}

} // namespace
} // namespace sagerun::runner
