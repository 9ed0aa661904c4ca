#pragma once
// The SageMaker operations the server answers (JSON 1.1, X-Amz-Target "SageMaker.<Operation>"):
// CreateTrainingJob, DescribeTrainingJob, ListTrainingJobs, StopTrainingJob. Each takes the
// parsed request body and returns the response body, or the service's error.

#include <string>

#include <nlohmann/json.hpp>

#include "job/request.hpp"
#include "server/api_error.hpp"
#include "server/job_table.hpp"
#include "server/scheduler.hpp"

namespace sagerun::server {

struct SageMakerOptions {
  job::UriPolicy uri_policy = job::UriPolicy::sagemaker; // local: file:// locations too
  bool needs_image = false;                              // the docker runtime runs TrainingImage
};

class SageMakerApi {
public:
  SageMakerApi(JobTable& table, Scheduler& scheduler, SageMakerOptions options)
      : m_table(table), m_scheduler(scheduler), m_options(options) {}

  // Whether `operation` (the part of the target after "SageMaker.") is served.
  static bool serves(std::string_view operation);
  ApiResult<std::string> call(std::string_view operation, const nlohmann::json& body);

  ApiResult<std::string> create_training_job(const nlohmann::json& body);
  ApiResult<std::string> describe_training_job(const nlohmann::json& body);
  ApiResult<std::string> list_training_jobs(const nlohmann::json& body);
  ApiResult<std::string> stop_training_job(const nlohmann::json& body);

private:
  JobTable& m_table;
  Scheduler& m_scheduler;
  SageMakerOptions m_options;
};

} // namespace sagerun::server
