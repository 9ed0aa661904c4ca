#include "server/cloudwatch_members.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

#include "aws/credentials.hpp"
#include "server/cloudwatch_api.hpp"
#include "server/metric_stats.hpp"

namespace sagerun::server {
namespace {

using nlohmann::json;

std::unexpected<ApiError> wrong_type(const std::string& path, const char* expected) {
  return api_error(400, "SerializationException", "Unexpected value type for '" + path + "': expected " + expected);
}

std::unexpected<ApiError> constraint(const std::string& path, const std::string& value, const std::string& rule) {
  return api_error(400, "ValidationError",
                   "1 validation error detected: Value '" + value + "' at '" + path +
                       "' failed to satisfy constraint: " + rule);
}

constexpr std::array<std::string_view, 27> k_units = {
    "Seconds",          "Microseconds",     "Milliseconds", "Bytes",           "Kilobytes",        "Megabytes",
    "Gigabytes",        "Terabytes",        "Bits",         "Kilobits",        "Megabits",         "Gigabits",
    "Terabits",         "Percent",          "Count",        "Bytes/Second",    "Kilobytes/Second", "Megabytes/Second",
    "Gigabytes/Second", "Terabytes/Second", "Bits/Second",  "Kilobits/Second", "Megabits/Second",  "Gigabits/Second",
    "Terabits/Second",  "Count/Second",     "None"};

} // namespace

std::unexpected<ApiError> missing_parameter(std::string_view path) {
  return api_error(400, "MissingParameter", "The parameter " + std::string(path) + " is required.");
}

std::unexpected<ApiError> invalid_value(std::string message) {
  return api_error(400, "InvalidParameterValue", std::move(message));
}

std::unexpected<ApiError> invalid_combination(std::string message) {
  return api_error(400, "InvalidParameterCombination", std::move(message));
}

double wall_clock_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool is_standard_unit(std::string_view unit) { return std::ranges::find(k_units, unit) != k_units.end(); }

const json* Members::find(std::string_view member) const {
  if (!m_object.is_object()) return nullptr;
  const auto it = m_object.find(member);
  return it == m_object.end() || it->is_null() ? nullptr : &*it;
}

ApiResult<std::optional<std::string>> Members::string(std::string_view member, Need need, size_t min_length,
                                                      size_t max_length) const {
  const json* value = find(member);
  if (value == nullptr) {
    if (need == Need::required) return missing_parameter(path(member));
    return std::nullopt;
  }
  if (!value->is_string()) return wrong_type(path(member), "a string");
  const auto& text = value->get_ref<const std::string&>();
  if (text.size() < min_length)
    return constraint(path(member), text,
                      "Member must have length greater than or equal to " + std::to_string(min_length));
  if (text.size() > max_length)
    return constraint(path(member), text,
                      "Member must have length less than or equal to " + std::to_string(max_length));
  return text;
}

ApiResult<std::optional<int64_t>> Members::integer(std::string_view member, Need need) const {
  const json* value = find(member);
  if (value == nullptr) {
    if (need == Need::required) return missing_parameter(path(member));
    return std::nullopt;
  }
  if (!value->is_number_integer()) return wrong_type(path(member), "an integer");
  return value->get<int64_t>();
}

ApiResult<std::optional<bool>> Members::boolean(std::string_view member) const {
  const json* value = find(member);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) return wrong_type(path(member), "a boolean");
  return value->get<bool>();
}

ApiResult<std::optional<double>> Members::timestamp(std::string_view member, Need need) const {
  const json* value = find(member);
  if (value == nullptr) {
    if (need == Need::required) return missing_parameter(path(member));
    return std::nullopt;
  }
  if (value->is_number()) {
    const double seconds = value->get<double>();
    if (std::isfinite(seconds)) return seconds;
  } else if (value->is_string()) {
    if (auto time = aws::parse_timestamp(value->get_ref<const std::string&>())) {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time->time_since_epoch()).count();
      return static_cast<double>(ms) / 1000.0;
    }
    return invalid_value("The parameter " + path(member) + " must be a time in ISO 8601 (2024-01-01T00:00:00Z), not '" +
                         value->get<std::string>() + "'");
  }
  return wrong_type(path(member), "a timestamp (seconds since the epoch)");
}

