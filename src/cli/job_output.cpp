#include "cli/job_output.hpp"

#include <cstdio>
#include <iterator>

#include "aws/sagemaker_client.hpp"
#include "cli/remote_context.hpp"

namespace sagerun::cli {
namespace {

using aws::string_member;

void print_metrics(std::FILE* out, const nlohmann::json& description, const char* prefix) {
  const auto metrics = description.find("FinalMetricDataList");
  if (metrics == description.end() || !metrics->is_array()) return;
  for (const auto& metric : *metrics) {
    if (!metric.is_object() || !metric.contains("Value") || !metric["Value"].is_number()) continue;
    std::fprintf(out, "%smetric %s = %g\n", prefix, string_member(metric, "MetricName").c_str(),
                 metric["Value"].get<double>());
  }
}

std::string model_of(const nlohmann::json& description) {
  return string_member(description.value("ModelArtifacts", nlohmann::json::object()), "S3ModelArtifacts");
}

} // namespace

std::string format_bytes(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  for (; value >= 1024 && unit + 1 < std::size(units); ++unit)
    value /= 1024;
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  return text;
}

void print_outcome(const nlohmann::json& description) {
  std::fprintf(stderr, "sagerun: job %s: %s (%s)\n", string_member(description, "TrainingJobName").c_str(),
               string_member(description, "TrainingJobStatus").c_str(),
               string_member(description, "SecondaryStatus").c_str());
  if (const auto reason = string_member(description, "FailureReason"); !reason.empty())
    std::fprintf(stderr, "sagerun: failure reason: %s\n", reason.c_str());
  if (const auto model = model_of(description); !model.empty())
    std::fprintf(stderr, "sagerun: model: %s\n", model.c_str());
  print_metrics(stderr, description, "sagerun: ");
}

void print_description(const nlohmann::json& description) {
  const auto line = [](const char* label, const std::string& value) {
    if (!value.empty() && value != "-") std::printf("%-12s %s\n", label, value.c_str());
  };
  line("Name", string_member(description, "TrainingJobName"));
  line("Status",
       string_member(description, "TrainingJobStatus") + " (" + string_member(description, "SecondaryStatus") + ")");
  line("Created", format_api_time(description.value("CreationTime", nlohmann::json())));
  line("Ended", format_api_time(description.value("TrainingEndTime", nlohmann::json())));
  line("Reason", string_member(description, "FailureReason"));
  line("Model", model_of(description));
  print_metrics(stdout, description, "");
  const auto transitions = description.find("SecondaryStatusTransitions");
  if (transitions == description.end() || !transitions->is_array()) return;
  for (const auto& transition : *transitions) {
    if (!transition.is_object()) continue;
    std::printf("%s  %-20s %s\n", format_api_time(transition.value("StartTime", nlohmann::json())).c_str(),
                string_member(transition, "Status").c_str(), string_member(transition, "StatusMessage").c_str());
  }
}

} // namespace sagerun::cli
