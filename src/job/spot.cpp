#include "job/spot.hpp"

namespace sagerun::job {
namespace {

using nlohmann::json;

const json& member_object(const json& parent, const char* key) {
  static const json empty = json::object();
  const auto it = parent.find(key);
  return it != parent.end() && it->is_object() ? *it : empty;
}

std::optional<int64_t> integer_at(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

// The request's MaxRuntimeInSeconds, or the service's default (one day) when it gives none.
constexpr int64_t k_default_max_runtime = 86400;

} // namespace

SpotAndRetry read_spot_and_retry(const json& request) {
  SpotAndRetry out;
  if (const auto spot = request.find("EnableManagedSpotTraining"); spot != request.end() && spot->is_boolean())
    out.managed_spot = spot->get<bool>();
  out.max_wait_seconds = integer_at(member_object(request, "StoppingCondition"), "MaxWaitTimeInSeconds");
  if (auto retries = integer_at(member_object(request, "RetryStrategy"), "MaximumRetryAttempts"))
    out.max_retry_attempts = static_cast<int>(*retries);
  return out;
}

std::string spot_problem(const json& request) {
  const SpotAndRetry spot = read_spot_and_retry(request);
  const int64_t max_runtime =
      integer_at(member_object(request, "StoppingCondition"), "MaxRuntimeInSeconds").value_or(k_default_max_runtime);
  // The first message is the service's own; the second words both of its cases (missing, too
  // small) as it does, with the values so the fix is plain.
  if (!spot.managed_spot && spot.max_wait_seconds)
    return "Invalid MaxWaitTimeInSeconds. It is only supported when EnableManagedSpotTraining is set to true";
  if (spot.managed_spot && !spot.max_wait_seconds)
    return "Invalid MaxWaitTimeInSeconds. It must be present and be greater than or equal to MaxRuntimeInSeconds "
           "when EnableManagedSpotTraining is set to true (StoppingCondition.MaxWaitTimeInSeconds is missing)";
  if (spot.managed_spot && *spot.max_wait_seconds < max_runtime)
    return "Invalid MaxWaitTimeInSeconds. It must be present and be greater than or equal to MaxRuntimeInSeconds "
           "(StoppingCondition.MaxWaitTimeInSeconds is " +
           std::to_string(*spot.max_wait_seconds) + ", MaxRuntimeInSeconds " + std::to_string(max_runtime) + ")";
  return "";
}

} // namespace sagerun::job
