#include "util/environment.hpp"

#include <gtest/gtest.h>

namespace sagerun::util {
namespace {

TEST(Environment, SecretNamesAreMasked) {
  EXPECT_TRUE(is_secret_name("AWS_SECRET_ACCESS_KEY"));
  EXPECT_TRUE(is_secret_name("aws_session_token"));
  EXPECT_TRUE(is_secret_name("WANDB_API_KEY"));
  EXPECT_TRUE(is_secret_name("--api-key"));
  EXPECT_TRUE(is_secret_name("DB_PASSWORD"));
  EXPECT_FALSE(is_secret_name("SM_MODEL_DIR"));
  EXPECT_EQ(masked_value("HF_TOKEN", "hf_abc"), "****");
  EXPECT_EQ(masked_value("EPOCHS", "10"), "10");
}

TEST(Environment, EnvBlockIsNullTerminatedPairs) {
  const EnvMap env{{"A", "1"}, {"B", "x=y"}};
  const EnvBlock block(env);
  EXPECT_STREQ(block.data()[0], "A=1");
  EXPECT_STREQ(block.data()[1], "B=x=y");
  EXPECT_EQ(block.data()[2], nullptr);
}

TEST(Environment, CurrentEnvironmentReadsEnviron) {
  ::setenv("SAGERUN_UNIT_PROBE", "v=1", 1);
  const auto env = current_environment();
  EXPECT_EQ(lookup(env, "SAGERUN_UNIT_PROBE"), "v=1");
  EXPECT_EQ(lookup(env, "SAGERUN_UNIT_ABSENT"), std::nullopt);
}

} // namespace
} // namespace sagerun::util
