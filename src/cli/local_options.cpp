#include "cli/local_options.hpp"

#include <filesystem>

#include "job/names.hpp"
#include "util/files.hpp"

namespace sagerun::cli {
namespace {

constexpr const char* k_default_role = "arn:aws:iam::000000000000:role/SageMakerRole";

Expected<std::pair<std::string, std::string>> split_pair(const std::string& text, const std::string& flag) {
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0) {
    return util::fail(util::ErrorKind::invalid_input, flag + " '" + text + "': expected NAME=VALUE");
  }
  return std::pair{text.substr(0, equals), text.substr(equals + 1)};
}

// A base job name from the image, as the SDK does: the repository's last path part.
std::string base_name_from_image(const std::string& image) {
  std::string name = image;
  if (const auto slash = name.rfind('/'); slash != std::string::npos) name = name.substr(slash + 1);
  if (const auto colon = name.find(':'); colon != std::string::npos) name = name.substr(0, colon);
  return name.empty() ? "sagerun" : name;
}

// A location given on the command line: a path without a scheme (`./data`, `out`) is a folder
// here, resolved against the current folder; anything else is passed on as written.
std::string command_line_location(const std::string& value) {
  if (value.empty() || value.find("://") != std::string::npos) return value;
  return std::filesystem::absolute(value).lexically_normal().string();
}

} // namespace

void add_job_flags(CLI::App& app, JobFlags& flags) {
  app.add_option("JOB_JSON", flags.request_file, "a CreateTrainingJob request (the AWS JSON); flags override it");
  app.add_option("--image", flags.image, "the training image (AlgorithmSpecification.TrainingImage)");
  app.add_option("--instance-type", flags.instance_type, "ResourceConfig.InstanceType (default ml.m5.xlarge)");
  app.add_option("--instance-count", flags.instance_count, "ResourceConfig.InstanceCount: hosts algo-1…algo-N");
  app.add_option("--hyperparameter", flags.hyperparameters, "KEY=VALUE, repeatable (HyperParameters)");
  app.add_option("--input", flags.inputs, "CHANNEL=URI (s3://…, file:///… or a folder, relative to here), repeatable");
  app.add_option("--output-path", flags.output, "OutputDataConfig.S3OutputPath (s3://…, file:///… or a folder)");
  app.add_option("--max-runtime", flags.max_runtime, "StoppingCondition.MaxRuntimeInSeconds");
  app.add_option("--environment", flags.environment, "KEY=VALUE for the container, repeatable");
  app.add_option("--metric", flags.metrics, "NAME=REGEX, repeatable (AlgorithmSpecification.MetricDefinitions)");
  app.add_option("--checkpoint-s3-uri", flags.checkpoint_uri, "CheckpointConfig.S3Uri (s3://…, file:///… or a folder)");
  app.add_option("--job-name", flags.job_name, "the job's name (must be unique)");
  app.add_option("--base-job-name", flags.base_job_name, "make a unique name: BASE-YYYY-MM-DD-HH-MM-SS-mmm");
  app.add_option("--role", flags.role, "RoleArn (default: a placeholder role; `submit` to AWS needs a real one)");
  app.add_flag("--network-isolation", flags.network_isolation, "EnableNetworkIsolation");
  app.add_flag("--use-spot-instances", flags.use_spot_instances, "EnableManagedSpotTraining (needs --max-wait)");
  app.add_option("--max-wait", flags.max_wait, "StoppingCondition.MaxWaitTimeInSeconds (spot jobs)");
  app.add_option("--max-retry-attempts", flags.max_retry_attempts, "RetryStrategy.MaximumRetryAttempts (1-30)");
}

