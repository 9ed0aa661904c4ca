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

inline util::Error limit_exceeded(std::string message) {
  return {util::ErrorKind::invalid_input, std::move(message), "ResourceLimitExceeded", 400};
}

} // namespace sagerun::job
