#include "server/sagemaker_api.hpp"

#include "job/names.hpp"
#include "runner/job_runner.hpp"
#include "server/json_text.hpp"
#include "server/list_jobs.hpp"
#include "server/params.hpp"

namespace sagerun::server {
namespace {

// TrainingJobName in Describe and Stop: the service checks length and pattern.
ApiResult<std::string> job_name(const nlohmann::json& body) {
  Params params(body);
  auto name = params.string("TrainingJobName",
                            {.min_length = 1,
                             .max_length = 63,
                             .pattern = "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
                             .matches = [](std::string_view text) { return job::is_valid_job_name(std::string(text)); },
                             .required = true});
  if (auto error = params.error()) return std::unexpected(*error);
  return *name;
}

} // namespace

bool SageMakerApi::serves(std::string_view operation) {
  return operation == "CreateTrainingJob" || operation == "DescribeTrainingJob" || operation == "ListTrainingJobs" ||
         operation == "StopTrainingJob";
}

ApiResult<std::string> SageMakerApi::call(std::string_view operation, const nlohmann::json& body) {
  if (operation == "DescribeTrainingJob") return describe_training_job(body);
  if (operation == "CreateTrainingJob") return create_training_job(body);
  if (operation == "ListTrainingJobs") return list_training_jobs(body);
  if (operation == "StopTrainingJob") return stop_training_job(body);
  return api_error(400, "UnknownOperationException", "");
}

ApiResult<std::string> SageMakerApi::create_training_job(const nlohmann::json& body) {
  if (auto message = job::validate_request(body, m_options.uri_policy); !message.empty()) {
    return validation_error(message);
  }
  auto request = job::parse_request(body, m_options.uri_policy);
  if (!request) return validation_error(request.error().message);
  if (auto supported = runner::check_supported(*request); !supported) {
    return validation_error(supported.error().message);
  }
  if (m_options.needs_image && request->image.empty()) {
    return validation_error("AlgorithmSpecification.TrainingImage: this server runs jobs in containers (--runtime "
                            "docker) and needs an image");
  }
  auto record = m_scheduler.submit(request->job_name, body, request->instance_count);
  if (!record) return std::unexpected(record.error());
  return json_text({{"TrainingJobArn", record->status.job_arn}});
}

ApiResult<std::string> SageMakerApi::describe_training_job(const nlohmann::json& body) {
  auto name = job_name(body);
  if (!name) return std::unexpected(name.error());
  auto text = m_table.describe(*name);
  if (!text) return validation_error("Requested resource not found.");
  return std::move(*text);
}

ApiResult<std::string> SageMakerApi::list_training_jobs(const nlohmann::json& body) {
  auto query = parse_list_query(body);
  if (!query) return std::unexpected(query.error());
  auto page = server::list_training_jobs(m_table.summaries(), *query);
  if (!page) return std::unexpected(page.error());
  return json_text(*page);
}

ApiResult<std::string> SageMakerApi::stop_training_job(const nlohmann::json& body) {
  auto name = job_name(body);
  if (!name) return std::unexpected(name.error());
  if (auto stopped = m_scheduler.stop_job(*name); !stopped) return std::unexpected(stopped.error());
  return std::string("{}");
}

} // namespace sagerun::server
