#pragma once
// The SageMaker training-job operations sagerun calls (JSON 1.1 over JsonClient): requests and
// answers are the service's JSON; errors keep the service's code and HTTP status as fields
// (util::Error::code) and in the message ("DescribeTrainingJob: ValidationException: Requested
// resource not found. (HTTP 400)").

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "aws/json_client.hpp"

namespace sagerun::aws {

struct TrainingJobFilter {
  std::optional<std::string> name_contains;
  std::optional<std::string> status_equals; // InProgress | Completed | Failed | Stopping | Stopped
  std::optional<int> max_results;           // per page, 1–100
  std::string sort_by = "CreationTime";     // Name | CreationTime | Status
  std::string sort_order = "Descending";    // Ascending | Descending
};

struct TrainingJobPage {
  nlohmann::json summaries = nlohmann::json::array(); // TrainingJobSummaries
  std::string next_token;                             // empty on the last page
};

class SageMakerClient {
public:
  explicit SageMakerClient(JsonClient client) : m_client(std::move(client)) {}

  // CreateTrainingJob with the request as given; the new job's ARN.
  Expected<std::string> create_training_job(const nlohmann::json& request);
  // DescribeTrainingJob's answer as the service sent it.
  Expected<nlohmann::json> describe_training_job(const std::string& name);
  // One page of ListTrainingJobs; `next_token` from the previous page (empty for the first).
  Expected<TrainingJobPage> list_training_jobs(const TrainingJobFilter& filter, const std::string& next_token);
  Expected<void> stop_training_job(const std::string& name);
  // DeleteTrainingJob: ResourceNotFound, or ResourceInUse for a job that has not ended.
  Expected<void> delete_training_job(const std::string& name);

private:
  JsonClient m_client;
};

// A JSON string member, or "" when it is missing or null (services send null for "absent").
std::string string_member(const nlohmann::json& object, const char* name);

} // namespace sagerun::aws
