// validate_request against SageMaker's CreateTrainingJob constraints and the service's messages.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "test_support.hpp"

#include "job/request.hpp"
#include "job/shapes.hpp"

namespace sagerun::job {
namespace {

using nlohmann::json;

json channel(const std::string& name, const std::string& uri = "s3://bucket/train/") {
  return {{"ChannelName", name}, {"DataSource", {{"S3DataSource", {{"S3DataType", "S3Prefix"}, {"S3Uri", uri}}}}}};
}

json valid_request() {
  return {
      {"TrainingJobName", "my-job-1"},
      {"RoleArn", "arn:aws:iam::123456789012:role/SageMakerRole"},
      {"AlgorithmSpecification",
       {{"TrainingImage", "123456789012.dkr.ecr.us-east-1.amazonaws.com/img:1"}, {"TrainingInputMode", "File"}}},
      {"HyperParameters", {{"epochs", "3"}, {"lr", "0.1"}}},
      {"InputDataConfig", json::array({channel("train"), channel("test", "https://example.com/data")})},
      {"OutputDataConfig", {{"S3OutputPath", "s3://bucket/output"}}},
      {"ResourceConfig", {{"InstanceType", "ml.m5.xlarge"}, {"InstanceCount", 1}, {"VolumeSizeInGB", 30}}},
      {"StoppingCondition", {{"MaxRuntimeInSeconds", 3600}}},
  };
}

using test::one_validation_error;

TEST(JobValidate, ValidRequestPasses) {
  EXPECT_EQ(validate_request(valid_request()), "");
  EXPECT_EQ(validate_request(valid_request(), UriPolicy::local), "");
}

TEST(JobValidate, BadNameReadsLikeTheService) {
  auto request = valid_request();
  request["TrainingJobName"] = "my_job";
  EXPECT_EQ(validate_request(request),
            one_validation_error("'my_job'", "trainingJobName",
                                 "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"));
}

TEST(JobValidate, NameTooLongAndBadPatternAreTwoErrors) {
  auto request = valid_request();
  request["TrainingJobName"] = std::string(64, 'a') + "-";
  const auto message = validate_request(request);
  EXPECT_TRUE(message.starts_with("2 validation errors detected: Value '")) << message;
  EXPECT_NE(message.find("Member must have length less than or equal to 63"), std::string::npos);
  EXPECT_NE(message.find("; Value '"), std::string::npos);
}

TEST(JobValidate, TwentyOneChannels) {
  auto request = valid_request();
  json channels = json::array();
  for (int i = 0; i < 21; ++i)
    channels.push_back(channel("c" + std::to_string(i)));
  request["InputDataConfig"] = channels;
  const auto message = validate_request(request);
  EXPECT_TRUE(message.starts_with("1 validation error detected: Value '[{ChannelName=c0, ")) << message;
  EXPECT_TRUE(
      message.ends_with("' at 'inputDataConfig' failed to satisfy constraint: Member must have length less than or "
                        "equal to 20"))
      << message;
  request["InputDataConfig"] = json::array();
  EXPECT_EQ(validate_request(request),
            one_validation_error("'[]'", "inputDataConfig", "Member must have length greater than or equal to 1"));
}

TEST(JobValidate, DuplicateChannelNames) {
  auto request = valid_request();
  request["InputDataConfig"] = json::array({channel("train"), channel("test"), channel("train")});
  EXPECT_EQ(validate_request(request), one_validation_error("'train'", "inputDataConfig.3.member.channelName",
                                                            "Member must be unique: channel names must differ"));
}

TEST(JobValidate, BadChannelNameHasTheListPath) {
  auto request = valid_request();
  request["InputDataConfig"][1]["ChannelName"] = "te st";
  EXPECT_EQ(validate_request(request),
            one_validation_error("'te st'", "inputDataConfig.2.member.channelName",
                                 "Member must satisfy regular expression pattern: [A-Za-z0-9\\.\\-_]+"));
}

TEST(JobValidate, BadS3Uri) {
  auto request = valid_request();
  request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = "http://bucket/x";
  EXPECT_EQ(validate_request(request),
            one_validation_error("'http://bucket/x'", "inputDataConfig.1.member.dataSource.s3DataSource.s3Uri",
                                 "Member must satisfy regular expression pattern: ^(https|s3)://([^/]+)/?(.*)$"));
}

TEST(JobValidate, InstanceCountZero) {
  auto request = valid_request();
  request["ResourceConfig"]["InstanceCount"] = 0;
  EXPECT_EQ(validate_request(request), one_validation_error("'0'", "resourceConfig.instanceCount",
                                                            "Member must have value greater than or equal to 1"));
}

TEST(JobValidate, MaxRuntimeZero) {
  auto request = valid_request();
  request["StoppingCondition"]["MaxRuntimeInSeconds"] = 0;
  EXPECT_EQ(validate_request(request), one_validation_error("'0'", "stoppingCondition.maxRuntimeInSeconds",
                                                            "Member must have value greater than or equal to 1"));
}

TEST(JobValidate, HundredAndOneHyperparameters) {
  auto request = valid_request();
  json hyperparameters = json::object();
  for (int i = 0; i < 101; ++i)
    hyperparameters["k" + std::to_string(i)] = "v";
  request["HyperParameters"] = hyperparameters;
  const auto message = validate_request(request);
  EXPECT_TRUE(message.starts_with("1 validation error detected: Value '{k0=v, k1=v, ")) << message;
  EXPECT_TRUE(message.ends_with(
      "' at 'hyperParameters' failed to satisfy constraint: Member must have length less than or equal to 100"));
  hyperparameters.erase("k0");
  request["HyperParameters"] = hyperparameters;
  EXPECT_EQ(validate_request(request), "");
}

TEST(JobValidate, HyperparameterValueTooLong) {
  auto request = valid_request();
  request["HyperParameters"] = {{"big", std::string(2501, 'x')}};
  EXPECT_EQ(
      validate_request(request),
      one_validation_error("'{big=" + std::string(2501, 'x') + "}'", "hyperParameters",
                           "Map value must satisfy constraint: [Member must have length less than or equal to 2500, "
                           "Member must have length greater than or equal to 0, Member must satisfy regular expression "
                           "pattern: .*]"));
  request["HyperParameters"] = {{"big", std::string(2500, 'x')}};
  EXPECT_EQ(validate_request(request), "");
}

TEST(JobValidate, HyperparameterKeyTooLongAndLinesInValues) {
  auto request = valid_request();
  request["HyperParameters"] = {{std::string(257, 'k'), "v"}};
  EXPECT_NE(validate_request(request).find("at 'hyperParameters' failed to satisfy constraint: Map keys must "
                                           "satisfy constraint: [Member must have length less than or equal to 256"),
            std::string::npos);
  // Java's `.` stops at line terminators, so the service refuses them in `.*` values.
  request["HyperParameters"] = {{"text", "two\nlines"}};
  EXPECT_NE(validate_request(request).find("Map value must satisfy constraint"), std::string::npos);
  request["HyperParameters"] = {{"text", "tab\tand unicode \u00e9\u65e5"}};
  EXPECT_EQ(validate_request(request), "");
}

TEST(JobValidate, LengthsCountUtf16Units) {
  auto request = valid_request();
  std::string emoji;
  for (int i = 0; i < 128; ++i)
    emoji += "\U0001F600"; // two UTF-16 units each
  request["HyperParameters"] = {{emoji, "v"}};
  EXPECT_EQ(validate_request(request), "");
  request["HyperParameters"] = {{emoji + "a", "v"}};
  EXPECT_NE(validate_request(request).find("Map keys must satisfy constraint"), std::string::npos);
}

TEST(JobValidate, HyperparameterValuesMustBeStrings) {
  auto request = valid_request();
  request["HyperParameters"] = {{"lr", 0.1}};
  EXPECT_EQ(validate_request(request), one_validation_error("'0.1'", "hyperParameters.lr", "Member must be a string"));
}

TEST(JobValidate, BadEnum) {
  auto request = valid_request();
  request["AlgorithmSpecification"]["TrainingInputMode"] = "Files";
  EXPECT_EQ(validate_request(request),
            one_validation_error("'Files'", "algorithmSpecification.trainingInputMode",
                                 "Member must satisfy enum value set: [Pipe, File, FastFile]"));
  request = valid_request();
  request["ResourceConfig"]["InstanceType"] = "ml.nope";
  const auto message = validate_request(request);
  EXPECT_TRUE(message.starts_with(
      "1 validation error detected: Value 'ml.nope' at 'resourceConfig.instanceType' failed to satisfy "
      "constraint: Member must satisfy enum value set: [ml.m4.xlarge, "))
      << message;
}

TEST(JobValidate, MissingRequired) {
  for (const char* key : {"TrainingJobName", "RoleArn", "OutputDataConfig", "ResourceConfig", "StoppingCondition",
                          "AlgorithmSpecification"}) {
    auto request = valid_request();
    request.erase(key);
    std::string path = key;
    path[0] = static_cast<char>(path[0] - 'A' + 'a');
    EXPECT_EQ(validate_request(request), one_validation_error("null", path, "Member must not be null")) << key;
  }
  auto request = valid_request();
  request["OutputDataConfig"] = json::object();
  EXPECT_EQ(validate_request(request),
            one_validation_error("null", "outputDataConfig.s3OutputPath", "Member must not be null"));
  request = valid_request();
  request["RoleArn"] = nullptr; // JSON null is "not given"
  EXPECT_EQ(validate_request(request), one_validation_error("null", "roleArn", "Member must not be null"));
}

TEST(JobValidate, MultipleErrorsAreCountedAndJoined) {
  auto request = valid_request();
  request["TrainingJobName"] = "bad_name";
  request["ResourceConfig"]["InstanceCount"] = 0;
  request.erase("RoleArn");
  const auto message = validate_request(request);
  EXPECT_TRUE(message.starts_with("3 validation errors detected: Value 'bad_name' at 'trainingJobName'")) << message;
  EXPECT_NE(message.find("; Value null at 'roleArn' failed to satisfy constraint: Member must not be null; Value '0' "
                         "at 'resourceConfig.instanceCount'"),
            std::string::npos)
      << message;
}

TEST(JobValidate, LocalUrisOnlyWithTheLocalPolicy) {
  auto request = valid_request();
  request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = "file:///data/train";
  request["InputDataConfig"][1]["DataSource"]["S3DataSource"]["S3Uri"] = "/data/test";
  request["OutputDataConfig"]["S3OutputPath"] = "file:///tmp/out";
  request["CheckpointConfig"] = {{"S3Uri", "/tmp/checkpoints"}};
  EXPECT_EQ(validate_request(request, UriPolicy::local), "");
  const auto message = validate_request(request);
  EXPECT_TRUE(message.starts_with("4 validation errors detected: Value 'file:///data/train' at "
                                  "'inputDataConfig.1.member.dataSource.s3DataSource.s3Uri'"))
      << message;
  EXPECT_NE(message.find("at 'checkpointConfig.s3Uri'"), std::string::npos);

  // Relative paths are not URIs under either policy, and only the three data locations relax.
  request = valid_request();
  request["OutputDataConfig"]["S3OutputPath"] = "out";
  EXPECT_NE(validate_request(request, UriPolicy::local), "");
  request = valid_request();
  request["DebugHookConfig"] = {{"S3OutputPath", "/tmp/debug"}};
  EXPECT_NE(validate_request(request, UriPolicy::local).find("at 'debugHookConfig.s3OutputPath'"), std::string::npos);
}

TEST(JobValidate, ALocalSubmitDirectoryIsForTheLocalRunnerAndAbsolute) {
  auto request = valid_request();
  request["HyperParameters"]["sagemaker_submit_directory"] = "\"file:///home/me/src\"";
  EXPECT_EQ(validate_request(request, UriPolicy::local), "");
  const auto service = validate_request(request);
  EXPECT_NE(service.find("at 'hyperParameters.sagemaker_submit_directory' failed to satisfy constraint: Member must "
                         "not be a local location (file://)"),
            std::string::npos)
      << service;
  request["HyperParameters"]["sagemaker_submit_directory"] = "file://src";
  EXPECT_NE(validate_request(request, UriPolicy::local).find("Member must be an absolute file:// URI"),
            std::string::npos);
  request["HyperParameters"]["sagemaker_submit_directory"] = "\"s3://bucket/code/sourcedir.tar.gz\"";
  EXPECT_EQ(validate_request(request), "");
}

TEST(JobValidate, ImageNeededOnlyForTheService) {
  auto request = valid_request();
  request["AlgorithmSpecification"].erase("TrainingImage");
  EXPECT_EQ(validate_request(request, UriPolicy::local), "");
  EXPECT_EQ(
      validate_request(request),
      one_validation_error("null", "algorithmSpecification.trainingImage",
                           "Member must not be null or empty when algorithmSpecification.algorithmName is not given"));
  request["AlgorithmSpecification"]["AlgorithmName"] = "my-algorithm";
  EXPECT_EQ(validate_request(request), "");
  request["AlgorithmSpecification"]["AlgorithmName"] = "my-algorithm-"; // (?<!-) in the model
  EXPECT_NE(validate_request(request).find("at 'algorithmSpecification.algorithmName'"), std::string::npos);
}

TEST(JobValidate, OneDataSourcePerChannel) {
  auto request = valid_request();
  request["InputDataConfig"][0]["DataSource"] = json::object();
  EXPECT_EQ(validate_request(request),
            one_validation_error("'{}'", "inputDataConfig.1.member.dataSource",
                                 "Member must have exactly one of s3DataSource, fileSystemDataSource, datasetSource"));
  request["InputDataConfig"][0]["DataSource"] = {{"FileSystemDataSource",
                                                  {{"FileSystemId", "fs-0123456789abcdef0"},
                                                   {"FileSystemAccessMode", "ro"},
                                                   {"FileSystemType", "EFS"},
                                                   {"DirectoryPath", "/fs/train"}}}};
  EXPECT_EQ(validate_request(request), "");
}

TEST(JobValidate, UnknownParametersAndWrongTypes) {
  auto request = valid_request();
  request["TrainingJobname"] = "typo";
  request["ResourceConfig"]["InstanceCount"] = "2";
  const auto message = validate_request(request);
  EXPECT_TRUE(message.starts_with("2 validation errors detected: Unknown parameter 'TrainingJobname': must be one "
                                  "of TrainingJobName, HyperParameters, "))
      << message;
  EXPECT_NE(message.find("; Value '2' at 'resourceConfig.instanceCount' failed to satisfy constraint: Member must be "
                         "a 32-bit integer"),
            std::string::npos);
  request = valid_request();
  request["ResourceConfig"]["Extra"] = 1;
  EXPECT_TRUE(validate_request(request).starts_with(
      "1 validation error detected: Unknown parameter 'Extra' at 'resourceConfig': must be one of InstanceType, "));
  EXPECT_EQ(validate_request(json::array()),
            "1 validation error detected: The request must be a JSON object (CreateTrainingJob's input), not array");
}

TEST(JobValidate, ScalarListElementsAreReportedAtTheList) {
  auto request = valid_request();
  request["AlgorithmSpecification"]["ContainerEntrypoint"] = {"python", std::string(257, 'x')};
  EXPECT_EQ(validate_request(request),
            one_validation_error(
                "'[python, " + std::string(257, 'x') + "]'", "algorithmSpecification.containerEntrypoint",
                "Member must satisfy constraint: [Member must have length less than or equal to 256, Member "
                "must have length greater than or equal to 0, Member must satisfy regular expression pattern: "
                ".*]"));
}

TEST(JobValidate, EveryPatternCompilesAndEveryRegexShapeIsBounded) {
  for (const auto& shape : shapes::all_shapes()) {
    if (shape.pattern_kind != shapes::PatternKind::regex) continue;
    ASSERT_TRUE(shape.max.has_value()) << shape.name;
    EXPECT_LE(*shape.max, static_cast<int64_t>(shapes::k_regex_input_limit)) << shape.name;
    EXPECT_NO_THROW(shapes::matches_pattern(shape, L"x")) << shape.name;
  }
}

TEST(JobValidate, HugeValuesDoNotReachTheRegex) {
  auto request = valid_request();
  request["RoleArn"] = "arn:aws:iam::123456789012:role/" + std::string(1 << 20, 'a');
  const auto message = validate_request(request);
  EXPECT_TRUE(message.starts_with("1 validation error detected: Value 'arn:aws:iam::123456789012:role/aaa"));
  EXPECT_TRUE(message.ends_with("' at 'roleArn' failed to satisfy constraint: Member must have length less than or "
                                "equal to 2048"));
}

TEST(JobValidate, IsCheap) {
  const auto request = valid_request();
  validate_request(request); // compiles the regexes
  constexpr int k_runs = 200;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < k_runs; ++i)
    ASSERT_EQ(validate_request(request), "");
  const auto each = (std::chrono::steady_clock::now() - start) / k_runs;
#if defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(each, std::chrono::milliseconds(10));
#else
  EXPECT_LT(each, std::chrono::milliseconds(1));
#endif
}

} // namespace
} // namespace sagerun::job

