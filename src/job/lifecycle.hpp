#pragma once
// A training job's life as SageMaker tells it: TrainingJobStatus and SecondaryStatus as types,
// and the only functions that move a status record from one stage to the next. Every front end
// and the runner go through these, so "has it ended?", the Failed transition and its reason's
// length are written once.
//
//   InProgress: Pending → Starting → Downloading → Training → Uploading   (any may be skipped;
//               a Stopping job still moves on to Uploading)
//        ├──► Completed                    complete()
//        ├──► Failed (FailureReason)       fail()
//        └──► Stopping ──► Stopped | MaxRuntimeExceeded | MaxWaitTimeExceeded   begin_stopping(), stopped()
// Interrupted (a spot reclaim) closes at once and the job goes on: Starting again, a new attempt.
// A record that has ended never moves again: the functions return false and change nothing.

#include <optional>
#include <string>
#include <string_view>

namespace sagerun::job {

enum class JobStatus { in_progress, completed, failed, stopping, stopped, deleting };

enum class SecondaryStatus {
  starting,
  launching_ml_instances,
  preparing_training_stack,
  downloading,
  downloading_training_image,
  training,
  uploading,
  stopping,
  stopped,
  max_runtime_exceeded,
  completed,
  failed,
  interrupted,
  max_wait_time_exceeded,
  updating,
  restarting,
  pending,
};

std::string_view to_string(JobStatus status);
std::string_view to_string(SecondaryStatus status);
std::optional<JobStatus> parse_job_status(std::string_view text);
std::optional<SecondaryStatus> parse_secondary_status(std::string_view text);

// Completed, Failed, Stopped: the job has ended and its record is final.
bool has_ended(JobStatus status);
// Terminal secondary statuses close as they open (the service gives them an EndTime at once).
bool is_terminal(SecondaryStatus status);

// The message SageMaker shows for a stage ("Downloading input data").
std::string_view default_message(SecondaryStatus status);

struct TrainingJobStatus;

// InProgress stages (Pending, Starting, Downloading, Training, Uploading): closes the open
// transition and opens this one, or updates its message when it is the same stage.
bool advance(TrainingJobStatus& status, SecondaryStatus stage, double now, std::string_view message = {});
bool begin_stopping(TrainingJobStatus& status, double now);
bool complete(TrainingJobStatus& status, double now);
// `reason` is cut to contract::k_failure_reason_limit bytes (at a UTF-8 character boundary).
bool fail(TrainingJobStatus& status, std::string_view reason, double now);
// `how`: Stopped, or MaxRuntimeExceeded / MaxWaitTimeExceeded when the job ran out of time.
bool stopped(TrainingJobStatus& status, SecondaryStatus how, double now);

// The first contract::k_failure_reason_limit bytes of `reason`, not splitting a UTF-8 character.
std::string bounded_failure_reason(std::string_view reason);

} // namespace sagerun::job