Expected<nlohmann::json> build_request_json(const JobFlags& flags) {
  nlohmann::json request = nlohmann::json::object();
  if (!flags.request_file.empty()) {
    auto text = util::read_file(flags.request_file);
    if (!text) return std::unexpected(text.error());
    request = nlohmann::json::parse(*text, nullptr, false);
    if (request.is_discarded() || !request.is_object()) {
      return util::fail(util::ErrorKind::invalid_input,
                        flags.request_file + ": not a JSON object (expected a CreateTrainingJob request)");
    }
  }
  auto& algorithm = request["AlgorithmSpecification"];
  if (!algorithm.is_object()) algorithm = nlohmann::json::object();
  if (flags.image) algorithm["TrainingImage"] = *flags.image;
  if (!algorithm.contains("TrainingInputMode")) algorithm["TrainingInputMode"] = "File";
  for (const auto& metric : flags.metrics) {
    auto pair = split_pair(metric, "--metric");
    if (!pair) return std::unexpected(pair.error());
    algorithm["MetricDefinitions"].push_back({{"Name", pair->first}, {"Regex", pair->second}});
  }
  if (flags.role) request["RoleArn"] = *flags.role;
  if (!request.contains("RoleArn")) request["RoleArn"] = k_default_role;
  for (const auto& item : flags.hyperparameters) {
    auto pair = split_pair(item, "--hyperparameter");
    if (!pair) return std::unexpected(pair.error());
    request["HyperParameters"][pair->first] = pair->second;
  }
  for (const auto& item : flags.inputs) {
    auto pair = split_pair(item, "--input");
    if (!pair) return std::unexpected(pair.error());
    auto& channels = request["InputDataConfig"];
    nlohmann::json channel = {{"ChannelName", pair->first},
                              {"DataSource",
                               {{"S3DataSource",
                                 {{"S3DataType", "S3Prefix"},
                                  {"S3Uri", command_line_location(pair->second)},
                                  {"S3DataDistributionType", "FullyReplicated"}}}}}};
    bool replaced = false;
    if (channels.is_array()) {
      for (auto& existing : channels) {
        if (existing.value("ChannelName", "") == pair->first) {
          existing["DataSource"]["S3DataSource"]["S3Uri"] = command_line_location(pair->second);
          replaced = true;
        }
      }
    }
    if (!replaced) channels.push_back(channel);
  }
  if (flags.output) request["OutputDataConfig"]["S3OutputPath"] = command_line_location(*flags.output);
  auto& resources = request["ResourceConfig"];
  if (flags.instance_type) resources["InstanceType"] = *flags.instance_type;
  if (!resources.contains("InstanceType")) resources["InstanceType"] = "ml.m5.xlarge";
  if (flags.instance_count) resources["InstanceCount"] = *flags.instance_count;
  if (!resources.contains("InstanceCount")) resources["InstanceCount"] = 1;
  if (!resources.contains("VolumeSizeInGB")) resources["VolumeSizeInGB"] = 30;
  if (flags.max_runtime) request["StoppingCondition"]["MaxRuntimeInSeconds"] = *flags.max_runtime;
  if (!request.contains("StoppingCondition")) request["StoppingCondition"]["MaxRuntimeInSeconds"] = 86400;
  for (const auto& item : flags.environment) {
    auto pair = split_pair(item, "--environment");
    if (!pair) return std::unexpected(pair.error());
    request["Environment"][pair->first] = pair->second;
  }
  if (flags.checkpoint_uri) request["CheckpointConfig"]["S3Uri"] = command_line_location(*flags.checkpoint_uri);
  if (flags.network_isolation) request["EnableNetworkIsolation"] = true;
  if (flags.use_spot_instances) request["EnableManagedSpotTraining"] = true;
  if (flags.max_wait) request["StoppingCondition"]["MaxWaitTimeInSeconds"] = *flags.max_wait;
  if (flags.max_retry_attempts) request["RetryStrategy"]["MaximumRetryAttempts"] = *flags.max_retry_attempts;
  if (flags.job_name) {
    request["TrainingJobName"] = *flags.job_name;
  } else if (flags.base_job_name || !request.contains("TrainingJobName")) {
    const std::string base =
        flags.base_job_name ? *flags.base_job_name : base_name_from_image(algorithm.value("TrainingImage", ""));
    request["TrainingJobName"] = job::unique_job_name(base);
  }
  return request;
}

} // namespace sagerun::cli
