#include "aws/endpoints.hpp"

#include <algorithm>
#include <cctype>

#include "aws/http.hpp"

namespace sagerun::aws {
namespace {

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return c == '-' ? '_' : static_cast<char>(std::toupper(c)); });
  return text;
}

// The suffix of AWS_ENDPOINT_URL_<SERVICE>: the service's SDK id, upper case, spaces as '_'.
std::string variable_suffix(const std::string& service) {
  if (service == "logs") return "CLOUDWATCH_LOGS";
  if (service == "monitoring") return "CLOUDWATCH";
  return upper(service);
}

// The host of the regional endpoint, before ".amazonaws.com".
std::string host_prefix(const std::string& service, const std::string& region) {
  if (service == "sagemaker" || service == "ecr") return "api." + service + "." + region;
  return service + "." + region;
}

std::string without_trailing_slash(std::string url) {
  while (url.ends_with('/'))
    url.pop_back();
  return url;
}

} // namespace

Endpoint resolve_endpoint(const std::string& service, const std::string& region, const util::EnvMap& env,
                          const std::optional<std::string>& flag) {
  std::optional<std::string> custom = flag && !flag->empty() ? flag : std::nullopt;
  const auto ignore = util::lookup_nonempty(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  const bool use_variables = !ignore || (*ignore != "true" && *ignore != "TRUE" && *ignore != "True");
  if (!custom && use_variables) custom = util::lookup_nonempty(env, "AWS_ENDPOINT_URL_" + variable_suffix(service));
  if (!custom && use_variables) custom = util::lookup_nonempty(env, "AWS_ENDPOINT_URL");
  if (custom) return {without_trailing_slash(*custom), true, region};
  const auto domain = region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
  return {"https://" + host_prefix(service, region) + domain, false, region};
}

bool virtual_hostable_bucket(const std::string& bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  const auto edge = [](unsigned char c) { return std::islower(c) || std::isdigit(c); };
  if (!edge(bucket.front()) || !edge(bucket.back())) return false;
  return std::all_of(bucket.begin(), bucket.end(), [&](unsigned char c) { return edge(c) || c == '-'; });
}

std::string s3_object_url(const Endpoint& endpoint, const std::string& bucket, const std::string& key,
                          const std::string& query) {
  const auto encoded_key = uri_encode(key, true);
  const auto suffix = query.empty() ? std::string() : "?" + query;
  const auto url = parse_url(endpoint.url);
  if (!endpoint.path_style && url && virtual_hostable_bucket(bucket)) {
    auto path = url->path == "/" ? std::string() : url->path;
    return url->scheme + "://" + bucket + "." + url->authority() + path + "/" + encoded_key + suffix;
  }
  const auto bucket_url = endpoint.url + "/" + uri_encode(bucket, false);
  return (key.empty() ? bucket_url : bucket_url + "/" + encoded_key) + suffix;
}

} // namespace sagerun::aws
