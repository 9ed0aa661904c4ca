// parse_request's typed view and defaults, to_json over `raw`, and the round trip between them.
#include <gtest/gtest.h>

#include "job/request.hpp"

namespace sagerun::job {
namespace {

using nlohmann::json;

json minimal_request() {
  return {
      {"TrainingJobName", "job"},
      {"RoleArn", "arn:aws:iam::123456789012:role/Role"},
      {"AlgorithmSpecification", {{"TrainingImage", "image:1"}, {"TrainingInputMode", "File"}}},
      {"OutputDataConfig", {{"S3OutputPath", "s3://bucket/out"}}},
      {"ResourceConfig", json::object()},
      {"StoppingCondition", json::object()},
  };
}

// Every typed field; `raw` differs by design (it is what was given).
void expect_same_fields(const TrainingJobRequest& a, const TrainingJobRequest& b) {
  EXPECT_EQ(a.job_name, b.job_name);
  EXPECT_EQ(a.image, b.image);
  EXPECT_EQ(a.input_mode, b.input_mode);
  EXPECT_EQ(a.metric_definitions, b.metric_definitions);
  EXPECT_EQ(a.role_arn, b.role_arn);
  EXPECT_EQ(a.hyperparameters, b.hyperparameters);
  EXPECT_EQ(a.channels, b.channels);
  EXPECT_EQ(a.output_path, b.output_path);
  EXPECT_EQ(a.output_compression, b.output_compression);
  EXPECT_EQ(a.instance_type, b.instance_type);
  EXPECT_EQ(a.instance_count, b.instance_count);
  EXPECT_EQ(a.volume_size_gb, b.volume_size_gb);
  EXPECT_EQ(a.max_runtime_seconds, b.max_runtime_seconds);
  EXPECT_EQ(a.environment, b.environment);
  EXPECT_EQ(a.checkpoint, b.checkpoint);
  EXPECT_EQ(a.network_isolation, b.network_isolation);
  EXPECT_EQ(a.tags, b.tags);
}

// What the CLI builds from flags: no raw at all.
TrainingJobRequest from_flags() {
  TrainingJobRequest request;
  request.job_name = "cli-job";
  request.image = "python:3.11";
  request.metric_definitions = {{"loss", "loss=([0-9.]+)"}};
  request.role_arn = "arn:aws:iam::123456789012:role/Role";
  request.hyperparameters = {{"epochs", "2"}};
  Channel train;
  train.name = "train";
  train.uri = "s3://bucket/train";
  Channel test;
  test.name = "test";
  test.uri = "/data/test";
  test.distribution = "ShardedByS3Key";
  test.content_type = "text/csv";
  test.compression_type = "Gzip";
  test.record_wrapper_type = "RecordIO";
  test.input_mode = "Pipe";
  request.channels = {train, test};
  request.output_path = "file:///tmp/out";
  request.output_compression = "NONE";
  request.instance_type = "ml.c5.xlarge";
  request.instance_count = 2;
  request.volume_size_gb = 50;
  request.max_runtime_seconds = 7200;
  request.environment = {{"MY_VAR", "1"}};
  request.checkpoint = CheckpointConfig{"s3://bucket/ckpt", "/opt/ml/checkpoints"};
  request.network_isolation = true;
  request.tags = {{"team", "ml"}, {"cost-centre", "42"}};
  return request;
}

TEST(JobRequest, DefaultsForAMinimalRequest) {
  const auto request = parse_request(minimal_request());
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->job_name, "job");
  EXPECT_EQ(request->image, "image:1");
  EXPECT_EQ(request->input_mode, "File");
  EXPECT_EQ(request->output_compression, "GZIP");
  EXPECT_EQ(request->instance_type, "ml.m5.xlarge");
  EXPECT_EQ(request->instance_count, 1);
  EXPECT_EQ(request->volume_size_gb, 30);
  EXPECT_EQ(request->max_runtime_seconds, 86400);
  EXPECT_TRUE(request->channels.empty());
  EXPECT_TRUE(request->hyperparameters.empty());
  EXPECT_FALSE(request->checkpoint);
  EXPECT_FALSE(request->network_isolation);
  EXPECT_EQ(request->raw, minimal_request());
}

TEST(JobRequest, ChannelAndCheckpointDefaults) {
  auto json_request = minimal_request();
  json_request["InputDataConfig"] = {
      {{"ChannelName", "train"},
       {"DataSource", {{"S3DataSource", {{"S3DataType", "S3Prefix"}, {"S3Uri", "s3://b/t"}}}}}}};
  json_request["CheckpointConfig"] = {{"S3Uri", "s3://b/ckpt"}};
  const auto request = parse_request(json_request);
  ASSERT_TRUE(request) << request.error().message;
  ASSERT_EQ(request->channels.size(), 1u);
  const Channel& channel = request->channels[0];
  EXPECT_EQ(channel.name, "train");
  EXPECT_EQ(channel.uri, "s3://b/t");
  EXPECT_EQ(channel.s3_data_type, "S3Prefix");
  EXPECT_EQ(channel.distribution, "FullyReplicated");
  EXPECT_EQ(channel.compression_type, "None");
  EXPECT_EQ(channel.record_wrapper_type, "None");
  EXPECT_EQ(channel.content_type, "");
  EXPECT_EQ(channel.input_mode, "");
  ASSERT_TRUE(request->checkpoint);
  EXPECT_EQ(request->checkpoint->s3_uri, "s3://b/ckpt");
  EXPECT_EQ(request->checkpoint->local_path, "/opt/ml/checkpoints");
}

TEST(JobRequest, InvalidRequestIsInvalidInputWithTheMessage) {
  auto json_request = minimal_request();
  json_request["TrainingJobName"] = "my_job";
  const auto request = parse_request(json_request);
  ASSERT_FALSE(request);
  EXPECT_EQ(request.error().kind, util::ErrorKind::invalid_input);
  EXPECT_EQ(request.error().message, validate_request(json_request));
}

TEST(JobRequest, PolicyReachesParse) {
  auto json_request = minimal_request();
  json_request["OutputDataConfig"]["S3OutputPath"] = "/tmp/out";
  EXPECT_FALSE(parse_request(json_request));
  const auto request = parse_request(json_request, UriPolicy::local);
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->output_path, "/tmp/out");
}

