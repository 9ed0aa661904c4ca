#include "aws/curl/session.hpp"

#include <utility>

#include "aws/curl/curl_client.hpp"

namespace sagerun::aws {

Session::Session(util::EnvMap env, std::optional<std::string> profile) : m_http(make_curl_client()) {
  CredentialOptions options;
  options.profile = std::move(profile);
  m_provider = std::make_unique<CredentialsProvider>(std::move(env), std::move(options), *m_http);
}

CredentialsSource Session::credentials() {
  return [provider = m_provider.get()] { return provider->get(); };
}

} // namespace sagerun::aws