namespace sagerun::job {
namespace {

// A channel name is a folder name: "." and ".." once staged a channel into input/ itself,
// over the host's config files.
TEST(JobValidate, ChannelNamesThatNameNoFolderAreRefused) {
  for (const std::string name : {".", ".."}) {
    auto request = valid_request();
    request["InputDataConfig"][0]["ChannelName"] = name;
    EXPECT_EQ(validate_request(request),
              one_validation_error("'" + name + "'", "inputDataConfig.1.member.channelName",
                                   "Member must not be '.' or '..': a channel name is the name of its folder under "
                                   "/opt/ml/input/data"));
  }
  auto request = valid_request();
  request["InputDataConfig"][0]["ChannelName"] = "..train.";
  EXPECT_EQ(validate_request(request), "");
}

// LocalPath once escaped the host tree: /opt/ml/checkpoints/../../../../tmp/X planted files
// anywhere the server's user could write.
TEST(JobValidate, CheckpointLocalPathIsConfined) {
  const auto with_path = [](const std::string& path) {
    auto request = valid_request();
    request["CheckpointConfig"] = {{"S3Uri", "s3://bucket/ckpt"}, {"LocalPath", path}};
    return validate_request(request);
  };
  EXPECT_EQ(with_path("/opt/ml/checkpoints"), "");
  EXPECT_EQ(with_path("/opt/ml/checkpoints/run-1/"), "");
  EXPECT_EQ(with_path("/checkpoints"), "");
  EXPECT_EQ(with_path("/opt/ml/checkpoints/../../../../tmp/X"),
            one_validation_error("'/opt/ml/checkpoints/../../../../tmp/X'", "checkpointConfig.localPath",
                                 "Member must be a path without '.' or '..' components"));
  EXPECT_NE(with_path("/opt/ml/./checkpoints").find("without '.' or '..'"), std::string::npos);
  EXPECT_EQ(with_path("checkpoints"),
            one_validation_error("'checkpoints'", "checkpointConfig.localPath",
                                 "Member must be an absolute path (like /opt/ml/checkpoints)"));
  for (const std::string reserved : {"/opt/ml/input", "/opt/ml/input/config", "/opt/ml/code/x", "/opt/ml/model",
                                     "/opt/ml/output/data", "/opt/ml", "/opt/ml/", "/", "//"}) {
    EXPECT_NE(with_path(reserved).find("the training contract fills that folder"), std::string::npos) << reserved;
  }
}

} // namespace
} // namespace sagerun::job
