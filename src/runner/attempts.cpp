#include "runner/attempts.hpp"

#include <signal.h>

#include <algorithm>
#include <cstring>

namespace sagerun::runner {

bool is_infrastructure_failure(const HostEnd& end) {
  return end.exit_code > 128 && !end.wrote_failure && !end.out_of_memory;
}

std::string infrastructure_reason(const std::string& host, int exit_code) {
  const int signal = exit_code - 128;
  const char* name = sigabbrev_np(signal);
  return "InternalServerError: " + host + " was killed by " + (name ? "SIG" + std::string(name) : "a signal") + " (" +
         std::to_string(signal) + ") from outside the job: its host was lost, not its script";
}

AttemptPolicy attempt_policy(const job::TrainingJobRequest& request, double creation_time,
                             const SpotRehearsal& rehearsal) {
  AttemptPolicy policy;
  policy.max_attempts = 1 + std::max(0, request.spot.max_retry_attempts);
  policy.spot = request.spot.managed_spot;
  if (policy.spot) policy.rehearsal = rehearsal;
  policy.max_runtime_seconds = request.max_runtime_seconds;
  if (policy.spot && request.spot.max_wait_seconds)
    policy.wait_deadline = creation_time + static_cast<double>(*request.spot.max_wait_seconds);
  return policy;
}

std::optional<std::chrono::seconds> Attempts::interrupt_after() const {
  if (!m_policy.spot || !m_policy.rehearsal.interrupt_after || m_number > m_policy.rehearsal.interruptions)
    return std::nullopt;
  return m_policy.rehearsal.interrupt_after;
}

double Attempts::training_seconds_left() const {
  return std::max(0.0, static_cast<double>(m_policy.max_runtime_seconds) - m_trained);
}

NextAttempt Attempts::next(AttemptEnd how, const std::string& why, double now) {
  NextAttempt out;
  if (how == AttemptEnd::finished) return out;
  const bool waited_out = m_policy.wait_deadline && now >= *m_policy.wait_deadline;
  if (how == AttemptEnd::out_of_wait || waited_out) {
    out.out_of_wait = true;
    return out;
  }
  const std::string next_number = std::to_string(m_number + 1);
  if (how == AttemptEnd::interrupted) {
    // A reclaim is not a retry: the job goes on for as long as MaxWaitTimeInSeconds allows.
    out.transitions.push_back(
        {job::SecondaryStatus::interrupted,
         "Job interrupted: spot capacity reclaimed (attempt " + std::to_string(m_number) + "); checkpoints saved"});
    out.transitions.push_back({job::SecondaryStatus::starting,
                               "Restarting: attempt " + next_number + " on new spot capacity, from the checkpoints"});
  } else {
    if (m_retries + 1 >= m_policy.max_attempts) return out; // attempts exhausted: Failed with `why`
    // Reclaimed attempts do not count against RetryStrategy: the most there can be grows by them.
    const int most = m_policy.max_attempts + (m_number - 1 - m_retries);
    ++m_retries;
    // "InternalServerError: algo-1 was killed by SIGKILL (9) …" → "algo-1 was killed by SIGKILL (9)".
    std::string cause = why;
    if (const auto colon = cause.find(": "); colon != std::string::npos) cause = cause.substr(colon + 2);
    if (const auto from = cause.find(" from outside"); from != std::string::npos) cause.resize(from);
    const std::string code = why.substr(0, why.find(':'));
    out.transitions.push_back(
        {job::SecondaryStatus::starting,
         "Restarting: attempt " + next_number + " of " + std::to_string(most) + " after " + cause + " (" + code + ")"});
  }
  ++m_number;
  out.restart = true;
  return out;
}

} // namespace sagerun::runner
