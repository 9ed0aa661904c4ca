#include "util/atomic_file.hpp"
#include "util/files.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace sagerun::util {
namespace {

TEST(Files, AtomicWriteReplacesWholeAndLeavesNoTemp) {
  test::TempDir dir;
  const auto path = dir.path() / "status.json";
  ASSERT_TRUE(write_file_atomic(path, "first"));
  ASSERT_TRUE(write_file_atomic(path, "second"));
  EXPECT_EQ(*read_file(path), "second");
  EXPECT_EQ(list_directory(dir.path()), std::vector<std::string>{"status.json"});
}

TEST(Files, MissingFileIsNotFound) {
  test::TempDir dir;
  auto content = read_file(dir.path() / "absent");
  ASSERT_FALSE(content);
  EXPECT_EQ(content.error().kind, ErrorKind::not_found);
  EXPECT_NE(content.error().message.find("absent"), std::string::npos);
}

TEST(Files, FirstLine) {
  test::TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir.path() / "s", "#!/bin/bash -e\necho hi\n"));
  EXPECT_EQ(read_first_line(dir.path() / "s"), "#!/bin/bash -e");
}

} // namespace
} // namespace sagerun::util
