#pragma once
// Where the CLI's describe, list, stop, rm, logs and metrics find jobs: this machine's store (LocalBackend)
// or a SageMaker API — SageMaker itself or a compatible endpoint such as `sagerun server`
// (RemoteBackend). Both answer in the service's JSON, so every command prints the same shapes
// whichever it talks to.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "store/index.hpp"
#include "store/metric_series.hpp"
#include "util/error.hpp"

namespace sagerun::jobs {

// A job's output as text (bytes as the hosts wrote them, each line prefixed "algo-N | " when
// there are several hosts) or as JSON lines ({"timestamp": ms, "host": "algo-1", "message": …}).
enum class LogFormat { text, json };

class LogReader {
public:
  virtual ~LogReader() = default;
  // Prints to stdout what is new since the last call; the number of events (or chunks) printed.
  virtual Expected<size_t> pump() = 0;
  // After the last pump: what is left of an unfinished line.
  virtual void finish() {}
};

class Backend {
public:
  virtual ~Backend() = default;
  // DescribeTrainingJob's answer.
  virtual Expected<nlohmann::json> describe(const std::string& name) = 0;
  // One page of ListTrainingJobs' answer ({"TrainingJobSummaries": […], "NextToken": …}).
  virtual Expected<nlohmann::json> list(const store::ListQuery& query) = 0;
  // StopTrainingJob (returns once the stop is asked; the job then ends on its own).
  virtual Expected<void> stop(const std::string& name) = 0;
  // DeleteTrainingJob: an ended job deleted entirely (ResourceNotFound, or ResourceInUse for a job
  // that has not ended); the disk it freed where that is known (this machine's store).
  virtual Expected<std::optional<uint64_t>> remove(const std::string& name) = 0;
  // The job's log reader; `description` is the job's DescribeTrainingJob answer.
  virtual Expected<std::unique_ptr<LogReader>> logs(const nlohmann::json& description, LogFormat format) = 0;
  // The job's metrics over time, by host then metric (store/metric_series.hpp); `description`
  // is the job's DescribeTrainingJob answer. Empty while none was published.
  virtual Expected<std::vector<store::MetricSeries>> metrics(const nlohmann::json& description) = 0;
};

// Whether a DescribeTrainingJob answer shows an ended job (Completed, Failed, Stopped).
bool has_ended(const nlohmann::json& description);

// The number of hosts a DescribeTrainingJob answer shows (ResourceConfig or its InstanceGroups).
int instance_count(const nlohmann::json& description);

// "{"timestamp": …, "host": …, "message": …}\n": one event of a JSON-lines log.
std::string log_event_json(int64_t timestamp_ms, const std::string& host, std::string_view message);

} // namespace sagerun::jobs
