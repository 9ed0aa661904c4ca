#pragma once
// `sagerun submit --script DIR --data DIR`: the seed layout in S3 (the script folder at
// PREFIX/script/, the data under PREFIX/), made the job's `training` channel. Planned first
// (no network: the request can then be validated with its final channel), uploaded after.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "aws/s3/uri.hpp"
#include "cli/aws_context.hpp"
#include "util/environment.hpp"

namespace sagerun::cli {

struct StagingFlags {
  std::string script;                         // --script DIR
  std::string data;                           // --data DIR
  std::optional<std::string> stage_to;        // --stage-to s3://bucket/prefix
  std::optional<std::string> s3_endpoint_url; // --s3-endpoint-url
};

void add_staging_flags(CLI::App& app, StagingFlags& flags);

struct StagingPlan {
  std::string script;
  std::string data;
  aws::s3::Location location; // key: the prefix, no trailing '/'
  std::string channel_uri;    // s3://bucket/prefix/
};

// Nothing to stage without --script or --data. Otherwise checks the folders, picks the prefix
// (--stage-to, else s3://<bucket of S3OutputPath>/<job>/input, as the SDK stages code beside the
// output) and points the request's `training` channel at it. `inputs` are the --input flags: a
// `training` one conflicts.
Expected<std::optional<StagingPlan>> plan_staging(const StagingFlags& flags, const std::vector<std::string>& inputs,
                                                  nlohmann::json& request);

// Uploads the plan's folders (S3: --s3-endpoint-url, else AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS).
Expected<void> stage(const StagingPlan& plan, const StagingFlags& flags, const AwsFlags& aws, const util::EnvMap& env);

} // namespace sagerun::cli
