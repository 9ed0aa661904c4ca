// The spot rules of CreateTrainingJob (job/spot.hpp) through validate_request and parse_request:
// MaxWaitTimeInSeconds only with spot, required with it and not below MaxRuntimeInSeconds, and
// RetryStrategy's range from the model.

#include "job/spot.hpp"

#include <gtest/gtest.h>

#include "job/request.hpp"

namespace sagerun::job {
namespace {

nlohmann::json spot_request(nlohmann::json extra) {
  nlohmann::json request = {
      {"TrainingJobName", "spot"},
      {"RoleArn", "arn:aws:iam::123456789012:role/r"},
      {"AlgorithmSpecification", {{"TrainingImage", "img"}, {"TrainingInputMode", "File"}}},
      {"OutputDataConfig", {{"S3OutputPath", "s3://bucket/out"}}},
      {"ResourceConfig", {{"InstanceType", "ml.m5.large"}, {"InstanceCount", 1}, {"VolumeSizeInGB", 1}}},
      {"StoppingCondition", {{"MaxRuntimeInSeconds", 60}}}};
  request.merge_patch(extra);
  return request;
}

TEST(JobSpot, MaxWaitWithoutSpotIsRefusedInTheServicesWords) {
  EXPECT_EQ(validate_request(spot_request({{"StoppingCondition", {{"MaxWaitTimeInSeconds", 120}}}})),
            "Invalid MaxWaitTimeInSeconds. It is only supported when EnableManagedSpotTraining is set to true");
  EXPECT_NE(validate_request(spot_request(
                {{"EnableManagedSpotTraining", false}, {"StoppingCondition", {{"MaxWaitTimeInSeconds", 120}}}})),
            "");
}

TEST(JobSpot, SpotNeedsAMaxWaitOfAtLeastTheMaxRuntime) {
  const auto missing = validate_request(spot_request({{"EnableManagedSpotTraining", true}}));
  EXPECT_TRUE(missing.starts_with("Invalid MaxWaitTimeInSeconds. It must be present and be greater than or equal to "
                                  "MaxRuntimeInSeconds"))
      << missing;
  EXPECT_NE(missing.find("is missing"), std::string::npos);
  const auto small = validate_request(
      spot_request({{"EnableManagedSpotTraining", true}, {"StoppingCondition", {{"MaxWaitTimeInSeconds", 30}}}}));
  EXPECT_NE(small.find("MaxWaitTimeInSeconds is 30, MaxRuntimeInSeconds 60"), std::string::npos) << small;
  // Without MaxRuntimeInSeconds the service's default (a day) is the bound.
  auto no_runtime = spot_request({{"EnableManagedSpotTraining", true}});
  no_runtime["StoppingCondition"] = {{"MaxWaitTimeInSeconds", 3600}};
  EXPECT_NE(validate_request(no_runtime).find("MaxRuntimeInSeconds 86400"), std::string::npos);
  EXPECT_EQ(validate_request(spot_request(
                {{"EnableManagedSpotTraining", true}, {"StoppingCondition", {{"MaxWaitTimeInSeconds", 60}}}})),
            "");
}

TEST(JobSpot, RetryStrategyFollowsTheModel) {
  EXPECT_EQ(validate_request(spot_request({{"RetryStrategy", {{"MaximumRetryAttempts", 30}}}})), "");
  EXPECT_EQ(validate_request(spot_request({{"RetryStrategy", {{"MaximumRetryAttempts", 0}}}})),
            "1 validation error detected: Value '0' at 'retryStrategy.maximumRetryAttempts' failed to satisfy "
            "constraint: Member must have value greater than or equal to 1");
  EXPECT_NE(validate_request(spot_request({{"RetryStrategy", {{"MaximumRetryAttempts", 31}}}}))
                .find("less than or "
                      "equal to 30"),
            std::string::npos);
  EXPECT_NE(validate_request(spot_request({{"RetryStrategy", nlohmann::json::object()}}))
                .find("Member must not be "
                      "null"),
            std::string::npos);
}

TEST(JobSpot, TheRequestCarriesTheFields) {
  auto parsed = parse_request(spot_request({{"EnableManagedSpotTraining", true},
                                            {"StoppingCondition", {{"MaxWaitTimeInSeconds", 90}}},
                                            {"RetryStrategy", {{"MaximumRetryAttempts", 2}}}}));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->spot, (SpotAndRetry{true, 90, 2}));
  EXPECT_EQ(parsed->max_runtime_seconds, 60);
  EXPECT_EQ(to_json(*parsed)["StoppingCondition"]["MaxWaitTimeInSeconds"], 90); // kept in raw
  EXPECT_EQ(parse_request(spot_request(nlohmann::json::object()))->spot, SpotAndRetry{});
}

} // namespace
} // namespace sagerun::job
