#pragma once
// What `sagerun image push` asks of ECR: the repository (created when missing) and a docker
// login from GetAuthorizationToken.

#include <string>

#include "aws/json_client.hpp"
#include "image/reference.hpp"

namespace sagerun::image {

struct EcrRepository {
  std::string name;
  std::string uri; // "<account>.dkr.ecr.<region>.amazonaws.com/<name>", as ECR gives it
  bool created = false;
};

// DescribeRepositories; CreateRepository when it answers RepositoryNotFoundException (and a
// creation that races another is fine: RepositoryAlreadyExistsException counts as found).
Expected<EcrRepository> ensure_repository(aws::JsonClient& ecr, const std::string& name,
                                          const std::string& registry_id);

struct EcrLogin {
  RegistryLogin login;
  std::string host; // the registry host from proxyEndpoint ("<account>.dkr.ecr.<region>.amazonaws.com")
};

// GetAuthorizationToken for the registry, decoded.
Expected<EcrLogin> get_login(aws::JsonClient& ecr, const std::string& registry_id);

} // namespace sagerun::image
