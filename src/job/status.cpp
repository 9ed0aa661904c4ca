// The status in DescribeTrainingJob's shape: transitions, the Describe response, and the stored
// form (to_json / status_from_json).
#include "job/status.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

namespace sagerun::job {
namespace {

using nlohmann::json;

// Request members DescribeTrainingJob returns as given (besides those the typed view writes).
constexpr std::array k_echoed_members = {
    "HyperParameters",
    "AlgorithmSpecification",
    "RoleArn",
    "InputDataConfig",
    "OutputDataConfig",
    "ResourceConfig",
    "VpcConfig",
    "StoppingCondition",
    "EnableNetworkIsolation",
    "EnableInterContainerTrafficEncryption",
    "EnableManagedSpotTraining",
    "CheckpointConfig",
    "DebugHookConfig",
    "ExperimentConfig",
    "DebugRuleConfigurations",
    "TensorBoardOutputConfig",
    "ProfilerConfig",
    "ProfilerRuleConfigurations",
    "Environment",
    "RetryStrategy",
    "RemoteDebugConfig",
    "InfraCheckConfig",
};

void set_default(json& object, const char* key, json value) {
  if (!object.is_object()) return;
  if (const auto it = object.find(key); it == object.end() || it->is_null()) object[key] = std::move(value);
}

// The same in the object `out[parent]`, when there is one.
void set_default_in(json& out, const char* parent, const char* key, json value) {
  if (const auto it = out.find(parent); it != out.end()) set_default(*it, key, std::move(value));
}

// What SageMaker fills in its answer when the request left it out (the SageMaker SDK's attach
// indexes OutputDataConfig.KmsKeyId, for one). The typed view already wrote the runner's
// defaults: TrainingInputMode, VolumeSizeInGB, MaxRuntimeInSeconds, CompressionType and
// EnableNetworkIsolation.
void put_service_defaults(json& out) {
  set_default_in(out, "OutputDataConfig", "KmsKeyId", "");
  set_default_in(out, "AlgorithmSpecification", "EnableSageMakerMetricsTimeSeries", false);
  for (const char* flag :
       {"EnableNetworkIsolation", "EnableInterContainerTrafficEncryption", "EnableManagedSpotTraining"})
    set_default(out, flag, false);
  if (const auto channels = out.find("InputDataConfig"); channels != out.end() && channels->is_array()) {
    for (auto& channel : *channels) {
      set_default(channel, "CompressionType", "None");
      set_default(channel, "RecordWrapperType", "None");
    }
  }
}

void put_status_fields(json& out, const TrainingJobStatus& status) {
  out["TrainingJobName"] = status.job_name;
  out["TrainingJobArn"] = status.job_arn;
  if (!status.model_artifacts.empty()) out["ModelArtifacts"] = {{"S3ModelArtifacts", status.model_artifacts}};
  out["TrainingJobStatus"] = to_string(status.status);
  out["SecondaryStatus"] = to_string(status.secondary_status);
  if (!status.failure_reason.empty()) out["FailureReason"] = status.failure_reason;
  out["CreationTime"] = status.creation_time;
  if (status.training_start_time) out["TrainingStartTime"] = *status.training_start_time;
  if (status.training_end_time) out["TrainingEndTime"] = *status.training_end_time;
  out["LastModifiedTime"] = status.last_modified_time;
  json transitions = json::array();
  for (const auto& transition : status.transitions) {
    json item = {{"Status", to_string(transition.status)}, {"StartTime", transition.start_time}};
    if (transition.end_time) item["EndTime"] = *transition.end_time;
    item["StatusMessage"] = transition.message;
    transitions.push_back(std::move(item));
  }
  out["SecondaryStatusTransitions"] = std::move(transitions);
  json metrics = json::array();
  for (const auto& metric : status.final_metrics)
    metrics.push_back({{"MetricName", metric.name}, {"Value", metric.value}, {"Timestamp", metric.timestamp}});
  out["FinalMetricDataList"] = std::move(metrics);
  if (status.training_time_seconds) out["TrainingTimeInSeconds"] = *status.training_time_seconds;
  if (status.billable_time_seconds) out["BillableTimeInSeconds"] = *status.billable_time_seconds;
}

// Readers for status_from_json: absent (or null) optional fields keep their default; a present
// field of the wrong type is an error naming it.
enum class Need { optional, required };

class Reader {
public:
  explicit Reader(std::string where) : m_where(std::move(where)) {}

  const std::optional<util::Error>& error() const { return m_error; }

  void string(const json& object, const char* key, std::string& target, Need need = Need::optional) {
    const json* value = find(object, key, need);
    if (!value) return;
    if (!value->is_string()) return wrong(key, "a string");
    target = value->get<std::string>();
  }

  // A status name, parsed by `parse` (parse_job_status, parse_secondary_status).
  template <typename T, typename Parse>
  void status(const json& object, const char* key, T& target, Parse parse, Need need = Need::optional) {
    const json* value = find(object, key, need);
    if (!value) return;
    if (!value->is_string()) return wrong(key, "a string");
    const auto parsed = parse(value->get<std::string>());
    if (!parsed) {
      if (!m_error)
        m_error = util::Error{util::ErrorKind::invalid_input,
                              m_where + ": '" + key + "' has an unknown value '" + value->get<std::string>() + "'"};
      return;
    }
    target = *parsed;
  }

  void number(const json& object, const char* key, double& target, Need need = Need::optional) {
    const json* value = find(object, key, need);
    if (!value) return;
    if (!value->is_number()) return wrong(key, "a number (seconds since the epoch)");
    target = value->get<double>();
  }