TEST(JobRequest, FlagsBecomeAwsJson) {
  const json out = to_json(from_flags());
  EXPECT_EQ(out["TrainingJobName"], "cli-job");
  EXPECT_EQ(out["AlgorithmSpecification"],
            json({{"TrainingImage", "python:3.11"},
                  {"TrainingInputMode", "File"},
                  {"MetricDefinitions", {{{"Name", "loss"}, {"Regex", "loss=([0-9.]+)"}}}}}));
  EXPECT_EQ(out["RoleArn"], "arn:aws:iam::123456789012:role/Role");
  EXPECT_EQ(out["HyperParameters"], json({{"epochs", "2"}}));
  EXPECT_EQ(out["InputDataConfig"][0], json({{"ChannelName", "train"},
                                             {"DataSource",
                                              {{"S3DataSource",
                                                {{"S3DataType", "S3Prefix"},
                                                 {"S3Uri", "s3://bucket/train"},
                                                 {"S3DataDistributionType", "FullyReplicated"}}}}}}));
  EXPECT_EQ(out["InputDataConfig"][1]["ContentType"], "text/csv");
  EXPECT_EQ(out["InputDataConfig"][1]["CompressionType"], "Gzip");
  EXPECT_EQ(out["InputDataConfig"][1]["RecordWrapperType"], "RecordIO");
  EXPECT_EQ(out["InputDataConfig"][1]["InputMode"], "Pipe");
  EXPECT_EQ(out["OutputDataConfig"], json({{"S3OutputPath", "file:///tmp/out"}, {"CompressionType", "NONE"}}));
  EXPECT_EQ(out["ResourceConfig"],
            json({{"InstanceType", "ml.c5.xlarge"}, {"InstanceCount", 2}, {"VolumeSizeInGB", 50}}));
  EXPECT_EQ(out["StoppingCondition"], json({{"MaxRuntimeInSeconds", 7200}}));
  EXPECT_EQ(out["Environment"], json({{"MY_VAR", "1"}}));
  EXPECT_EQ(out["CheckpointConfig"], json({{"S3Uri", "s3://bucket/ckpt"}, {"LocalPath", "/opt/ml/checkpoints"}}));
  EXPECT_EQ(out["EnableNetworkIsolation"], true);
  EXPECT_EQ(validate_request(out, UriPolicy::local), "");
}

