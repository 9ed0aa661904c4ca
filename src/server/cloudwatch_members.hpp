#pragma once
// What the CloudWatch operations share: reading a request's members with the service's checks
// and errors, each member named by its query-protocol path (MetricDataQueries.member.1.Id), and
// finding the points of the metric a request names.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/api_error.hpp"
#include "store/metric_series.hpp"
#include "store/store.hpp"

namespace sagerun::server {

std::unexpected<ApiError> missing_parameter(std::string_view path);
std::unexpected<ApiError> invalid_value(std::string message);
std::unexpected<ApiError> invalid_combination(std::string message);

// One JSON object of the request; its members named `prefix` + member.
class Members {
public:
  Members(const nlohmann::json& object, std::string prefix) : m_object(object), m_prefix(std::move(prefix)) {}

  std::string path(std::string_view member) const { return m_prefix + std::string(member); }
  const nlohmann::json* find(std::string_view member) const;

  enum class Need { optional, required };
  // Lengths in bytes, as the model's min/max.
  ApiResult<std::optional<std::string>> string(std::string_view member, Need need, size_t min_length = 0,
                                               size_t max_length = SIZE_MAX) const;
  ApiResult<std::optional<int64_t>> integer(std::string_view member, Need need) const;
  ApiResult<std::optional<bool>> boolean(std::string_view member) const;
  // Epoch seconds (JSON 1.0 sends numbers); ISO 8601 text (the query protocol's) is read too.
  ApiResult<std::optional<double>> timestamp(std::string_view member, Need need) const;
  // A list (nullptr when absent), of at most `max_items`.
  ApiResult<const nlohmann::json*> list(std::string_view member, Need need, size_t max_items) const;
  // A structure (nullptr when absent).
  ApiResult<const nlohmann::json*> structure(std::string_view member, Need need) const;

private:
  const nlohmann::json& m_object;
  std::string m_prefix;
};

// A metric as a request names it: Namespace, MetricName, Dimensions.
struct MetricRef {
  std::string namespace_name;
  std::string metric;
  std::vector<std::pair<std::string, std::string>> dimensions; // name, value
};

// Reads Namespace, MetricName and Dimensions (each with Name and Value) of `members`.
ApiResult<MetricRef> read_metric_ref(const Members& members);

// The Period member: required, at least 1, and 1, 5, 10, 30 or a multiple of 60.
ApiResult<int64_t> read_period(const Members& members);

// The two dimensions SageMaker publishes a training metric under: per host ("Host" =
// "<job>/algo-N") and for the whole job ("TrainingJobName" = "<job>": every host's points, which
// the SDK's TrainingJobAnalytics reads).
inline constexpr std::string_view k_host_dimension = "Host";
inline constexpr std::string_view k_job_dimension = "TrainingJobName";

// The points of the metric named, in time order: none unless it is a training metric of a job
// (namespace, one dimension: Host of an existing job and host, or TrainingJobName of an existing
// job; a metric with points).
Expected<std::vector<store::MetricPoint>> points_of(store::Store& store, const MetricRef& name);

// StartTime and EndTime, with StartTime before EndTime; `message` says so otherwise.
struct TimeRange {
  double start = 0;
  double end = 0;
};
ApiResult<TimeRange> read_time_range(const Members& members, std::string_view message);

// Now, in seconds since the epoch (for CloudWatch's rounding by a query's age).
double wall_clock_seconds();

// The StandardUnit values; training metrics have none ("None").
bool is_standard_unit(std::string_view unit);

} // namespace sagerun::server
