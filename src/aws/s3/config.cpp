#include "aws/s3/config.hpp"

#include <algorithm>
#include <cstdlib>

#include "aws/credentials.hpp"
#include "aws/endpoints.hpp"
#include "util/settings.hpp"

namespace sagerun::aws::s3 {

Expected<ClientConfig> resolve_config(const util::EnvMap& env, const std::optional<std::string>& region_flag,
                                      const std::optional<std::string>& profile,
                                      const std::optional<std::string>& endpoint_flag) {
  auto region = resolve_region(env, region_flag, profile);
  // An S3-compatible server signs with any region; AWS itself needs the right one.
  const std::string chosen = region ? *region : "us-east-1";
  const auto endpoint = resolve_endpoint("s3", chosen, env, endpoint_flag);
  if (!region && endpoint.url.find("amazonaws.com") != std::string::npos) return std::unexpected(region.error());
  auto retry = retry_policy_from(env);
  if (!retry) return std::unexpected(retry.error());
  ClientConfig config{endpoint.url, endpoint.path_style,
                      endpoint.signing_region.empty() ? chosen : endpoint.signing_region, *retry};
  auto stall = util::integer_setting(env, "SAGERUN_HTTP_STALL_SECONDS", {.min = 1, .max = 3600, .unit = "of seconds"});
  if (!stall) return std::unexpected(stall.error());
  if (*stall) config.stall_timeout = std::chrono::seconds(**stall);
  return config;
}

} // namespace sagerun::aws::s3
