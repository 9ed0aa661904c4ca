// The runner's attempts through a fake Runtime (each host a /bin/sh script): a host killed from
// outside retried on fresh hosts (RetryStrategy), a script's own failure never retried, the spot
// rehearsal's reclaim resumed from the checkpoints, and MaxWaitTimeInSeconds ending the job.

#include <signal.h>

#include <gtest/gtest.h>

#include "job/lifecycle.hpp"
#include "jobs/local_jobs.hpp"
#include "runner/job_runner.hpp"
#include "test_support.hpp"
#include "util/atomic_file.hpp"
#include "util/files.hpp"

namespace sagerun::runner {
namespace {

using job::JobStatus;
using job::SecondaryStatus;
namespace fs = std::filesystem;

class AttemptsFakeRuntime : public Runtime {
public:
  explicit AttemptsFakeRuntime(std::string script) : m_script(std::move(script)) {}
  TreeMount mount() const override { return TreeMount::native; }
  Expected<ChildProcess> start(const HostLaunch& host) override {
    ++starts;
    if (starts <= failed_starts) return util::fail(util::ErrorKind::io, "no capacity");
    util::EnvMap env = host.env;
    env["SAGEMAKER_BASE_DIR"] = host.tree.string();
    env["PATH"] = "/usr/bin:/bin";
    return ChildProcess::spawn({"/bin/sh", "-c", m_script}, env);
  }
  void kill(const HostLaunch&, ChildProcess& process) override { process.signal(SIGKILL); }

  int starts = 0;
  int failed_starts = 0;

private:
  std::string m_script;
};

class JobAttemptsTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = store::Store::open(dir.path() / "home");
    ASSERT_TRUE(opened) << opened.error().message;
    store = std::move(*opened);
    jobs = std::make_unique<jobs::LocalJobs>(*store, nullptr);
  }

  job::TrainingJobRequest request(const std::string& name, nlohmann::json extra) {
    nlohmann::json json = {
        {"TrainingJobName", name},
        {"RoleArn", "arn:aws:iam::123456789012:role/r"},
        {"AlgorithmSpecification", {{"TrainingInputMode", "File"}}},
        {"OutputDataConfig", {{"S3OutputPath", "file://" + (dir.path() / "out").string()}}},
        {"CheckpointConfig", {{"S3Uri", "file://" + (dir.path() / "checkpoints").string()}}},
        {"ResourceConfig", {{"InstanceType", "ml.m5.large"}, {"InstanceCount", 1}, {"VolumeSizeInGB", 1}}},
        {"StoppingCondition", {{"MaxRuntimeInSeconds", 60}}}};
    json.merge_patch(extra);
    auto parsed = job::parse_request(json, job::UriPolicy::local);
    EXPECT_TRUE(parsed) << parsed.error().message;
    return *parsed;
  }

  job::TrainingJobStatus run(const job::TrainingJobRequest& request, AttemptsFakeRuntime& runtime,
                             SpotRehearsal rehearsal = {}) {
    jobs::NewJob job;
    job.request = request;
    auto created = jobs->create(job);
    EXPECT_TRUE(created) << created.error().message;
    RunContext context;
    context.env = {{"SAGERUN_STOP_GRACE_SECONDS", "1"}};
    context.runtime = &runtime;
    context.echo = Echo::none;
    context.rehearsal = rehearsal;
    auto status = run_job(*store, std::move(*created->lock), request.job_name, context);
    EXPECT_TRUE(status) << status.error().message;
    return *status;
  }

  static std::vector<std::string> timeline(const job::TrainingJobStatus& status) {
    std::vector<std::string> out;
    for (const auto& t : status.transitions)
      out.push_back(std::string(job::to_string(t.status)));
    return out;
  }
  static std::string message_of(const job::TrainingJobStatus& status, SecondaryStatus stage, int nth = 1) {
    for (const auto& t : status.transitions)
      if (t.status == stage && --nth == 0) return t.message;
    return "";
  }

  std::string log_of(const std::string& job) { return util::read_file(store->folder(job).log_file(0)).value_or(""); }

  test::TempDir dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<jobs::LocalJobs> jobs;
};

