// Training job status: transitions, the DescribeTrainingJob shape, and the stored form.
#include <gtest/gtest.h>

#include "job/arn.hpp"
#include "job/status.hpp"

namespace sagerun::job {
namespace {

using nlohmann::json;

TrainingJobRequest request() {
  json raw = {
      {"TrainingJobName", "Job-1"},
      {"RoleArn", "arn:aws:iam::123456789012:role/Role"},
      {"AlgorithmSpecification", {{"TrainingImage", "image:1"}, {"TrainingInputMode", "File"}}},
      {"HyperParameters", {{"epochs", "2"}}},
      {"OutputDataConfig", {{"S3OutputPath", "s3://bucket/out"}}},
      {"ResourceConfig", {{"InstanceType", "ml.m5.xlarge"}, {"InstanceCount", 1}, {"VolumeSizeInGB", 30}}},
      {"StoppingCondition", {{"MaxRuntimeInSeconds", 600}, {"MaxWaitTimeInSeconds", 600}}}, // spot needs a MaxWait
      {"Environment", {{"A", "1"}}},
      {"CheckpointConfig", {{"S3Uri", "s3://bucket/ckpt"}}},
      {"EnableManagedSpotTraining", true},
      {"Tags", {{{"Key", "k"}, {"Value", "v"}}}},
  };
  return parse_request(raw).value();
}

TrainingJobStatus finished_status() {
  auto status = new_status("Job-1", training_job_arn("us-east-1", "123456789012", "Job-1"), 1700000000.125,
                           SecondaryStatus::starting, "Starting the training job");
  advance(status, SecondaryStatus::training, 1700000010.5, "Training in progress.");
  status.training_start_time = 1700000010.5;
  complete(status, 1700000100.25);
  status.training_end_time = 1700000100.25;
  status.model_artifacts = "s3://bucket/out/Job-1/output/model.tar.gz";
  status.final_metrics = {{"loss", 0.25, 1700000090.0}};
  status.training_time_seconds = 90;
  status.billable_time_seconds = 90;
  return status;
}

TEST(JobStatus, DescribeHasTheServiceShape) {
  const json describe = describe_json(request(), finished_status());
  EXPECT_EQ(describe["TrainingJobName"], "Job-1");
  EXPECT_EQ(describe["TrainingJobArn"], "arn:aws:sagemaker:us-east-1:123456789012:training-job/job-1");
  EXPECT_EQ(describe["ModelArtifacts"], json({{"S3ModelArtifacts", "s3://bucket/out/Job-1/output/model.tar.gz"}}));
  EXPECT_EQ(describe["TrainingJobStatus"], "Completed");
  EXPECT_EQ(describe["SecondaryStatus"], "Completed");
  EXPECT_FALSE(describe.contains("FailureReason"));
  EXPECT_EQ(describe["HyperParameters"], json({{"epochs", "2"}}));
  EXPECT_EQ(describe["AlgorithmSpecification"]["TrainingImage"], "image:1");
  EXPECT_EQ(describe["RoleArn"], "arn:aws:iam::123456789012:role/Role");
  EXPECT_EQ(describe["OutputDataConfig"]["CompressionType"], "GZIP");
  EXPECT_EQ(describe["ResourceConfig"]["InstanceCount"], 1);
  EXPECT_EQ(describe["StoppingCondition"]["MaxRuntimeInSeconds"], 600);
  EXPECT_EQ(describe["CreationTime"], 1700000000.125);
  EXPECT_EQ(describe["TrainingStartTime"], 1700000010.5);
  EXPECT_EQ(describe["TrainingEndTime"], 1700000100.25);
  EXPECT_EQ(describe["LastModifiedTime"], 1700000100.25);
  ASSERT_EQ(describe["SecondaryStatusTransitions"].size(), 3u);
  EXPECT_EQ(describe["SecondaryStatusTransitions"][0], json({{"Status", "Starting"},
                                                             {"StartTime", 1700000000.125},
                                                             {"EndTime", 1700000010.5},
                                                             {"StatusMessage", "Starting the training job"}}));
  EXPECT_EQ(describe["FinalMetricDataList"][0],
            json({{"MetricName", "loss"}, {"Value", 0.25}, {"Timestamp", 1700000090.0}}));
  EXPECT_EQ(describe["EnableNetworkIsolation"], false);
  EXPECT_EQ(describe["EnableManagedSpotTraining"], true);
  EXPECT_EQ(describe["CheckpointConfig"]["S3Uri"], "s3://bucket/ckpt");
  EXPECT_EQ(describe["TrainingTimeInSeconds"], 90);
  EXPECT_EQ(describe["BillableTimeInSeconds"], 90);
  EXPECT_EQ(describe["Environment"], json({{"A", "1"}}));
  EXPECT_FALSE(describe.contains("Tags")); // DescribeTrainingJob does not return them
  EXPECT_FALSE(describe.contains("InputDataConfig"));
}

// What the service fills when the request leaves it out: the SageMaker SDK's attach indexes some.
TEST(JobStatus, DescribeFillsWhatTheServiceFills) {
  json raw = to_json(request());
  raw["InputDataConfig"] = {{{"ChannelName", "train"},
                             {"DataSource", {{"S3DataSource", {{"S3DataType", "S3Prefix"}, {"S3Uri", "s3://b/t"}}}}}},
                            {{"ChannelName", "test"},
                             {"CompressionType", "Gzip"},
                             {"DataSource", {{"S3DataSource", {{"S3DataType", "S3Prefix"}, {"S3Uri", "s3://b/v"}}}}}}};
  const json plain = describe_json(parse_request(raw).value(), finished_status());
  EXPECT_EQ(plain["OutputDataConfig"],
            json({{"S3OutputPath", "s3://bucket/out"}, {"CompressionType", "GZIP"}, {"KmsKeyId", ""}}));
  EXPECT_EQ(
      plain["AlgorithmSpecification"],
      json({{"TrainingImage", "image:1"}, {"TrainingInputMode", "File"}, {"EnableSageMakerMetricsTimeSeries", false}}));
  EXPECT_EQ(plain["ResourceConfig"],
            json({{"InstanceType", "ml.m5.xlarge"}, {"InstanceCount", 1}, {"VolumeSizeInGB", 30}}));
  EXPECT_EQ(plain["EnableNetworkIsolation"], false);
  EXPECT_EQ(plain["EnableInterContainerTrafficEncryption"], false);
  EXPECT_EQ(plain["EnableManagedSpotTraining"], true); // as given
  EXPECT_EQ(plain["InputDataConfig"][0]["CompressionType"], "None");
  EXPECT_EQ(plain["InputDataConfig"][0]["RecordWrapperType"], "None");
  EXPECT_EQ(plain["InputDataConfig"][1]["CompressionType"], "Gzip");
  EXPECT_FALSE(plain.contains("VpcConfig"));
  EXPECT_FALSE(plain.contains("DebugHookConfig"));
  EXPECT_FALSE(plain.contains("ProfilerConfig"));

  raw["OutputDataConfig"]["KmsKeyId"] = "alias/mine";
  raw["AlgorithmSpecification"]["EnableSageMakerMetricsTimeSeries"] = true;
  raw["EnableInterContainerTrafficEncryption"] = true;
  raw["VpcConfig"] = {{"SecurityGroupIds", {"sg-1"}}, {"Subnets", {"subnet-1"}}};
  raw["DebugHookConfig"] = {{"S3OutputPath", "s3://bucket/debug"}};
  raw["ProfilerConfig"] = {{"DisableProfiler", true}};
  const json given = describe_json(parse_request(raw).value(), finished_status());
  EXPECT_EQ(given["OutputDataConfig"]["KmsKeyId"], "alias/mine");
  EXPECT_EQ(given["AlgorithmSpecification"]["EnableSageMakerMetricsTimeSeries"], true);
  EXPECT_EQ(given["EnableInterContainerTrafficEncryption"], true);
  EXPECT_EQ(given["VpcConfig"], raw["VpcConfig"]);
  EXPECT_EQ(given["DebugHookConfig"], raw["DebugHookConfig"]);
  EXPECT_EQ(given["ProfilerConfig"], raw["ProfilerConfig"]);
}

TEST(JobStatus, FailureReasonWhenSet) {
  auto status = finished_status();
  status.status = JobStatus::failed;
  status.failure_reason = "AlgorithmError: exit code 1";
  status.model_artifacts.clear();
  const json describe = describe_json(request(), status);
  EXPECT_EQ(describe["FailureReason"], "AlgorithmError: exit code 1");
  EXPECT_FALSE(describe.contains("ModelArtifacts"));
}

TEST(JobStatus, StoredFormRoundTrips) {
  const auto status = finished_status();
  const auto back = status_from_json(json::parse(to_json(status).dump()));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(to_json(*back), to_json(status));
  EXPECT_EQ(back->transitions.size(), 3u);
  EXPECT_EQ(back->transitions[0].end_time, 1700000010.5);
  EXPECT_EQ(back->training_time_seconds, 90);
  EXPECT_EQ(back->final_metrics[0].value, 0.25);
}

TEST(JobStatus, MissingOptionalFieldsAreTolerated) {
  const auto status = status_from_json({{"TrainingJobName", "j"}, {"TrainingJobStatus", "InProgress"}});
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->secondary_status, SecondaryStatus::starting);
  EXPECT_TRUE(status->transitions.empty());
  EXPECT_FALSE(status->training_start_time);
  EXPECT_FALSE(status->billable_time_seconds);
}

TEST(JobStatus, WrongFieldsAreNamed) {
  auto stored = to_json(finished_status());
  stored["CreationTime"] = "yesterday";
  auto status = status_from_json(stored);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().kind, util::ErrorKind::invalid_input);
  EXPECT_NE(status.error().message.find("'CreationTime'"), std::string::npos) << status.error().message;

  stored = to_json(finished_status());
  stored.erase("TrainingJobName");
  status = status_from_json(stored);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("'TrainingJobName' is missing"), std::string::npos);

  stored = to_json(finished_status());
  stored["SecondaryStatusTransitions"][1].erase("StartTime");
  status = status_from_json(stored);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("SecondaryStatusTransitions[1]: 'StartTime' is missing"), std::string::npos)
      << status.error().message;

  stored = to_json(finished_status());
  stored["TrainingJobStatus"] = "Done";
  status = status_from_json(stored);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("'TrainingJobStatus' has an unknown value 'Done'"), std::string::npos);

  stored = to_json(finished_status());
  stored["SecondaryStatusTransitions"][0]["Status"] = "Sleeping";
  EXPECT_FALSE(status_from_json(stored));

  EXPECT_FALSE(status_from_json(json::array()));
}

TEST(JobStatus, NowIsNow) {
  const double now = now_seconds();
  EXPECT_GT(now, 1.7e9);
  EXPECT_LT(now, 4.1e9);
  EXPECT_LE(now, now_seconds());
}

} // namespace
} // namespace sagerun::job
