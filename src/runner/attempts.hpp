#pragma once
// A job's attempts, as SageMaker strings them together: a managed spot job whose capacity is
// reclaimed (here: the rehearsal, `--interrupt-after`) and a job whose infrastructure failed
// (RetryStrategy) go on in a new attempt on fresh hosts, resuming from their checkpoints; a
// script's own failure never does. The bookkeeping is here, free of processes, so it is tested
// alone: which attempt this is, the training time left of MaxRuntimeInSeconds (all the attempts
// together), the MaxWaitTimeInSeconds deadline (from the job's creation), and what follows an
// attempt's end.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "job/lifecycle.hpp"
#include "job/request.hpp"

namespace sagerun::runner {

// `sagerun local|server --interrupt-after SECONDS [--interruptions N]`: reclaim a spot job's
// hosts SECONDS after each of its first N attempts started training.
struct SpotRehearsal {
  std::optional<std::chrono::seconds> interrupt_after;
  int interruptions = 1;
};

// How one host ended, as far as telling the script's failure from the infrastructure's goes.
struct HostEnd {
  int exit_code = 0;          // 128+N: ended by signal N
  bool wrote_failure = false; // output/failure exists: train (or the script) explained the end
  bool out_of_memory = false; // the runtime saw the host's memory limit kill it
};

// The one rule for "the infrastructure failed, not the script": the host itself was ended by a
// signal (train explains every end of its script in output/failure, so a signal end without one
// means train itself was killed from outside), and not by its memory limit (the job's own doing).
// Only asked of a host that ended before the runner signalled any.
bool is_infrastructure_failure(const HostEnd& end);

// FailureReason of a host the infrastructure lost.
std::string infrastructure_reason(const std::string& host, int exit_code);

enum class AttemptEnd {
  finished,    // completed, failed by the script, stopped, out of runtime: the job ends with it
  interrupted, // spot capacity reclaimed
  infrastructure_failed,
  out_of_wait, // MaxWaitTimeInSeconds passed
};

struct AttemptPolicy {
  int max_attempts = 1; // 1 + RetryStrategy.MaximumRetryAttempts
  bool spot = false;
  SpotRehearsal rehearsal; // only for spot jobs
  int64_t max_runtime_seconds = 86400;
  std::optional<double> wait_deadline; // seconds since the epoch: CreationTime + MaxWaitTimeInSeconds
};

AttemptPolicy attempt_policy(const job::TrainingJobRequest& request, double creation_time,
                             const SpotRehearsal& rehearsal);

struct AttemptTransition {
  job::SecondaryStatus status;
  std::string message;

  bool operator==(const AttemptTransition&) const = default;
};

// What follows an attempt: the job ends, or it restarts after these transitions (Interrupted,
// then Starting with the attempt's number and why).
struct NextAttempt {
  bool restart = false;
  bool out_of_wait = false; // the job ends Stopped, MaxWaitTimeExceeded
  std::vector<AttemptTransition> transitions;
};

class Attempts {
public:
  explicit Attempts(const AttemptPolicy& policy) : m_policy(policy) {}

  int number() const { return m_number; } // 1-based
  const AttemptPolicy& policy() const { return m_policy; }
  // The rehearsal's reclaim of this attempt, from its training start; nullopt: not interrupted.
  std::optional<std::chrono::seconds> interrupt_after() const;
  // MaxRuntimeInSeconds less the training of the attempts before (never below zero).
  double training_seconds_left() const;
  void add_training(double seconds) { m_trained += seconds; }
  double trained_seconds() const { return m_trained; }
  // After this attempt ended `how` at `now` (`why`: the infrastructure failure, as
  // infrastructure_reason words it): moves to the next attempt when there is one.
  NextAttempt next(AttemptEnd how, const std::string& why, double now);

private:
  AttemptPolicy m_policy;
  int m_number = 1;
  int m_retries = 0; // attempts begun after an infrastructure failure
  double m_trained = 0;
};

} // namespace sagerun::runner
