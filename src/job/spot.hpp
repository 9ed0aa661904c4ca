#pragma once
// Managed spot training and RetryStrategy as CreateTrainingJob states them: the fields the
// runner acts on (read from the request), and the rules between them that the model's shapes
// cannot express. MaxWaitTimeInSeconds is the whole job's budget from its creation (waiting for
// capacity plus training, every attempt); MaxRuntimeInSeconds caps the training time of all the
// attempts together; MaximumRetryAttempts adds attempts after an infrastructure failure.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace sagerun::job {

struct SpotAndRetry {
  bool managed_spot = false;               // EnableManagedSpotTraining
  std::optional<int64_t> max_wait_seconds; // StoppingCondition.MaxWaitTimeInSeconds
  int max_retry_attempts = 0;              // RetryStrategy.MaximumRetryAttempts; 0: none asked

  bool operator==(const SpotAndRetry&) const = default;
};

// The fields of a request whose types were checked (members of other types keep the defaults).
SpotAndRetry read_spot_and_retry(const nlohmann::json& request);

// What the service answers a well-typed request that breaks the spot rules (MaxWaitTimeInSeconds
// without spot; spot without it, or with it below MaxRuntimeInSeconds), in its words; empty when
// none is broken.
std::string spot_problem(const nlohmann::json& request);

} // namespace sagerun::job
