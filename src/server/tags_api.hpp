#pragma once
// SageMaker's tag operations for training jobs: AddTags, ListTags, DeleteTags (JSON 1.1), over
// the jobs service, so the tags of the jobs `sagerun local` ran are served too. The inputs are
// checked against botocore's model (job::validate_tags_input); the tags live in the store's index.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "jobs/local_jobs.hpp"
#include "server/api_error.hpp"

namespace sagerun::server {

class TagsApi {
public:
  explicit TagsApi(jobs::LocalJobs& jobs) : m_jobs(jobs) {}

  // Whether `operation` (after "SageMaker.") is one of the tag operations.
  static bool serves(std::string_view operation);
  ApiResult<std::string> call(std::string_view operation, const nlohmann::json& body);

  // {"Tags": [every tag of the job, after]}.
  ApiResult<std::string> add_tags(const nlohmann::json& body);
  // {"Tags": […]}: one page holds them all (MaxResults is at least 50, a job has at most 50 tags),
  // so no NextToken is given, and one sent is refused.
  ApiResult<std::string> list_tags(const nlohmann::json& body);
  ApiResult<std::string> delete_tags(const nlohmann::json& body);

private:
  jobs::LocalJobs& m_jobs;
};

} // namespace sagerun::server
