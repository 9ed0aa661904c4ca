#pragma once
// The SageMaker operations the server answers (JSON 1.1, X-Amz-Target "SageMaker.<Operation>"):
// CreateTrainingJob, DescribeTrainingJob, ListTrainingJobs, StopTrainingJob, DeleteTrainingJob, and the tag
// operations AddTags, ListTags, DeleteTags (tags_api.hpp), over the jobs service — the store every front end shares, so
// the jobs `sagerun local` ran show here too. Each takes the parsed request body and returns the response body, or the
// service's error.

#include <string>

#include <nlohmann/json.hpp>

#include "job/request.hpp"
#include "jobs/local_jobs.hpp"
#include "server/api_error.hpp"
#include "server/describe_cache.hpp"
#include "server/list_cache.hpp"
#include "server/scheduler.hpp"
#include "server/tags_api.hpp"
#include "util/environment.hpp"

namespace sagerun::server {

struct SageMakerOptions {
  job::UriPolicy uri_policy = job::UriPolicy::sagemaker; // local: file:// locations too
  bool needs_image = false;                              // the docker runtime runs TrainingImage
  util::EnvMap runner_env;                               // what the runners get: checked at creation
};

class SageMakerApi {
public:
  SageMakerApi(jobs::LocalJobs& jobs, Scheduler& scheduler, SageMakerOptions options)
      : m_jobs(jobs), m_scheduler(scheduler), m_options(std::move(options)), m_tags(jobs) {}

  // Whether `operation` (the part of the target after "SageMaker.") is served.
  static bool serves(std::string_view operation);
  ApiResult<std::string> call(std::string_view operation, const nlohmann::json& body);

  ApiResult<std::string> create_training_job(const nlohmann::json& body);
  ApiResult<std::string> describe_training_job(const nlohmann::json& body);
  ApiResult<std::string> list_training_jobs(const nlohmann::json& body);
  ApiResult<std::string> stop_training_job(const nlohmann::json& body);
  ApiResult<std::string> delete_training_job(const nlohmann::json& body);

private:
  jobs::LocalJobs& m_jobs;
  Scheduler& m_scheduler;
  SageMakerOptions m_options;
  DescribeCache m_described;
  ListCache m_listed;
  TagsApi m_tags;
};

} // namespace sagerun::server
