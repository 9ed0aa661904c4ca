#pragma once
// Image references and registries, checked before anything talks to a daemon or a registry:
// repository names and tags (ECR's and the distribution spec's rules), registry hosts, ECR's
// host names, and ECR authorization tokens.

#include <optional>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace sagerun::image {

// A repository name as ECR accepts it (2–256 characters; lower-case components separated by
// '/', each of [a-z0-9] runs joined by one '.', '_' or '-'). The error names `what` (the flag).
Expected<void> check_repository_name(std::string_view name, std::string_view what);
// A tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
Expected<void> check_tag(std::string_view tag, std::string_view what);

// "host[:port]" from what a user or an ECR answer gives: a bare host, "host:port", or a URL
// ("https://host", a trailing '/'). Errors name `what`.
Expected<std::string> registry_host(std::string_view text, std::string_view what);

struct EcrHost {
  std::string account; // 12 digits
  std::string region;
};
// Parses "<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]"; nullopt for any other host.
std::optional<EcrHost> parse_ecr_host(std::string_view host);
// The registry host of an account in a region (".amazonaws.com.cn" for the cn- regions).
std::string ecr_host(const std::string& account, const std::string& region);

struct RegistryLogin {
  std::string username;
  std::string password; // a secret: never on a command line, in the environment or a log
};
// ECR's authorizationToken: base64 of "user:password".
Expected<RegistryLogin> decode_authorization_token(std::string_view token);

// "host/repository:tag".
std::string image_uri(const std::string& host, const std::string& repository, const std::string& tag);

// The digest ("sha256:…") of host/repository among an image's RepoDigests (the JSON array
// `docker image inspect -f '{{json .RepoDigests}}'` prints); nullopt when none matches.
std::optional<std::string> find_repo_digest(std::string_view repo_digests_json, const std::string& host,
                                            const std::string& repository);

} // namespace sagerun::image
