#include "cli/command_table.hpp"

#include <gtest/gtest.h>

#include <set>

namespace sagerun::cli {
namespace {

TEST(CommandTable, NamesAreUniqueAndDocumented) {
  std::set<std::string_view> names;
  for (const auto& command : command_table()) {
    EXPECT_TRUE(names.insert(command.name).second) << command.name;
    EXPECT_FALSE(command.summary.empty()) << command.name;
    EXPECT_NE(command.run, nullptr);
  }
  EXPECT_TRUE(names.contains("train"));
}

TEST(CommandTable, UnknownCommandIsAUsageError) {
  char prog[] = "sagerun";
  char bogus[] = "bogus";
  char* argv[] = {prog, bogus};
  EXPECT_EQ(dispatch(2, argv), k_exit_usage);
  char* none[] = {prog};
  EXPECT_EQ(dispatch(1, none), k_exit_usage);
}

} // namespace
} // namespace sagerun::cli
