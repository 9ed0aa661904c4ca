#pragma once
// An S3 client's settings from flags and the environment, the same for the sagerun command and
// for train: region (a custom endpoint may do without one), endpoint and addressing, signing
// region, retries (AWS_MAX_ATTEMPTS) and the stall timeout (SAGERUN_HTTP_STALL_SECONDS).

#include <optional>
#include <string>

#include "aws/s3/client.hpp"
#include "util/environment.hpp"

namespace sagerun::aws::s3 {

Expected<ClientConfig> resolve_config(const util::EnvMap& env, const std::optional<std::string>& region_flag,
                                      const std::optional<std::string>& profile,
                                      const std::optional<std::string>& endpoint_flag);

} // namespace sagerun::aws::s3
