#pragma once
// Which URL each AWS service is reached at, and how S3 objects are addressed under it.

#include <optional>
#include <string>

#include "util/environment.hpp"

namespace sagerun::aws {

struct Endpoint {
  std::string url; // scheme://host[:port], no trailing slash
  bool path_style; // S3 addressing: ENDPOINT/BUCKET/KEY rather than BUCKET.HOST/KEY
  std::string signing_region;
};

// service: "s3", "sagemaker", "ecr", "logs", "monitoring" (CloudWatch), "sts". Precedence, as in
// the CLI: `flag` (--endpoint-url) → AWS_ENDPOINT_URL_<SERVICE> (S3, SAGEMAKER, ECR,
// CLOUDWATCH_LOGS, CLOUDWATCH, STS) →
// AWS_ENDPOINT_URL → the regional AWS endpoint (".amazonaws.com.cn" for cn- regions). The
// variables are ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true. Custom endpoints use
// path-style addressing; AWS's own S3 endpoint virtual-hosted style.
Endpoint resolve_endpoint(const std::string& service, const std::string& region, const util::EnvMap& env,
                          const std::optional<std::string>& flag);

// The URL of bucket/key under an S3 endpoint, the key URI-encoded with '/' kept, then "?query"
// when `query` (already encoded) is not empty. Buckets that cannot be a DNS label without breaking
// TLS (dots, upper case, underscores) are addressed path-style even on AWS. An empty key gives the
// bucket's own URL (for listing).
std::string s3_object_url(const Endpoint& endpoint, const std::string& bucket, const std::string& key,
                          const std::string& query = "");

// True when the bucket name can be the first label of a virtual-hosted S3 host name.
bool virtual_hostable_bucket(const std::string& bucket);

} // namespace sagerun::aws
