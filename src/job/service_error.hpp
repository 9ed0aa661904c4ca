#pragma once
// The SageMaker errors a front end answers with, made in one place: the code and HTTP status
// SageMaker gives, and the message it words (util::Error carries both, so nobody parses them out).

#include <string>
#include <utility>

#include "util/error.hpp"

namespace sagerun::job {

inline util::Error validation_error(std::string message, util::ErrorKind kind = util::ErrorKind::invalid_input) {
  return {kind, std::move(message), "ValidationException", 400};
}

// DescribeTrainingJob, StopTrainingJob … of a name nobody created (SageMaker says no more).
inline util::Error job_not_found() {
  return validation_error("Requested resource not found.", util::ErrorKind::not_found);
}

// CreateTrainingJob of a name taken in any case; `what` names the job (its ARN, or where it is).
inline util::Error name_in_use(const std::string& what) {
  return {util::ErrorKind::invalid_input,
          "Training job names must be unique within an AWS account and region, and a training job with this name "
          "already exists (" +
              what + ")",
          "ResourceInUse", 400};
}

// AddTags, ListTags, DeleteTags of an ARN that names no training job here.
inline util::Error tagged_resource_not_found(const std::string& arn) {
  return validation_error("No training job has the ARN '" + arn +
                              "' (resourceArn): give the TrainingJobArn that CreateTrainingJob or DescribeTrainingJob "
                              "returned",
                          util::ErrorKind::not_found);
}

// AddTags that would leave a resource with more tags than SageMaker allows.
inline util::Error too_many_tags(const std::string& arn, size_t count, size_t most) {
  return validation_error("The training job " + arn + " would have " + std::to_string(count) +
                          " tags; a resource may have at most " + std::to_string(most) +
                          " (tags): remove some with DeleteTags first");
}

// DeleteTrainingJob of a name nobody created: the operation's own error (ResourceNotFound).
inline util::Error training_job_not_found(const std::string& name) {
  return {util::ErrorKind::not_found, "Training job " + name + " does not exist.", "ResourceNotFound", 400};
}

// DeleteTrainingJob of a job that has not ended (InProgress, Stopping, or Pending in a queue).
inline util::Error training_job_running(const std::string& name, const std::string& state) {
  return {util::ErrorKind::invalid_input,
          "Training job " + name + " is " + state + ": it is still running; stop it first (sagerun stop " + name +
              ", or StopTrainingJob) and delete it once it has ended",
          "ResourceInUse", 400};
}

inline util::Error limit_exceeded(std::string message) {
  return {util::ErrorKind::invalid_input, std::move(message), "ResourceLimitExceeded", 400};
}

} // namespace sagerun::job
