#pragma once
// The CreateTrainingJob request: the exact AWS JSON shape (so one file works with
// `aws sagemaker create-training-job --cli-input-json`), and a typed view of the parts the
// runner acts on. `raw` keeps the request as given, for trainingjobconfig.json and
// DescribeTrainingJob.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "job/spot.hpp"
#include "job/tags.hpp"
#include "util/error.hpp"

namespace sagerun::job {

struct MetricDefinition {
  std::string name;
  std::string regex;

  bool operator==(const MetricDefinition&) const = default;
};

struct Channel {
  std::string name;
  std::string s3_data_type = "S3Prefix";        // S3Prefix | ManifestFile | AugmentedManifestFile
  std::string uri;                              // s3://…, https://…, file://… or a local path
  std::string distribution = "FullyReplicated"; // FullyReplicated | ShardedByS3Key
  std::string content_type;                     // empty when unset
  std::string compression_type = "None";        // None | Gzip
  std::string record_wrapper_type = "None";     // None | RecordIO
  std::string input_mode;                       // empty: the job's TrainingInputMode

  bool operator==(const Channel&) const = default;
};

struct CheckpointConfig {
  std::string s3_uri;
  std::string local_path = "/opt/ml/checkpoints";

  bool operator==(const CheckpointConfig&) const = default;
};

struct TrainingJobRequest {
  std::string job_name;
  std::string image;               // AlgorithmSpecification.TrainingImage (may be empty: native runtime)
  std::string input_mode = "File"; // AlgorithmSpecification.TrainingInputMode
  // AlgorithmSpecification.ContainerEntrypoint and ContainerArguments: when the entrypoint is
  // given, each host runs it (with the arguments) instead of the image's entrypoint.
  std::vector<std::string> container_entrypoint;
  std::vector<std::string> container_arguments;
  std::vector<MetricDefinition> metric_definitions;
  std::string role_arn;
  std::map<std::string, std::string> hyperparameters;
  std::vector<Channel> channels;
  std::string output_path;                 // OutputDataConfig.S3OutputPath
  std::string output_compression = "GZIP"; // OutputDataConfig.CompressionType: GZIP | NONE
  std::string instance_type = "ml.m5.xlarge";
  int instance_count = 1;
  int volume_size_gb = 30;
  int64_t max_runtime_seconds = 86400; // StoppingCondition.MaxRuntimeInSeconds
  std::map<std::string, std::string> environment;
  std::optional<CheckpointConfig> checkpoint;
  bool network_isolation = false; // EnableNetworkIsolation
  SpotAndRetry spot;              // EnableManagedSpotTraining, MaxWaitTimeInSeconds, RetryStrategy
  std::vector<Tag> tags;          // the job's tags when it was created (the store keeps them after)
  nlohmann::json raw;             // the request as given, every field kept
};

// Which URIs the request's data locations may be. `sagemaker`: as the service (s3:// or
// https://). `local`: the local runner also takes file://… and absolute paths ("/…") in
// InputDataConfig[].DataSource.S3DataSource.S3Uri, OutputDataConfig.S3OutputPath and
// CheckpointConfig.S3Uri, and needs no AlgorithmSpecification.TrainingImage (the native runtime
// runs no image); `sagemaker` requires TrainingImage or AlgorithmName.
enum class UriPolicy { sagemaker, local };

// Checks `request` against SageMaker's constraints for CreateTrainingJob. Returns the
// service's message ("1 validation error detected: Value 'x' at 'trainingJobName' failed to
// satisfy constraint: …"), or an empty string when the request is valid.
std::string validate_request(const nlohmann::json& request, UriPolicy policy = UriPolicy::sagemaker);

// Checks `body` against another generated input shape ("DeleteTrainingJobRequest"), as
// validate_request does: the service's message, or an empty string when it is valid.
std::string validate_input(std::string_view input_shape, const nlohmann::json& body);

// Validates, then builds the typed view. Errors are ErrorKind::invalid_input carrying the
// validation message. A channel whose DataSource is not an S3DataSource (FileSystemDataSource,
// DatasetSource) gets an empty `uri` and `s3_data_type`; `raw` keeps its source.
Expected<TrainingJobRequest> parse_request(const nlohmann::json& request, UriPolicy policy = UriPolicy::sagemaker);

// The typed view of a request that was validated when it came in (one read back from the store):
// not validated again. Members of unexpected types keep their defaults.
TrainingJobRequest read_checked_request(const nlohmann::json& request);

// The request as AWS JSON: `raw` with the typed fields written over it.
nlohmann::json to_json(const TrainingJobRequest& request);

} // namespace sagerun::job
