#include "server/tags_api.hpp"

#include "job/tags.hpp"
#include "server/json_text.hpp"

namespace sagerun::server {
namespace {

// The input checked as the service checks it, or its ValidationException.
std::optional<ApiError> checked(std::string_view operation, const nlohmann::json& body) {
  auto message = job::validate_tags_input(operation, body);
  if (message.empty()) return std::nullopt;
  return ApiError{400, "ValidationException", std::move(message)};
}

std::string tags_answer(const std::vector<job::Tag>& tags) { return json_text({{"Tags", job::tags_json(tags)}}); }

} // namespace

bool TagsApi::serves(std::string_view operation) {
  return operation == "AddTags" || operation == "ListTags" || operation == "DeleteTags";
}

ApiResult<std::string> TagsApi::call(std::string_view operation, const nlohmann::json& body) {
  if (operation == "AddTags") return add_tags(body);
  if (operation == "ListTags") return list_tags(body);
  if (operation == "DeleteTags") return delete_tags(body);
  return api_error(400, "UnknownOperationException", "");
}

ApiResult<std::string> TagsApi::add_tags(const nlohmann::json& body) {
  if (auto error = checked("AddTags", body)) return std::unexpected(*error);
  auto tags = m_jobs.add_tags(body["ResourceArn"].get<std::string>(), job::read_tags(body["Tags"]));
  if (!tags) return std::unexpected(to_api_error(tags.error()));
  return tags_answer(*tags);
}

ApiResult<std::string> TagsApi::list_tags(const nlohmann::json& body) {
  if (auto error = checked("ListTags", body)) return std::unexpected(*error);
  if (const auto token = body.find("NextToken"); token != body.end() && token->is_string() && !token->empty())
    return validation_error("Invalid pagination token: NextToken was not returned by this API (ListTags answers "
                            "every tag of a job at once); send the request without it");
  auto tags = m_jobs.tags(body["ResourceArn"].get<std::string>());
  if (!tags) return std::unexpected(to_api_error(tags.error()));
  return tags_answer(*tags);
}

ApiResult<std::string> TagsApi::delete_tags(const nlohmann::json& body) {
  if (auto error = checked("DeleteTags", body)) return std::unexpected(*error);
  std::vector<std::string> keys;
  for (const auto& key : body["TagKeys"])
    keys.push_back(key.get<std::string>());
  if (auto deleted = m_jobs.delete_tags(body["ResourceArn"].get<std::string>(), keys); !deleted)
    return std::unexpected(to_api_error(deleted.error()));
  return std::string("{}");
}

} // namespace sagerun::server