  void number(const json& object, const char* key, std::optional<double>& target) {
    double value = 0;
    if (!find(object, key, Need::optional)) return;
    number(object, key, value);
    target = value;
  }

  void integer(const json& object, const char* key, std::optional<int64_t>& target) {
    const json* value = find(object, key, Need::optional);
    if (!value) return;
    if (!value->is_number_integer()) return wrong(key, "an integer");
    target = value->get<int64_t>();
  }

  const json* array(const json& object, const char* key) {
    const json* value = find(object, key, Need::optional);
    if (value && !value->is_array()) wrong(key, "a list");
    return value && value->is_array() ? value : nullptr;
  }

  const json* object(const json& parent, const char* key) {
    const json* value = find(parent, key, Need::optional);
    if (value && !value->is_object()) wrong(key, "an object");
    return value && value->is_object() ? value : nullptr;
  }

private:
  const json* find(const json& object, const char* key, Need need) {
    if (m_error) return nullptr;
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
      if (need == Need::required)
        m_error = util::Error{util::ErrorKind::invalid_input, m_where + ": '" + key + "' is missing"};
      return nullptr;
    }
    return &*it;
  }

  void wrong(const char* key, const char* expected) {
    if (!m_error)
      m_error = util::Error{util::ErrorKind::invalid_input, m_where + ": '" + key + "' must be " + expected};
  }

  std::string m_where;
  std::optional<util::Error> m_error;
};

} // namespace

TrainingJobStatus new_status(std::string job_name, std::string job_arn, double now, SecondaryStatus first,
                             std::string_view message) {
  TrainingJobStatus status;
  status.job_name = std::move(job_name);
  status.job_arn = std::move(job_arn);
  status.creation_time = now;
  status.last_modified_time = now;
  advance(status, first, now, message);
  return status;
}

json describe_json(const TrainingJobRequest& request, const TrainingJobStatus& status) {
  const json full = to_json(request);
  json out = json::object();
  for (const char* key : k_echoed_members)
    if (const auto it = full.find(key); it != full.end() && !it->is_null()) out[key] = *it;
  put_service_defaults(out);
  put_status_fields(out, status);
  return out;
}

json to_json(const TrainingJobStatus& status) {
  json out = json::object();
  put_status_fields(out, status);
  return out;
}

Expected<TrainingJobStatus> status_from_json(const json& json_status) {
  if (!json_status.is_object())
    return util::fail(util::ErrorKind::invalid_input, "training job status: must be a JSON object");
  TrainingJobStatus out;
  Reader read("training job status");
  read.string(json_status, "TrainingJobName", out.job_name, Need::required);
  read.string(json_status, "TrainingJobArn", out.job_arn);
  read.status(json_status, "TrainingJobStatus", out.status, parse_job_status, Need::required);
  read.status(json_status, "SecondaryStatus", out.secondary_status, parse_secondary_status);
  read.string(json_status, "FailureReason", out.failure_reason);
  if (const json* artifacts = read.object(json_status, "ModelArtifacts"))
    read.string(*artifacts, "S3ModelArtifacts", out.model_artifacts);
  read.number(json_status, "CreationTime", out.creation_time);
  read.number(json_status, "TrainingStartTime", out.training_start_time);
  read.number(json_status, "TrainingEndTime", out.training_end_time);
  read.number(json_status, "LastModifiedTime", out.last_modified_time);
  if (const json* transitions = read.array(json_status, "SecondaryStatusTransitions")) {
    for (size_t i = 0; i < transitions->size(); ++i) {
      const json& item = (*transitions)[i];
      Reader entry("training job status: SecondaryStatusTransitions[" + std::to_string(i) + "]");
      SecondaryStatusTransition transition;
      if (!item.is_object())
        return util::fail(util::ErrorKind::invalid_input, "training job status: SecondaryStatusTransitions[" +
                                                              std::to_string(i) + "] must be an object");
      entry.status(item, "Status", transition.status, parse_secondary_status, Need::required);
      entry.number(item, "StartTime", transition.start_time, Need::required);
      entry.number(item, "EndTime", transition.end_time);
      entry.string(item, "StatusMessage", transition.message);
      if (entry.error()) return std::unexpected(*entry.error());
      out.transitions.push_back(std::move(transition));
    }
  }
  if (const json* metrics = read.array(json_status, "FinalMetricDataList")) {
    for (size_t i = 0; i < metrics->size(); ++i) {
      const json& item = (*metrics)[i];
      const std::string where = "training job status: FinalMetricDataList[" + std::to_string(i) + "]";
      if (!item.is_object()) return util::fail(util::ErrorKind::invalid_input, where + " must be an object");
      Reader entry(where);
      MetricData metric;
      entry.string(item, "MetricName", metric.name, Need::required);
      entry.number(item, "Value", metric.value, Need::required);
      entry.number(item, "Timestamp", metric.timestamp);
      if (entry.error()) return std::unexpected(*entry.error());
      out.final_metrics.push_back(std::move(metric));
    }
  }
  read.integer(json_status, "TrainingTimeInSeconds", out.training_time_seconds);
  read.integer(json_status, "BillableTimeInSeconds", out.billable_time_seconds);
  if (read.error()) return std::unexpected(*read.error());
  return out;
}

double now_seconds() {
  // Milliseconds, as the service's timestamps carry.
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count()) / 1000.0;
}

} // namespace sagerun::job