ApiResult<const json*> Members::list(std::string_view member, Need need, size_t max_items) const {
  const json* value = find(member);
  if (value == nullptr) {
    if (need == Need::required) return missing_parameter(path(member));
    return nullptr;
  }
  if (!value->is_array()) return wrong_type(path(member), "a list");
  if (value->size() > max_items) {
    return invalid_value("The collection " + path(member) + " must not have a size greater than " +
                         std::to_string(max_items) + ".");
  }
  return value;
}

ApiResult<const json*> Members::structure(std::string_view member, Need need) const {
  const json* value = find(member);
  if (value == nullptr) {
    if (need == Need::required) return missing_parameter(path(member));
    return nullptr;
  }
  if (!value->is_object()) return wrong_type(path(member), "a structure");
  return value;
}

ApiResult<MetricRef> read_metric_ref(const Members& members) {
  MetricRef out;
  auto name_space = members.string("Namespace", Members::Need::required, 1, 255);
  if (!name_space) return std::unexpected(name_space.error());
  auto metric = members.string("MetricName", Members::Need::required, 1, 255);
  if (!metric) return std::unexpected(metric.error());
  auto dimensions = members.list("Dimensions", Members::Need::optional, 30);
  if (!dimensions) return std::unexpected(dimensions.error());
  out.namespace_name = **name_space;
  out.metric = **metric;
  for (size_t i = 0; *dimensions != nullptr && i < (*dimensions)->size(); ++i) {
    const Members dimension((**dimensions)[i], members.path("Dimensions.member." + std::to_string(i + 1) + "."));
    auto name = dimension.string("Name", Members::Need::required, 1, 255);
    if (!name) return std::unexpected(name.error());
    auto value = dimension.string("Value", Members::Need::required, 1, 1024);
    if (!value) return std::unexpected(value.error());
    out.dimensions.emplace_back(**name, **value);
  }
  return out;
}

ApiResult<int64_t> read_period(const Members& members) {
  auto period = members.integer("Period", Members::Need::required);
  if (!period) return std::unexpected(period.error());
  if (**period < 1) {
    return constraint(members.path("Period"), std::to_string(**period),
                      "Member must have value greater than or equal to 1");
  }
  if (!valid_period(**period)) {
    return invalid_value("The parameter " + members.path("Period") + " must be 1, 5, 10, 30 or a multiple of 60, not " +
                         std::to_string(**period) + ".");
  }
  return **period;
}

ApiResult<TimeRange> read_time_range(const Members& members, std::string_view message) {
  auto start = members.timestamp("StartTime", Members::Need::required);
  if (!start) return std::unexpected(start.error());
  auto end = members.timestamp("EndTime", Members::Need::required);
  if (!end) return std::unexpected(end.error());
  if (**start >= **end) return invalid_value(std::string(message));
  return TimeRange{**start, **end};
}

Expected<std::vector<store::MetricPoint>> points_of(store::Store& store, const MetricRef& name) {
  std::vector<store::MetricPoint> none;
  if (name.namespace_name != k_metrics_namespace || name.dimensions.size() != 1) return none;
  if (name.dimensions[0].first == k_job_dimension) {
    // The job's metric: every host's points, in time order.
    const std::string& job = name.dimensions[0].second;
    const auto row = store.index().find(job);
    if (!row || row->name != job) return none;
    auto series = store::read_metric_series(store.folder(row->name), row->instances);
    if (!series) return std::unexpected(series.error());
    std::vector<store::MetricPoint> points;
    for (const auto& one : *series)
      if (one.metric == name.metric) points.insert(points.end(), one.points.begin(), one.points.end());
    std::ranges::stable_sort(points, {}, &store::MetricPoint::timestamp);
    return points;
  }
  if (name.dimensions[0].first != k_host_dimension) return none;
  const auto host = parse_host_dimension(name.dimensions[0].second);
  if (!host) return none;
  const auto row = store.index().find(host->job);
  if (!row || row->name != host->job || host->host_index >= row->instances) return none;
  auto series = store::read_host_metric_series(store.folder(row->name), host->host_index);
  if (!series) return std::unexpected(series.error());
  for (auto& one : *series)
    if (one.metric == name.metric) return std::move(one.points);
  return none;
}

} // namespace sagerun::server
