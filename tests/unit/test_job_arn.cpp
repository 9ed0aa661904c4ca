// Training-job ARNs: made as SageMaker writes them, and read back.
#include <gtest/gtest.h>

#include "job/arn.hpp"

namespace sagerun::job {
namespace {

TEST(JobArn, LowerCasesTheNameAndKnowsPartitions) {
  EXPECT_EQ(training_job_arn("eu-west-1", "123456789012", "My-Job"),
            "arn:aws:sagemaker:eu-west-1:123456789012:training-job/my-job");
  EXPECT_EQ(training_job_arn("cn-north-1", "1", "J"), "arn:aws-cn:sagemaker:cn-north-1:1:training-job/j");
  EXPECT_EQ(training_job_arn("us-gov-west-1", "1", "J"), "arn:aws-us-gov:sagemaker:us-gov-west-1:1:training-job/j");
  EXPECT_EQ(aws_partition("us-east-1"), "aws");
  EXPECT_EQ(aws_partition("cn-northwest-1"), "aws-cn");
}

TEST(JobArn, TheNameOfATrainingJobArn) {
  EXPECT_EQ(training_job_name_in("arn:aws:sagemaker:us-east-1:000000000000:training-job/my-job"), "my-job");
  EXPECT_EQ(training_job_name_in(training_job_arn("cn-north-1", "123456789012", "A-1")), "a-1");
  EXPECT_EQ(training_job_name_in("arn:aws:sagemaker:us-east-1:000000000000:training-job/My-Job"), "My-Job");
}

TEST(JobArn, OtherArnsNameNoTrainingJob) {
  for (const char* arn :
       {"", "training-job/x", "arn:aws:sagemaker:us-east-1:000000000000:endpoint/x",
        "arn:aws:sagemaker:us-east-1:000000000000:training-job/", "arn:aws:s3:::bucket/training-job/x",
        "arn:aws:sagemaker:us-east-1:000000000000:training-job/bad_name",
        "arn:aws:sagemaker:us-east-1:000000000000:training-job/a/b",
        "nra:aws:sagemaker:us-east-1:000000000000:training-job/x"})
    EXPECT_EQ(training_job_name_in(arn), std::nullopt) << arn;
}

TEST(JobArn, TheSameJobIsTheSameArnButForTheNamesCase) {
  const std::string arn = "arn:aws:sagemaker:us-east-1:000000000000:training-job/my-job";
  EXPECT_TRUE(same_training_job(arn, arn));
  EXPECT_TRUE(same_training_job(arn, "arn:aws:sagemaker:us-east-1:000000000000:training-job/My-Job"));
  EXPECT_FALSE(same_training_job(arn, "arn:aws:sagemaker:US-EAST-1:000000000000:training-job/my-job"));
  EXPECT_FALSE(same_training_job(arn, "arn:aws:sagemaker:eu-west-1:000000000000:training-job/my-job"));
  EXPECT_FALSE(same_training_job(arn, "arn:aws:sagemaker:us-east-1:000000000000:training-job/my-job2"));
  EXPECT_FALSE(same_training_job(arn, "arn:aws:sagemaker:us-east-1:000000000000:endpoint/my-job"));
}

} // namespace
} // namespace sagerun::job
