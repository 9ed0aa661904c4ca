#pragma once
// A training job's status in DescribeTrainingJob's shape. Times are seconds since the epoch
// (fractional), as the JSON 1.1 protocol sends timestamps.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "job/lifecycle.hpp"
#include "job/request.hpp"
#include "util/error.hpp"

namespace sagerun::job {

struct SecondaryStatusTransition {
  SecondaryStatus status = SecondaryStatus::starting;
  double start_time = 0;
  std::optional<double> end_time;
  std::string message;
};

struct MetricData {
  std::string name;
  double value = 0;
  double timestamp = 0;
};

struct TrainingJobStatus {
  std::string job_name;
  std::string job_arn;
  JobStatus status = JobStatus::in_progress;
  SecondaryStatus secondary_status = SecondaryStatus::starting;
  std::string failure_reason;  // empty when none
  std::string model_artifacts; // S3ModelArtifacts; empty until known
  double creation_time = 0;
  std::optional<double> training_start_time;
  std::optional<double> training_end_time;
  double last_modified_time = 0;
  std::vector<SecondaryStatusTransition> transitions;
  std::vector<MetricData> final_metrics;
  std::optional<int64_t> training_time_seconds;
  std::optional<int64_t> billable_time_seconds;
};

// A new job's record: InProgress, in its first stage (Starting, or Pending when it waits).
TrainingJobStatus new_status(std::string job_name, std::string job_arn, double now,
                             SecondaryStatus first = SecondaryStatus::starting, std::string_view message = {});

// The DescribeTrainingJob response: the request's fields merged with the status.
nlohmann::json describe_json(const TrainingJobRequest& request, const TrainingJobStatus& status);

// The status fields only (what the state folder stores), and back.
nlohmann::json to_json(const TrainingJobStatus& status);
Expected<TrainingJobStatus> status_from_json(const nlohmann::json& json);

// Seconds since the epoch, now.
double now_seconds();

} // namespace sagerun::job
