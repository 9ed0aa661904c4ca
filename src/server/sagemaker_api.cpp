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
         operation == "StopTrainingJob" || operation == "DeleteTrainingJob" || TagsApi::serves(operation);
}

ApiResult<std::string> SageMakerApi::call(std::string_view operation, const nlohmann::json& body) {
  if (operation == "DescribeTrainingJob") return describe_training_job(body);
  if (operation == "CreateTrainingJob") return create_training_job(body);
  if (operation == "ListTrainingJobs") return list_training_jobs(body);
  if (operation == "StopTrainingJob") return stop_training_job(body);
  if (operation == "DeleteTrainingJob") return delete_training_job(body);
  if (TagsApi::serves(operation)) return m_tags.call(operation, body);
  return api_error(400, "UnknownOperationException", "");
}

ApiResult<std::string> SageMakerApi::create_training_job(const nlohmann::json& body) {
  // Validated here, once: everything after works on the checked request.
  auto request = job::parse_request(body, m_options.uri_policy);
  if (!request) return std::unexpected(to_api_error(request.error()));
  if (auto runnable = runner::check_runnable(*request, m_options.runner_env); !runnable)
    return std::unexpected(to_api_error(runnable.error()));
  if (m_options.needs_image && request->image.empty()) {
    return validation_error("AlgorithmSpecification.TrainingImage: this server runs jobs in containers (--runtime "
                            "docker) and needs an image");
  }
  auto arn = m_scheduler.submit(*request);
  if (!arn) return std::unexpected(to_api_error(arn.error()));
  return json_text({{"TrainingJobArn", *arn}});
}

ApiResult<std::string> SageMakerApi::describe_training_job(const nlohmann::json& body) {
  auto name = job_name(body);
  if (!name) return std::unexpected(name.error());
  if (auto version = m_jobs.store().index().status_version(*name)) {
    if (auto answer = m_described.find(*version)) return std::move(*answer);
  }
  auto row = m_jobs.find(*name);
  if (!row) return std::unexpected(to_api_error(row.error()));
  std::string answer = json_text(jobs::describe_json(*row));
  if (!jobs::wants_runner(*row)) m_described.keep({row->sequence, row->status_json}, answer);
  return answer;
}

ApiResult<std::string> SageMakerApi::list_training_jobs(const nlohmann::json& body) {
  auto query = parse_list_query(body);
  if (!query) return std::unexpected(query.error());
  m_jobs.reconcile_all(); // a runner that died ends its job first: that moves the version on
  auto& index = m_jobs.store().index();
  const auto version = index.version();
  const std::string request = body.dump();
  if (version) {
    if (auto answer = m_listed.find(request, *version)) return std::move(*answer);
  }
  auto page = index.list(*query);
  if (!page) return std::unexpected(to_api_error(page.error()));
  std::string answer = jobs::list_page_text(*page);
  if (version) m_listed.keep(request, *version, answer);
  return answer;
}

ApiResult<std::string> SageMakerApi::stop_training_job(const nlohmann::json& body) {
  auto name = job_name(body);
  if (!name) return std::unexpected(name.error());
  if (auto stopped = m_jobs.stop(*name); !stopped) return std::unexpected(to_api_error(stopped.error()));
  return std::string("{}");
}

ApiResult<std::string> SageMakerApi::delete_training_job(const nlohmann::json& body) {
  if (auto message = job::validate_input("DeleteTrainingJobRequest", body); !message.empty())
    return validation_error(std::move(message));
  const std::string name = body["TrainingJobName"].get<std::string>();
  const auto version = m_jobs.store().index().status_version(name);
  auto removed = m_jobs.remove(name);
  if (!removed) return std::unexpected(to_api_error(removed.error()));
  // Its kept Describe answer goes with it; kept listings are stale already (the delete moved
  // the index's version on).
  if (version) m_described.forget(version->sequence);
  return std::string("{}");
}

} // namespace sagerun::server
