#include "aws/s3/config.hpp"

#include <algorithm>
#include <cstdlib>

#include "aws/credentials.hpp"
#include "aws/endpoints.hpp"

namespace sagerun::aws::s3 {

Expected<ClientConfig> resolve_config(const util::EnvMap& env, const std::optional<std::string>& region_flag,
                                      const std::optional<std::string>& profile,
                                      const std::optional<std::string>& endpoint_flag) {
  auto region = resolve_region(env, region_flag, profile);
  // An S3-compatible server signs with any region; AWS itself needs the right one.
  const std::string chosen = region ? *region : "us-east-1";
  const auto endpoint = resolve_endpoint("s3", chosen, env, endpoint_flag);
  if (!region && endpoint.url.find("amazonaws.com") != std::string::npos) return std::unexpected(region.error());
  ClientConfig config{endpoint.url, endpoint.path_style,
                      endpoint.signing_region.empty() ? chosen : endpoint.signing_region, retry_policy_from(env)};
  if (const auto stall = util::lookup(env, "SAGERUN_HTTP_STALL_SECONDS")) {
    config.stall_timeout = std::chrono::seconds(std::max(1, std::atoi(stall->c_str())));
  }
  return config;
}

} // namespace sagerun::aws::s3
