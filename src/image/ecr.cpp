#include "image/ecr.hpp"

namespace sagerun::image {
namespace {

// JsonClient reports a service error as "<operation>: <__type>: <message> (HTTP n)".
bool is_service_error(const util::Error& error, const std::string& operation, const std::string& code) {
  return error.message.starts_with(operation + ": " + code + ":") ||
         error.message.starts_with(operation + ": " + code + " ");
}

Expected<EcrRepository> repository_of(const nlohmann::json& repository, bool created) {
  EcrRepository result;
  result.name = repository.value("repositoryName", std::string());
  result.uri = repository.value("repositoryUri", std::string());
  result.created = created;
  if (result.name.empty()) return util::fail(util::ErrorKind::io, "ECR answered without a repositoryName");
  return result;
}

} // namespace

Expected<EcrRepository> ensure_repository(aws::JsonClient& ecr, const std::string& name,
                                          const std::string& registry_id) {
  const nlohmann::json query = {{"repositoryNames", {name}}, {"registryId", registry_id}};
  auto described = ecr.call("DescribeRepositories", query);
  if (described) {
    const auto& repositories = described->value("repositories", nlohmann::json::array());
    if (repositories.is_array() && !repositories.empty()) return repository_of(repositories.front(), false);
  } else if (!is_service_error(described.error(), "DescribeRepositories", "RepositoryNotFoundException")) {
    return std::unexpected(described.error());
  }
  auto created = ecr.call("CreateRepository", {{"repositoryName", name}, {"registryId", registry_id}});
  if (!created) {
    if (!is_service_error(created.error(), "CreateRepository", "RepositoryAlreadyExistsException")) {
      return std::unexpected(created.error());
    }
    auto again = ecr.call("DescribeRepositories", query);
    if (!again) return std::unexpected(again.error());
    const auto& repositories = again->value("repositories", nlohmann::json::array());
    if (!repositories.is_array() || repositories.empty()) {
      return util::fail(util::ErrorKind::io, "ECR says repository " + name + " exists but does not describe it");
    }
    return repository_of(repositories.front(), false);
  }
  return repository_of(created->value("repository", nlohmann::json::object()), true);
}

Expected<EcrLogin> get_login(aws::JsonClient& ecr, const std::string& registry_id) {
  auto answer = ecr.call("GetAuthorizationToken", {{"registryIds", {registry_id}}});
  if (!answer) return std::unexpected(answer.error());
  const auto& data = answer->value("authorizationData", nlohmann::json::array());
  if (!data.is_array() || data.empty() || !data.front().is_object()) {
    return util::fail(util::ErrorKind::io, "GetAuthorizationToken: no authorizationData in ECR's answer");
  }
  const auto& entry = data.front();
  auto login = decode_authorization_token(entry.value("authorizationToken", std::string()));
  if (!login) return std::unexpected(login.error());
  EcrLogin result{std::move(*login), {}};
  const auto endpoint = entry.value("proxyEndpoint", std::string());
  if (!endpoint.empty()) {
    auto host = registry_host(endpoint, "GetAuthorizationToken's proxyEndpoint");
    if (!host) return std::unexpected(host.error());
    result.host = *host;
  }
  return result;
}

} // namespace sagerun::image
