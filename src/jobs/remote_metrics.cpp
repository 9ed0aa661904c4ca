#include "jobs/remote_metrics.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "aws/sagemaker_client.hpp"
#include "jobs/backend.hpp"
#include "store/job_folder.hpp"

namespace sagerun::jobs {
namespace {

// A DescribeTrainingJob time as epoch seconds (JSON 1.1 sends numbers); nullopt when absent.
std::optional<double> time_member(const nlohmann::json& description, const char* name) {
  const auto it = description.find(name);
  if (it == description.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// The MetricDefinitions' names, in their order.
std::vector<std::string> defined_names(const nlohmann::json& description) {
  std::vector<std::string> names;
  const auto algorithm = description.value("AlgorithmSpecification", nlohmann::json::object());
  for (const auto& definition : algorithm.value("MetricDefinitions", nlohmann::json::array()))
    if (definition.is_object()) names.push_back(aws::string_member(definition, "Name"));
  return names;
}

} // namespace

Expected<std::vector<store::MetricSeries>> read_remote_metrics(aws::CloudWatchClient& cloudwatch,
                                                               const nlohmann::json& description, int64_t period) {
  const std::string job = aws::string_member(description, "TrainingJobName");
  const auto defined = defined_names(description);
  const auto rank = [&](const std::string& name) {
    return std::ranges::find(defined, name) - defined.begin(); // the undefined after the defined
  };
  std::vector<aws::MetricStatQuery> queries;
  std::vector<store::MetricSeries> series;
  for (int host = 0; host < instance_count(description); ++host) {
    const std::string dimension = job + "/" + store::host_name(host);
    auto names = cloudwatch.list_metric_names(aws::k_training_metrics_namespace, dimension);
    if (!names) return std::unexpected(names.error());
    std::ranges::stable_sort(*names, {}, rank);
    for (const auto& name : *names) {
      queries.push_back({name, dimension, period, "Average"});
      series.push_back({name, host, {}});
    }
  }
  if (queries.empty()) return series;
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double from = time_member(description, "TrainingStartTime")
                          .value_or(time_member(description, "CreationTime").value_or(now - 14 * 86400));
  const double to = time_member(description, "TrainingEndTime").value_or(now);
  const auto step = static_cast<double>(period);
  auto data =
      cloudwatch.get_metric_data(aws::k_training_metrics_namespace, queries, std::floor(from / step) * step, to + step);
  if (!data) return std::unexpected(data.error());
  for (size_t i = 0; i < series.size(); ++i) {
    const auto& points = (*data)[i];
    for (size_t p = 0; p < points.timestamps.size(); ++p)
      series[i].points.push_back({points.timestamps[p], points.values[p]});
    std::ranges::stable_sort(series[i].points, {}, &store::MetricPoint::timestamp);
  }
  std::erase_if(series, [](const store::MetricSeries& one) { return one.points.empty(); });
  return series;
}

} // namespace sagerun::jobs
