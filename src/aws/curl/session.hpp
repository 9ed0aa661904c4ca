#pragma once
// What every AWS client a process makes shares: one libcurl transport (its connections kept
// alive between requests) and one credentials chain for a profile, resolved on first use and
// refreshed before it expires.

#include <memory>
#include <optional>
#include <string>

#include "aws/credentials.hpp"
#include "aws/credentials_source.hpp"
#include "aws/http.hpp"
#include "util/environment.hpp"

namespace sagerun::aws {

class Session {
public:
  Session(util::EnvMap env, std::optional<std::string> profile);

  HttpClient& http() { return *m_http; }
  CredentialsProvider& provider() { return *m_provider; }
  // A source for the clients (JsonClient, s3::Client); valid while the session lives.
  CredentialsSource credentials();

private:
  std::unique_ptr<HttpClient> m_http;
  std::unique_ptr<CredentialsProvider> m_provider;
};

} // namespace sagerun::aws
