#include "contract/failure.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"
#include "util/files.hpp"

namespace sagerun::contract {
namespace {

TEST(ComposeFailure, FirstLineThenTailWithinTheReasonLimit) {
  std::string tail;
  for (int i = 0; i < 500; ++i)
    tail += "line " + std::to_string(i) + "\n";
  const auto text = compose_failure("exit code 3", tail);
  EXPECT_TRUE(text.starts_with("exit code 3\n"));
  EXPECT_LT(text.size(), k_failure_reason_limit); // room for the final newline
  EXPECT_TRUE(text.ends_with("line 499"));
  EXPECT_EQ(compose_failure("exit code 1", ""), "exit code 1");
}

TEST(FailureFiles, WrittenAtomicallyUnderOutput) {
  test::TempDir dir;
  const Paths paths(dir.path());
  ASSERT_TRUE(write_failure_file(paths, "exit code 2\nboom"));
  EXPECT_EQ(*util::read_file(paths.failure_file()), "exit code 2\nboom\n");
  ASSERT_TRUE(write_success_file(paths));
  EXPECT_EQ(*util::read_file(paths.success_file()), "");
}

} // namespace
} // namespace sagerun::contract
