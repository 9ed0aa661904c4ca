#pragma once
// The flags shared by `sagerun local` (and later `sagerun submit`) that build a
// CreateTrainingJob request, mirroring the SageMaker SDK's Estimator.

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "job/request.hpp"
#include "util/error.hpp"

namespace sagerun::cli {

struct JobFlags {
  std::string request_file; // JOB.json: the CreateTrainingJob request
  std::optional<std::string> image;
  std::optional<std::string> instance_type;
  std::optional<int> instance_count;
  std::vector<std::string> hyperparameters; // k=v
  std::vector<std::string> inputs;          // channel=URI
  std::optional<std::string> output;
  std::optional<int64_t> max_runtime;
  std::vector<std::string> environment; // K=V
  std::vector<std::string> metrics;     // Name=Regex
  std::optional<std::string> checkpoint_uri;
  std::optional<std::string> job_name;
  std::optional<std::string> base_job_name;
  std::optional<std::string> role;
  bool network_isolation = false;
  bool use_spot_instances = false;       // EnableManagedSpotTraining
  std::optional<int64_t> max_wait;       // StoppingCondition.MaxWaitTimeInSeconds
  std::optional<int> max_retry_attempts; // RetryStrategy.MaximumRetryAttempts
};

void add_job_flags(CLI::App& app, JobFlags& flags);

// The request as AWS JSON: the file's (if any) with the flags written over it, and a unique
// name from the base name when none is given. Validation is the caller's (job::parse_request).
Expected<nlohmann::json> build_request_json(const JobFlags& flags);

} // namespace sagerun::cli
