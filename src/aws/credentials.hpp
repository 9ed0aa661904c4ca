#pragma once
// Where sagerun's AWS credentials and region come from, in the AWS CLI's order:
// explicit options → environment → the profile in ~/.aws/credentials, then ~/.aws/config →
// container credentials (ECS, EKS pod identity) → EC2 instance metadata (IMDSv2).
// No secret ever appears in an error message.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "aws/credentials_types.hpp"
#include "aws/http.hpp"
#include "util/environment.hpp"
#include "util/error.hpp"

namespace sagerun::aws {

struct CredentialOptions {
  std::optional<std::string> access_key{}, secret_key{}, session_token{}, profile{};
};

struct ResolvedCredentials {
  Credentials credentials;
  // "flags", "environment", "shared-credentials-file", "config-file", "container", "instance-metadata"
  std::string source;
  std::optional<std::chrono::system_clock::time_point> expiration; // set for temporary credentials
};

// Walks the chain once. Like the CLI, a --profile flag (options.profile) sets the environment's
// keys aside, while AWS_PROFILE does not; a profile that was named but exists nowhere is an error,
// as are partial keys (an access key without its secret). When no source has credentials the
// error lists what was tried and what to set.
Expected<ResolvedCredentials> resolve_credentials(const util::EnvMap& env, const CredentialOptions& options,
                                                  HttpClient& http);

// Resolves on first use and caches; temporary credentials are resolved again 5 minutes before
// they expire. Thread-safe: parallel transfers share one provider, and only one of them refreshes.
class CredentialsProvider {
public:
  CredentialsProvider(util::EnvMap env, CredentialOptions options, HttpClient& http);

  Expected<Credentials> get();
  // The source of the credentials last handed out; empty before the first successful get().
  std::string source() const;

  static constexpr std::chrono::minutes k_refresh_before_expiry{5};

private:
  util::EnvMap m_env;
  CredentialOptions m_options;
  HttpClient& m_http;
  mutable std::mutex m_mutex;
  std::optional<ResolvedCredentials> m_current;
};

// flag → AWS_REGION → AWS_DEFAULT_REGION → `region` of the profile → an error naming what to set.
Expected<std::string> resolve_region(const util::EnvMap& env, const std::optional<std::string>& flag);
// The same, for a profile named by a --profile flag rather than AWS_PROFILE.
Expected<std::string> resolve_region(const util::EnvMap& env, const std::optional<std::string>& flag,
                                     const std::optional<std::string>& profile);

// ISO 8601 timestamps as credential endpoints write them ("2024-01-01T00:00:00Z", fractions and
// "+HH:MM" offsets accepted); nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_timestamp(std::string_view text);
// "2024-01-01T00:00:00Z", UTC, whole seconds.
std::string format_timestamp(std::chrono::system_clock::time_point time);

} // namespace sagerun::aws
