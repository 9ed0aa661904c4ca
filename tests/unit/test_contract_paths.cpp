#include "contract/paths.hpp"

#include <gtest/gtest.h>

namespace sagerun::contract {
namespace {

TEST(Paths, DefaultAndRelocated) {
  EXPECT_EQ(Paths::from_environment({}).base(), "/opt/ml");
  EXPECT_EQ(Paths::from_environment({{"SAGEMAKER_BASE_DIR", ""}}).base(), "/opt/ml");
  const auto paths = Paths::from_environment({{"SAGEMAKER_BASE_DIR", "/tmp/tree"}});
  EXPECT_EQ(paths.hyperparameters_file(), "/tmp/tree/input/config/hyperparameters.json");
  EXPECT_EQ(paths.channel("training"), "/tmp/tree/input/data/training");
  EXPECT_EQ(paths.failure_file(), "/tmp/tree/output/failure");
  EXPECT_EQ(paths.relative(paths.resource_config_file()), "input/config/resourceconfig.json");
  EXPECT_EQ(paths.relative("/elsewhere/x"), "/elsewhere/x");
}

} // namespace
} // namespace sagerun::contract
