#include "aws/sagemaker_client.hpp"

namespace sagerun::aws {

Expected<std::string> SageMakerClient::create_training_job(const nlohmann::json& request) {
  auto answer = m_client.call("CreateTrainingJob", request);
  if (!answer) return std::unexpected(answer.error());
  auto arn = string_member(*answer, "TrainingJobArn");
  if (arn.empty()) return util::fail(util::ErrorKind::io, "CreateTrainingJob: the answer has no TrainingJobArn");
  return arn;
}

Expected<nlohmann::json> SageMakerClient::describe_training_job(const std::string& name) {
  auto answer = m_client.call("DescribeTrainingJob", {{"TrainingJobName", name}});
  if (!answer) return std::unexpected(answer.error());
  if (!answer->is_object() || string_member(*answer, "TrainingJobStatus").empty()) {
    return util::fail(util::ErrorKind::io, "DescribeTrainingJob " + name + ": the answer has no TrainingJobStatus");
  }
  return answer;
}

Expected<TrainingJobPage> SageMakerClient::list_training_jobs(const TrainingJobFilter& filter,
                                                              const std::string& next_token) {
  nlohmann::json input = {{"SortBy", filter.sort_by}, {"SortOrder", filter.sort_order}};
  if (filter.name_contains) input["NameContains"] = *filter.name_contains;
  if (filter.status_equals) input["StatusEquals"] = *filter.status_equals;
  if (filter.max_results) input["MaxResults"] = *filter.max_results;
  if (!next_token.empty()) input["NextToken"] = next_token;
  auto answer = m_client.call("ListTrainingJobs", input);
  if (!answer) return std::unexpected(answer.error());
  TrainingJobPage page;
  if (const auto it = answer->find("TrainingJobSummaries"); it != answer->end() && it->is_array()) {
    page.summaries = *it;
  }
  page.next_token = string_member(*answer, "NextToken");
  return page;
}

Expected<void> SageMakerClient::stop_training_job(const std::string& name) {
  auto answer = m_client.call("StopTrainingJob", {{"TrainingJobName", name}});
  if (!answer) return std::unexpected(answer.error());
  return {};
}

Expected<void> SageMakerClient::delete_training_job(const std::string& name) {
  auto answer = m_client.call("DeleteTrainingJob", {{"TrainingJobName", name}});
  if (!answer) return std::unexpected(answer.error());
  return {};
}

std::string string_member(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return "";
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

} // namespace sagerun::aws
