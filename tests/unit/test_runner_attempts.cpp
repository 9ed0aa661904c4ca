// The attempt bookkeeping alone (runner/attempts.hpp): what follows an interrupted attempt, an
// infrastructure failure and the job's own end, the retries RetryStrategy allows, MaxRuntime
// across attempts, the MaxWaitTime deadline, and the one rule for an infrastructure failure.

#include "runner/attempts.hpp"

#include <gtest/gtest.h>

namespace sagerun::runner {
namespace {

using job::SecondaryStatus;

AttemptPolicy spot_policy(int retries, std::optional<int> interrupt_after = std::nullopt, int interruptions = 1) {
  AttemptPolicy policy;
  policy.max_attempts = 1 + retries;
  policy.spot = true;
  if (interrupt_after) policy.rehearsal.interrupt_after = std::chrono::seconds(*interrupt_after);
  policy.rehearsal.interruptions = interruptions;
  policy.max_runtime_seconds = 100;
  policy.wait_deadline = 1000.0;
  return policy;
}

TEST(RunnerAttempts, AHostKilledFromOutsideIsTheInfrastructuresFailure) {
  EXPECT_TRUE(is_infrastructure_failure({137, false, false})); // train itself got SIGKILL
  EXPECT_FALSE(is_infrastructure_failure({137, true, false})); // train explained: the script was killed
  EXPECT_FALSE(is_infrastructure_failure({137, false, true})); // its memory limit: the job's doing
  EXPECT_FALSE(is_infrastructure_failure({1, false, false}));  // the script's exit code
  EXPECT_EQ(infrastructure_reason("algo-1", 137),
            "InternalServerError: algo-1 was killed by SIGKILL (9) from outside the job: its host was lost, not its "
            "script");
}

TEST(RunnerAttempts, RetriesAnInfrastructureFailureAsOftenAsAllowed) {
  Attempts attempts(spot_policy(2));
  const std::string why = infrastructure_reason("algo-1", 137);
  auto next = attempts.next(AttemptEnd::infrastructure_failed, why, 10);
  ASSERT_TRUE(next.restart);
  EXPECT_EQ(next.transitions,
            (std::vector<AttemptTransition>{
                {SecondaryStatus::starting,
                 "Restarting: attempt 2 of 3 after algo-1 was killed by SIGKILL (9) (InternalServerError)"}}));
  EXPECT_EQ(attempts.number(), 2);
  EXPECT_TRUE(attempts.next(AttemptEnd::infrastructure_failed, why, 11).restart);
  next = attempts.next(AttemptEnd::infrastructure_failed, why, 12);
  EXPECT_FALSE(next.restart); // three attempts: the job fails with the reason
  EXPECT_FALSE(next.out_of_wait);
  EXPECT_EQ(attempts.number(), 3);
}

TEST(RunnerAttempts, NoRetryStrategyMeansOneAttempt) {
  Attempts attempts(spot_policy(0));
  EXPECT_FALSE(attempts.next(AttemptEnd::infrastructure_failed, "InternalServerError: x", 1).restart);
  Attempts finished(spot_policy(3));
  EXPECT_FALSE(finished.next(AttemptEnd::finished, "AlgorithmError: exit 1", 1).restart);
}

TEST(RunnerAttempts, AnInterruptionRestartsWithoutUsingARetry) {
  Attempts attempts(spot_policy(1, 2));
  EXPECT_EQ(attempts.interrupt_after(), std::chrono::seconds(2));
  auto next = attempts.next(AttemptEnd::interrupted, "", 5);
  ASSERT_TRUE(next.restart);
  ASSERT_EQ(next.transitions.size(), 2u);
  EXPECT_EQ(next.transitions[0].status, SecondaryStatus::interrupted);
  EXPECT_EQ(next.transitions[0].message, "Job interrupted: spot capacity reclaimed (attempt 1); checkpoints saved");
  EXPECT_EQ(next.transitions[1].status, SecondaryStatus::starting);
  EXPECT_FALSE(attempts.interrupt_after()); // only the first attempt is reclaimed
  // The one retry is still there, and the reclaimed attempt widens the count.
  next = attempts.next(AttemptEnd::infrastructure_failed, "InternalServerError: algo-1 was lost", 6);
  ASSERT_TRUE(next.restart);
  EXPECT_EQ(next.transitions[0].message, "Restarting: attempt 3 of 3 after algo-1 was lost (InternalServerError)");
}

TEST(RunnerAttempts, TheRehearsalCanReclaimSeveralAttemptsAndOnlySpotOnes) {
  Attempts attempts(spot_policy(0, 1, 2));
  EXPECT_TRUE(attempts.next(AttemptEnd::interrupted, "", 1).restart);
  EXPECT_TRUE(attempts.interrupt_after());
  EXPECT_TRUE(attempts.next(AttemptEnd::interrupted, "", 2).restart);
  EXPECT_FALSE(attempts.interrupt_after());

  job::TrainingJobRequest on_demand;
  on_demand.spot.max_retry_attempts = 2;
  const auto policy = attempt_policy(on_demand, 100, SpotRehearsal{std::chrono::seconds(3), 1});
  EXPECT_EQ(policy.max_attempts, 3);
  EXPECT_FALSE(Attempts(policy).interrupt_after());
  EXPECT_FALSE(policy.wait_deadline);
}

TEST(RunnerAttempts, MaxWaitRunsFromCreationAndEndsTheJob) {
  job::TrainingJobRequest request;
  request.spot = {true, 60, 0};
  const auto policy = attempt_policy(request, 100, {});
  ASSERT_TRUE(policy.wait_deadline);
  EXPECT_EQ(*policy.wait_deadline, 160);
  Attempts attempts(policy);
  auto next = attempts.next(AttemptEnd::interrupted, "", 161); // past it: no restart
  EXPECT_FALSE(next.restart);
  EXPECT_TRUE(next.out_of_wait);
  EXPECT_TRUE(Attempts(policy).next(AttemptEnd::out_of_wait, "", 150).out_of_wait);
}

TEST(RunnerAttempts, MaxRuntimeCountsEveryAttemptsTraining) {
  Attempts attempts(spot_policy(1));
  EXPECT_EQ(attempts.training_seconds_left(), 100);
  attempts.add_training(30.5);
  attempts.next(AttemptEnd::interrupted, "", 1);
  attempts.add_training(80);
  EXPECT_EQ(attempts.trained_seconds(), 110.5);
  EXPECT_EQ(attempts.training_seconds_left(), 0);
}

} // namespace
} // namespace sagerun::runner
