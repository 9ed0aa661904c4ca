#include "job/lifecycle.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "contract/failure.hpp"
#include "job/status.hpp"

namespace sagerun::job {
namespace {

constexpr std::array<std::pair<JobStatus, std::string_view>, 6> k_job_statuses = {{
    {JobStatus::in_progress, "InProgress"},
    {JobStatus::completed, "Completed"},
    {JobStatus::failed, "Failed"},
    {JobStatus::stopping, "Stopping"},
    {JobStatus::stopped, "Stopped"},
    {JobStatus::deleting, "Deleting"},
}};

struct SecondaryInfo {
  SecondaryStatus status;
  std::string_view name;
  std::string_view message;
};

constexpr std::array<SecondaryInfo, 17> k_secondary = {{
    {SecondaryStatus::starting, "Starting", "Launching requested ML instances"},
    {SecondaryStatus::launching_ml_instances, "LaunchingMLInstances", "Launching requested ML instances"},
    {SecondaryStatus::preparing_training_stack, "PreparingTrainingStack", "Preparing the instances for training"},
    {SecondaryStatus::downloading, "Downloading", "Downloading input data"},
    {SecondaryStatus::downloading_training_image, "DownloadingTrainingImage", "Downloading the training image"},
    {SecondaryStatus::training, "Training", "Training image download completed. Training in progress."},
    {SecondaryStatus::uploading, "Uploading", "Uploading generated training model"},
    {SecondaryStatus::stopping, "Stopping", "Stopping the training job"},
    {SecondaryStatus::stopped, "Stopped", "Training job stopped"},
    {SecondaryStatus::max_runtime_exceeded, "MaxRuntimeExceeded", "Job stopped due to max runtime limit"},
    {SecondaryStatus::completed, "Completed", "Training job completed"},
    {SecondaryStatus::failed, "Failed", "Training job failed"},
    {SecondaryStatus::interrupted, "Interrupted", "Training job interrupted"},
    {SecondaryStatus::max_wait_time_exceeded, "MaxWaitTimeExceeded", "Job stopped due to max wait time limit"},
    {SecondaryStatus::updating, "Updating", "Updating the training job"},
    {SecondaryStatus::restarting, "Restarting", "Restarting the training job"},
    {SecondaryStatus::pending, "Pending", "Waiting for capacity"},
}};

const SecondaryInfo& info(SecondaryStatus status) {
  return *std::ranges::find(k_secondary, status, &SecondaryInfo::status);
}

// Closes the open transition and opens `next` (terminal stages close at once).
void move_to(TrainingJobStatus& status, SecondaryStatus next, double now, std::string_view message) {
  const std::string text(message.empty() ? default_message(next) : message);
  status.secondary_status = next;
  status.last_modified_time = now;
  auto open = std::ranges::find_if(status.transitions, [](const auto& t) { return !t.end_time; });
  if (open != status.transitions.end() && open->status == next && !is_terminal(next)) {
    open->message = text; // the same stage moving on: the service updates its message in place
    return;
  }
  for (auto& item : status.transitions)
    if (!item.end_time) item.end_time = now;
  SecondaryStatusTransition transition{next, now, std::nullopt, text};
  if (is_terminal(next)) transition.end_time = now;
  status.transitions.push_back(std::move(transition));
}

} // namespace

std::string_view to_string(JobStatus status) {
  return std::ranges::find(k_job_statuses, status, &std::pair<JobStatus, std::string_view>::first)->second;
}

std::string_view to_string(SecondaryStatus status) { return info(status).name; }

std::optional<JobStatus> parse_job_status(std::string_view text) {
  const auto it = std::ranges::find(k_job_statuses, text, &std::pair<JobStatus, std::string_view>::second);
  if (it == k_job_statuses.end()) return std::nullopt;
  return it->first;
}

std::optional<SecondaryStatus> parse_secondary_status(std::string_view text) {
  const auto it = std::ranges::find(k_secondary, text, &SecondaryInfo::name);
  if (it == k_secondary.end()) return std::nullopt;
  return it->status;
}

bool has_ended(JobStatus status) {
  return status == JobStatus::completed || status == JobStatus::failed || status == JobStatus::stopped;
}

bool is_terminal(SecondaryStatus status) {
  switch (status) {
  case SecondaryStatus::completed:
  case SecondaryStatus::failed:
  case SecondaryStatus::stopped:
  case SecondaryStatus::max_runtime_exceeded:
  case SecondaryStatus::interrupted:
  case SecondaryStatus::max_wait_time_exceeded: return true;
  default: return false;
  }
}

std::string_view default_message(SecondaryStatus status) { return info(status).message; }

std::string bounded_failure_reason(std::string_view reason) {
  if (reason.size() <= contract::k_failure_reason_limit) return std::string(reason);
  size_t end = contract::k_failure_reason_limit;
  // Back off continuation bytes (10xxxxxx) so a multi-byte character is not cut in half.
  while (end > 0 && (static_cast<unsigned char>(reason[end]) & 0xC0) == 0x80)
    --end;
  return std::string(reason.substr(0, end));
}

bool advance(TrainingJobStatus& status, SecondaryStatus stage, double now, std::string_view message) {
  // A stopping job still moves on (Uploading: SageMaker keeps what a stopped job made).
  if (has_ended(status.status)) return false;
  move_to(status, stage, now, message);
  return true;
}

bool begin_stopping(TrainingJobStatus& status, double now) {
  if (status.status != JobStatus::in_progress) return false;
  status.status = JobStatus::stopping;
  move_to(status, SecondaryStatus::stopping, now, {});
  return true;
}

bool complete(TrainingJobStatus& status, double now) {
  if (has_ended(status.status)) return false;
  status.status = JobStatus::completed;
  move_to(status, SecondaryStatus::completed, now, {});
  return true;
}

bool fail(TrainingJobStatus& status, std::string_view reason, double now) {
  if (has_ended(status.status)) return false;
  status.status = JobStatus::failed;
  status.failure_reason = bounded_failure_reason(reason);
  move_to(status, SecondaryStatus::failed, now, {});
  return true;
}

bool stopped(TrainingJobStatus& status, SecondaryStatus how, double now) {
  if (has_ended(status.status)) return false;
  status.status = JobStatus::stopped;
  move_to(status, how, now, {});
  return true;
}

} // namespace sagerun::job