TEST(JobRequest, RoundTripFromFlags) {
  const auto original = from_flags();
  const auto parsed = parse_request(to_json(original), UriPolicy::local);
  ASSERT_TRUE(parsed) << parsed.error().message;
  expect_same_fields(*parsed, original);
  // And once more: to_json of a parsed request is stable.
  EXPECT_EQ(to_json(*parsed), to_json(original));
}

TEST(JobRequest, RoundTripFromDefaults) {
  TrainingJobRequest request;
  request.job_name = "j";
  request.role_arn = "arn:aws:iam::123456789012:role/Role";
  request.output_path = "/out";
  const auto parsed = parse_request(to_json(request), UriPolicy::local);
  ASSERT_TRUE(parsed) << parsed.error().message;
  expect_same_fields(*parsed, request);
  EXPECT_FALSE(to_json(request).contains("InputDataConfig"));
  EXPECT_FALSE(to_json(request).contains("Environment"));
  EXPECT_FALSE(to_json(request)["AlgorithmSpecification"].contains("TrainingImage"));
}

TEST(JobRequest, ToJsonKeepsWhatTheTypedViewDoesNotKnow) {
  auto json_request = minimal_request();
  json_request["Tags"] = {{{"Key", "team"}, {"Value", "ml"}}};
  json_request["VpcConfig"] = {{"SecurityGroupIds", {"sg-1"}}, {"Subnets", {"subnet-1"}}};
  json_request["InputDataConfig"] = {
      {{"ChannelName", "train"},
       {"ShuffleConfig", {{"Seed", 7}}},
       {"DataSource",
        {{"S3DataSource", {{"S3DataType", "S3Prefix"}, {"S3Uri", "s3://b/t"}, {"AttributeNames", {"a"}}}}}}}};
  json_request["ResourceConfig"]["KeepAlivePeriodInSeconds"] = 60;
  auto request = parse_request(json_request);
  ASSERT_TRUE(request) << request.error().message;
  request->instance_count = 3;
  request->channels[0].uri = "s3://b/other";
  EXPECT_EQ(request->tags, (std::vector<Tag>{{"team", "ml"}}));
  const json out = to_json(*request);
  EXPECT_EQ(out["Tags"], json_request["Tags"]);
  EXPECT_EQ(out["VpcConfig"], json_request["VpcConfig"]);
  EXPECT_EQ(out["InputDataConfig"][0]["ShuffleConfig"]["Seed"], 7);
  EXPECT_EQ(out["InputDataConfig"][0]["DataSource"]["S3DataSource"]["AttributeNames"], json({"a"}));
  EXPECT_EQ(out["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"], "s3://b/other");
  EXPECT_EQ(out["ResourceConfig"]["KeepAlivePeriodInSeconds"], 60);
  EXPECT_EQ(out["ResourceConfig"]["InstanceCount"], 3);
  EXPECT_EQ(validate_request(out), "");
}

TEST(JobRequest, NonS3SourcesStayInRaw) {
  auto json_request = minimal_request();
  const json file_system = {{"FileSystemId", "fs-0123456789abcdef0"},
                            {"FileSystemAccessMode", "ro"},
                            {"FileSystemType", "EFS"},
                            {"DirectoryPath", "/fs/train"}};
  json_request["InputDataConfig"] = {
      {{"ChannelName", "train"}, {"DataSource", {{"FileSystemDataSource", file_system}}}}};
  const auto request = parse_request(json_request);
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->channels[0].uri, "");
  EXPECT_EQ(request->channels[0].s3_data_type, "");
  const json out = to_json(*request);
  EXPECT_EQ(out["InputDataConfig"][0]["DataSource"], json({{"FileSystemDataSource", file_system}}));
  EXPECT_EQ(validate_request(out), "");
}

TEST(JobRequest, InstanceGroupsHaveNoJobWideInstanceType) {
  auto json_request = minimal_request();
  json_request["ResourceConfig"] = {
      {"InstanceGroups", {{{"InstanceType", "ml.m5.xlarge"}, {"InstanceCount", 1}, {"InstanceGroupName", "g"}}}},
      {"VolumeSizeInGB", 10}};
  const auto request = parse_request(json_request);
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->instance_type, "");
  EXPECT_FALSE(to_json(*request)["ResourceConfig"].contains("InstanceType"));
}

} // namespace
} // namespace sagerun::job
