#include "dashboard/job_rows.hpp"

namespace sagerun::dashboard {
namespace {

nlohmann::json time_or_null(const std::optional<double>& time) {
  return time ? nlohmann::json(*time) : nlohmann::json(nullptr);
}

} // namespace

nlohmann::json job_row(const store::JobRow& row) {
  const auto& status = row.status;
  const auto& resources = row.request.contains("ResourceConfig") ? row.request["ResourceConfig"] : nlohmann::json();
  auto metrics = nlohmann::json::array();
  for (const auto& metric : status.final_metrics)
    metrics.push_back({{"name", metric.name}, {"value", metric.value}});
  return {{"name", row.name},
          {"status", job::to_string(status.status)},
          {"secondaryStatus", job::to_string(status.secondary_status)},
          {"instanceType", resources.value("InstanceType", "")},
          {"instanceCount", resources.value("InstanceCount", row.instances)},
          {"created", status.creation_time},
          {"trainingStart", time_or_null(status.training_start_time)},
          {"ended", time_or_null(status.training_end_time)},
          {"finalMetrics", std::move(metrics)}};
}

} // namespace sagerun::dashboard
