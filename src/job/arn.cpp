#include "job/arn.hpp"

#include "job/names.hpp"
#include "util/text.hpp"

namespace sagerun::job {

std::string aws_partition(std::string_view region) {
  if (region.starts_with("cn-")) return "aws-cn";
  if (region.starts_with("us-gov-")) return "aws-us-gov";
  return "aws";
}

std::string training_job_arn(const std::string& region, const std::string& account, const std::string& job_name) {
  return "arn:" + aws_partition(region) + ":sagemaker:" + region + ":" + account + ":training-job/" +
         util::ascii_lower(job_name);
}

std::optional<std::string> training_job_name_in(std::string_view arn) {
  // arn:partition:service:region:account:resource — five colons before the resource.
  std::string_view parts[5];
  size_t start = 0;
  for (auto& part : parts) {
    const size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos) return std::nullopt;
    part = arn.substr(start, colon - start);
    start = colon + 1;
  }
  constexpr std::string_view k_resource = "training-job/";
  const std::string_view resource = arn.substr(start);
  if (parts[0] != "arn" || !parts[1].starts_with("aws") || parts[2] != "sagemaker" || !resource.starts_with(k_resource))
    return std::nullopt;
  std::string name(resource.substr(k_resource.size()));
  if (!is_valid_job_name(name)) return std::nullopt;
  return name;
}

bool same_training_job(std::string_view arn, std::string_view other) {
  constexpr std::string_view k_resource = ":training-job/";
  const size_t at = arn.find(k_resource);
  if (at == std::string_view::npos || other.size() != arn.size() || other.substr(0, at) != arn.substr(0, at))
    return false;
  return util::ascii_lower(std::string(arn.substr(at))) == util::ascii_lower(std::string(other.substr(at)));
}

} // namespace sagerun::job
