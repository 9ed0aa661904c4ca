// A job's life: the transitions and their rules, written once for every front end and the runner.
#include <gtest/gtest.h>

#include "job/lifecycle.hpp"
#include "job/status.hpp"

namespace sagerun::job {
namespace {

TrainingJobStatus started(double now = 10) { return new_status("j", "arn:j", now); }

TEST(Lifecycle, StagesCloseTheOpenOne) {
  auto status = started();
  ASSERT_EQ(status.transitions.size(), 1u);
  EXPECT_EQ(status.transitions[0].status, SecondaryStatus::starting);
  EXPECT_EQ(status.transitions[0].message, "Launching requested ML instances");
  EXPECT_FALSE(status.transitions[0].end_time);
  EXPECT_EQ(status.last_modified_time, 10);

  EXPECT_TRUE(advance(status, SecondaryStatus::downloading, 20));
  ASSERT_EQ(status.transitions.size(), 2u);
  EXPECT_EQ(status.transitions[0].end_time, 20);
  EXPECT_FALSE(status.transitions[1].end_time);
  EXPECT_EQ(status.transitions[1].message, "Downloading input data");

  // The same stage again only updates its message.
  EXPECT_TRUE(advance(status, SecondaryStatus::downloading, 25, "Downloaded 2 files"));
  ASSERT_EQ(status.transitions.size(), 2u);
  EXPECT_EQ(status.transitions[1].message, "Downloaded 2 files");
  EXPECT_EQ(status.last_modified_time, 25);
  EXPECT_EQ(status.status, JobStatus::in_progress);
}

TEST(Lifecycle, EndsCloseAtOnceAndNeverMoveAgain) {
  auto status = started();
  EXPECT_TRUE(fail(status, "AlgorithmError: boom", 30));
  EXPECT_EQ(status.status, JobStatus::failed);
  EXPECT_EQ(status.secondary_status, SecondaryStatus::failed);
  EXPECT_EQ(status.failure_reason, "AlgorithmError: boom");
  ASSERT_EQ(status.transitions.size(), 2u);
  EXPECT_EQ(status.transitions[0].end_time, 30);
  EXPECT_EQ(status.transitions[1].end_time, 30); // terminal: closed at once

  const auto before = to_json(status);
  EXPECT_FALSE(complete(status, 40));
  EXPECT_FALSE(fail(status, "again", 40));
  EXPECT_FALSE(stopped(status, SecondaryStatus::stopped, 40));
  EXPECT_FALSE(begin_stopping(status, 40));
  EXPECT_FALSE(advance(status, SecondaryStatus::uploading, 40));
  EXPECT_EQ(to_json(status), before);
}

TEST(Lifecycle, StoppingStillUploadsThenStops) {
  auto status = started();
  advance(status, SecondaryStatus::training, 20);
  EXPECT_TRUE(begin_stopping(status, 30));
  EXPECT_EQ(status.status, JobStatus::stopping);
  EXPECT_FALSE(begin_stopping(status, 31)); // asked once
  EXPECT_TRUE(advance(status, SecondaryStatus::uploading, 32));
  EXPECT_EQ(status.status, JobStatus::stopping);
  EXPECT_TRUE(stopped(status, SecondaryStatus::stopped, 40));
  EXPECT_EQ(status.status, JobStatus::stopped);
  EXPECT_TRUE(has_ended(status.status));

  auto timed_out = started();
  EXPECT_TRUE(stopped(timed_out, SecondaryStatus::max_runtime_exceeded, 50));
  EXPECT_EQ(timed_out.status, JobStatus::stopped);
  EXPECT_EQ(timed_out.secondary_status, SecondaryStatus::max_runtime_exceeded);
}

TEST(Lifecycle, FailureReasonKeepsTheServiceLimitWithoutSplittingACharacter) {
  auto status = started();
  std::string reason(1023, 'x');
  reason += "é and more"; // 'é' is two bytes: bytes 1023 and 1024
  fail(status, reason, 20);
  EXPECT_EQ(status.failure_reason.size(), 1023u);
  EXPECT_EQ(bounded_failure_reason(std::string(5000, 'y')).size(), 1024u);
  EXPECT_EQ(bounded_failure_reason("short"), "short");
}

TEST(Lifecycle, NamesRoundTrip) {
  for (auto s : {JobStatus::in_progress, JobStatus::completed, JobStatus::failed, JobStatus::stopping,
                 JobStatus::stopped, JobStatus::deleting})
    EXPECT_EQ(parse_job_status(to_string(s)), s);
  for (auto s : {SecondaryStatus::pending, SecondaryStatus::max_runtime_exceeded, SecondaryStatus::uploading,
                 SecondaryStatus::launching_ml_instances})
    EXPECT_EQ(parse_secondary_status(to_string(s)), s);
  EXPECT_EQ(to_string(SecondaryStatus::max_runtime_exceeded), "MaxRuntimeExceeded");
  EXPECT_FALSE(parse_job_status("Done"));
  EXPECT_FALSE(parse_secondary_status("training")); // case matters, as in the API
  EXPECT_TRUE(is_terminal(SecondaryStatus::completed));
  EXPECT_FALSE(is_terminal(SecondaryStatus::stopping));
  EXPECT_FALSE(has_ended(JobStatus::stopping));
}

TEST(Lifecycle, AWaitingJobStartsPending) {
  auto status = new_status("j", "arn", 5, SecondaryStatus::pending, "Waiting for capacity: 1 instance");
  EXPECT_EQ(status.secondary_status, SecondaryStatus::pending);
  EXPECT_EQ(status.transitions[0].message, "Waiting for capacity: 1 instance");
  EXPECT_TRUE(advance(status, SecondaryStatus::starting, 6));
  EXPECT_EQ(status.transitions[0].end_time, 6);
}

} // namespace
} // namespace sagerun::job