TEST_F(JobAttemptsTest, AHostKilledFromOutsideIsRetriedOnFreshHosts) {
  // The first attempt leaves a mark in its tree and is SIGKILLed; the next must not see the mark.
  const std::string mark = (dir.path() / "killed-once").string();
  AttemptsFakeRuntime runtime("ls \"$SAGEMAKER_BASE_DIR/model\"; touch \"$SAGEMAKER_BASE_DIR/model/m\"; "
                              "if [ ! -e " +
                              mark + " ]; then touch " + mark + "; kill -9 $$; fi; echo second");
  const auto status = run(request("retried", {{"RetryStrategy", {{"MaximumRetryAttempts", 2}}}}), runtime);
  EXPECT_EQ(status.status, JobStatus::completed);
  EXPECT_EQ(runtime.starts, 2);
  EXPECT_EQ(timeline(status), (std::vector<std::string>{"Starting", "Downloading", "Training", "Starting",
                                                        "Downloading", "Training", "Uploading", "Completed"}));
  EXPECT_EQ(message_of(status, SecondaryStatus::starting, 2),
            "Restarting: attempt 2 of 3 after algo-1 was killed by SIGKILL (9) (InternalServerError)");
  EXPECT_EQ(log_of("retried"), "second\n"); // a fresh tree: no model/m from the first attempt
}

TEST_F(JobAttemptsTest, ExhaustedRetriesFailWithTheInfrastructureReason) {
  AttemptsFakeRuntime runtime("kill -9 $$");
  const auto status = run(request("lost", {{"RetryStrategy", {{"MaximumRetryAttempts", 1}}}}), runtime);
  EXPECT_EQ(status.status, JobStatus::failed);
  EXPECT_EQ(runtime.starts, 2);
  EXPECT_TRUE(status.failure_reason.starts_with("InternalServerError: algo-1 was killed by SIGKILL (9)"))
      << status.failure_reason;
}

TEST_F(JobAttemptsTest, AHostTheRuntimeCouldNotStartIsRetried) {
  AttemptsFakeRuntime runtime("true");
  runtime.failed_starts = 1;
  const auto status = run(request("nostart", {{"RetryStrategy", {{"MaximumRetryAttempts", 1}}}}), runtime);
  EXPECT_EQ(status.status, JobStatus::completed);
  EXPECT_EQ(runtime.starts, 2);
}

TEST_F(JobAttemptsTest, TheScriptsOwnFailureIsNeverRetried) {
  AttemptsFakeRuntime runtime("echo bad; exit 1");
  const auto status = run(request("script", {{"RetryStrategy", {{"MaximumRetryAttempts", 2}}}}), runtime);
  EXPECT_EQ(status.status, JobStatus::failed);
  EXPECT_EQ(runtime.starts, 1);
  EXPECT_TRUE(status.failure_reason.starts_with("AlgorithmError: algo-1 exited with code 1")) << status.failure_reason;
}

TEST_F(JobAttemptsTest, ASpotReclaimResumesFromTheCheckpoints) {
  // Attempt 1 checkpoints and trains until reclaimed; attempt 2 finds the checkpoint and ends.
  AttemptsFakeRuntime runtime(
      "c=\"$SAGEMAKER_BASE_DIR/checkpoints\"; if [ -e \"$c/step\" ]; then echo resumed from $(cat \"$c/step\"); "
      "exit 0; fi; trap 'echo reclaimed; exit 0' TERM; echo 7 > \"$c/step\"; sleep 30 & wait");
  const auto spot =
      request("spot", {{"EnableManagedSpotTraining", true}, {"StoppingCondition", {{"MaxWaitTimeInSeconds", 120}}}});
  const auto status = run(spot, runtime, SpotRehearsal{std::chrono::seconds(1), 1});
  EXPECT_EQ(status.status, JobStatus::completed) << status.failure_reason;
  EXPECT_EQ(timeline(status),
            (std::vector<std::string>{"Starting", "Downloading", "Training", "Interrupted", "Starting", "Downloading",
                                      "Training", "Uploading", "Completed"}));
  EXPECT_EQ(message_of(status, SecondaryStatus::interrupted),
            "Job interrupted: spot capacity reclaimed (attempt 1); checkpoints saved");
  EXPECT_EQ(log_of("spot"), "reclaimed\nresumed from 7\n");
  EXPECT_GE(*status.training_time_seconds, 1);
  EXPECT_EQ(status.billable_time_seconds, status.training_time_seconds);
}

TEST_F(JobAttemptsTest, MaxWaitTimeStopsTheJobWithItsCheckpointsUp) {
  AttemptsFakeRuntime runtime("echo 1 > \"$SAGEMAKER_BASE_DIR/checkpoints/step\"; sleep 30 & wait");
  const auto spot =
      request("waited", {{"EnableManagedSpotTraining", true},
                         {"StoppingCondition", {{"MaxRuntimeInSeconds", 2}, {"MaxWaitTimeInSeconds", 2}}}});
  const auto status = run(spot, runtime);
  EXPECT_EQ(status.status, JobStatus::stopped);
  EXPECT_EQ(status.secondary_status, SecondaryStatus::max_wait_time_exceeded);
  EXPECT_TRUE(util::is_file(dir.path() / "checkpoints/step"));
}

} // namespace
} // namespace sagerun::runner
