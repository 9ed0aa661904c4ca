// The names NameContains searches: taken in as jobs are added (by any connection), matched
// regardless of case, once per name, and given up on past the limit.

#include "store/name_index.hpp"

#include <gtest/gtest.h>

#include "job/lifecycle.hpp"
#include "store/index.hpp"
#include "test_support.hpp"

namespace sagerun::store {
namespace {

void add(Index& index, const std::string& name) {
  JobRow row;
  row.name = name;
  row.status = job::new_status(name, "arn:" + name, 100);
  ASSERT_TRUE(index.insert(row));
}

TEST(StoreNameIndex, TakesInNewJobsAndMatchesOncePerNameInAnyCase) {
  test::TempDir dir;
  auto index = Index::open(dir.path() / "jobs.db");
  ASSERT_TRUE(index);
  add(**index, "Alpha-Alpha-1");
  add(**index, "beta-2");
  // Another connection to the same file: another process adding jobs.
  auto other = sqlite::Database::open(dir.path() / "jobs.db");
  ASSERT_TRUE(other);
  NameIndex names;
  ASSERT_TRUE(names.catch_up(*other));
  EXPECT_EQ(names.size(), 2u);
  EXPECT_EQ(names.matching("alpha", 10), (std::vector<int64_t>{1}));
  EXPECT_EQ(names.matching("a-", 10), (std::vector<int64_t>{1, 2}));
  add(**index, "ALPHA-3");
  ASSERT_TRUE(names.catch_up(*other));
  ASSERT_TRUE(names.catch_up(*other)); // nothing new: nothing taken twice
  EXPECT_EQ(names.size(), 3u);
  EXPECT_EQ(names.matching("alpha", 10), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(names.matching("alpha", 2), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(names.matching("alpha", 1), std::nullopt) << "more matches than the limit";
  EXPECT_EQ(names.matching("gamma", 1), std::vector<int64_t>{});
  EXPECT_EQ(names.matching("", 3), (std::vector<int64_t>{1, 2, 3}));
}

} // namespace
} // namespace sagerun::store
