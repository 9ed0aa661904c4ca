// The runner's steps through a fake Runtime (each host a /bin/sh script on the host's tree):
// the stages and their order, outputs where SageMaker puts them, the failure reason (the host's
// own, else its last output), one failing host stopping the others, stop requests (a fake
// signalfd), a host that cannot start, and the journal left empty.

#include "runner/job_runner.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "job/lifecycle.hpp"
#include "jobs/local_jobs.hpp"
#include "test_support.hpp"
#include "util/atomic_file.hpp"
#include "util/files.hpp"

namespace sagerun::runner {
namespace {

using job::JobStatus;
using job::SecondaryStatus;
namespace fs = std::filesystem;

// Runs each host's script (`scripts[index]`) with SAGEMAKER_BASE_DIR pointing at its tree.
class FakeRuntime : public Runtime {
public:
  explicit FakeRuntime(std::vector<std::string> scripts) : m_scripts(std::move(scripts)) {}
  TreeMount mount() const override { return TreeMount::native; }
  Expected<ChildProcess> start(const HostLaunch& host) override {
    started.push_back(host.index);
    if (fail_start_of == host.index) return util::fail(util::ErrorKind::io, "no such host");
    util::EnvMap env = host.env;
    env["SAGEMAKER_BASE_DIR"] = host.tree.string();
    env["PATH"] = "/usr/bin:/bin";
    const auto& script = m_scripts[std::min<size_t>(static_cast<size_t>(host.index), m_scripts.size() - 1)];
    return ChildProcess::spawn({"/bin/sh", "-c", script}, env);
  }
  void kill(const HostLaunch&, ChildProcess& process) override {
    ++kills;
    process.signal(SIGKILL);
  }

  std::vector<int> started;
  int kills = 0;
  int fail_start_of = -1;

private:
  std::vector<std::string> m_scripts;
};

class JobRunnerTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = store::Store::open(dir.path() / "home");
    ASSERT_TRUE(opened) << opened.error().message;
    store = std::move(*opened);
    jobs = std::make_unique<jobs::LocalJobs>(*store, nullptr);
    ASSERT_TRUE(util::make_directories(dir.path() / "data"));
    ASSERT_TRUE(util::write_file_atomic(dir.path() / "data/input.txt", "some data\n"));
  }

  job::TrainingJobRequest request(const std::string& name, int hosts = 1, int64_t max_runtime = 3600) {
    return job::parse_request(
               {{"TrainingJobName", name},
                {"RoleArn", "arn:aws:iam::123456789012:role/r"},
                {"AlgorithmSpecification", {{"TrainingInputMode", "File"}}},
                {"InputDataConfig",
                 {{{"ChannelName", "training"},
                   {"DataSource",
                    {{"S3DataSource",
                      {{"S3DataType", "S3Prefix"}, {"S3Uri", "file://" + (dir.path() / "data").string()}}}}}}}},
                {"OutputDataConfig", {{"S3OutputPath", "file://" + (dir.path() / "out").string()}}},
                {"ResourceConfig", {{"InstanceType", "ml.m5.large"}, {"InstanceCount", hosts}, {"VolumeSizeInGB", 1}}},
                {"StoppingCondition", {{"MaxRuntimeInSeconds", max_runtime}}}},
               job::UriPolicy::local)
        .value();
  }

  // Creates the job and runs it to its end with `runtime`.
  job::TrainingJobStatus run(const job::TrainingJobRequest& request, FakeRuntime& runtime, int signal_fd = -1) {
    jobs::NewJob job;
    job.request = request;
    auto created = jobs->create(job);
    EXPECT_TRUE(created) << created.error().message;
    RunContext context;
    context.env = {{"SAGERUN_STOP_GRACE_SECONDS", "1"}};
    context.runtime = &runtime;
    context.echo = Echo::none;
    context.signal_fd = signal_fd;
    auto status = run_job(*store, std::move(*created->lock), request.job_name, context);
    EXPECT_TRUE(status) << status.error().message;
    // What the runner returns is what the store holds.
    const auto stored = store->index().find(request.job_name);
    EXPECT_EQ(job::to_json(stored->status), job::to_json(*status));
    return *status;
  }

  static std::vector<SecondaryStatus> stages(const job::TrainingJobStatus& status) {
    std::vector<SecondaryStatus> out;
    for (const auto& t : status.transitions)
      out.push_back(t.status);
    return out;
  }

  test::TempDir dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<jobs::LocalJobs> jobs;
};

TEST_F(JobRunnerTest, StagesOutputsAndTimesOfACompletedJob) {
  FakeRuntime runtime({"cat \"$SAGEMAKER_BASE_DIR/input/data/training/input.txt\" > \"$SAGEMAKER_BASE_DIR/model/m\"; "
                       "echo saved > \"$SAGEMAKER_BASE_DIR/output/data/d\"; echo hello from the script"});
  const auto status = run(request("ok"), runtime);
  EXPECT_EQ(status.status, JobStatus::completed);
  EXPECT_EQ(stages(status),
            (std::vector{SecondaryStatus::starting, SecondaryStatus::downloading, SecondaryStatus::training,
                         SecondaryStatus::uploading, SecondaryStatus::completed}));
  EXPECT_EQ(status.model_artifacts, "file://" + (dir.path() / "out/ok/output/model.tar.gz").string());
  EXPECT_TRUE(util::is_file(dir.path() / "out/ok/output/model.tar.gz"));
  EXPECT_TRUE(util::is_file(dir.path() / "out/ok/output/output.tar.gz"));
  EXPECT_TRUE(status.training_start_time && status.training_end_time);
  EXPECT_GE(*status.training_time_seconds, 1);
  EXPECT_EQ(util::read_file(store->folder("ok").log_file(0)).value_or(""), "hello from the script\n");
  EXPECT_FALSE(util::is_file(store->folder("ok").journal_file())); // nothing left in flight
  // The runner named itself in the lock, and let go of it.
  EXPECT_TRUE(store::recorded_holder(store->folder("ok").lock_file()));
  EXPECT_FALSE(store::is_locked(store->folder("ok").lock_file()));
}

TEST_F(JobRunnerTest, TheHostsFailureFileIsTheReason) {
  FakeRuntime runtime({"mkdir -p \"$SAGEMAKER_BASE_DIR/output\"; echo 'ValueError: bad epochs' > "
                       "\"$SAGEMAKER_BASE_DIR/output/failure\"; exit 3"});
  const auto status = run(request("fails"), runtime);
  EXPECT_EQ(status.status, JobStatus::failed);
  EXPECT_EQ(status.failure_reason, "AlgorithmError: ValueError: bad epochs"); // SageMaker's prefix, once
  // Outputs are uploaded also when the job fails, as SageMaker does.
  EXPECT_TRUE(util::is_file(dir.path() / "out/fails/output/model.tar.gz"));
  EXPECT_EQ(stages(status).back(), SecondaryStatus::failed);
}

TEST_F(JobRunnerTest, AFailureFileThatHasThePrefixKeepsOne) {
  FakeRuntime runtime({"mkdir -p \"$SAGEMAKER_BASE_DIR/output\"; printf 'AlgorithmError: boom' > "
                       "\"$SAGEMAKER_BASE_DIR/output/failure\"; exit 3"});
  EXPECT_EQ(run(request("prefixed"), runtime).failure_reason, "AlgorithmError: boom");
}

TEST_F(JobRunnerTest, WithoutAFailureFileTheLastOutputSaysWhy) {
  FakeRuntime runtime({"echo 'Traceback: OSError: [Errno 28] No space left on device' >&2; exit 1"});
  const auto status = run(request("no-file"), runtime);
  EXPECT_EQ(status.status, JobStatus::failed);
  EXPECT_TRUE(status.failure_reason.starts_with("AlgorithmError: algo-1 exited with code 1")) << status.failure_reason;
  EXPECT_NE(status.failure_reason.find("No space left on device"), std::string::npos) << status.failure_reason;
}

TEST_F(JobRunnerTest, AFailingHostStopsTheOthers) {
  FakeRuntime runtime({"sleep 30", "exit 7"});
  const auto started = std::chrono::steady_clock::now();
  const auto status = run(request("two", 2), runtime);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(15));
  EXPECT_EQ(status.status, JobStatus::failed);
  EXPECT_NE(status.failure_reason.find("algo-2 exited with code 7"), std::string::npos) << status.failure_reason;
  EXPECT_EQ(runtime.started, (std::vector<int>{0, 1}));
}

TEST_F(JobRunnerTest, AHostThatCannotStartFailsTheJobAndStopsTheStarted) {
  FakeRuntime runtime({"sleep 30"});
  runtime.fail_start_of = 1;
  const auto status = run(request("half", 2), runtime);
  EXPECT_EQ(status.status, JobStatus::failed);
  EXPECT_EQ(status.failure_reason, "ClientError: cannot start algo-2: no such host");
  EXPECT_EQ(runtime.kills, 1);
}

TEST_F(JobRunnerTest, MaxRuntimeStopsTheJob) {
  FakeRuntime runtime({"sleep 30"});
  const auto status = run(request("slow", 1, 1), runtime);
  EXPECT_EQ(status.status, JobStatus::stopped);
  EXPECT_EQ(status.secondary_status, SecondaryStatus::max_runtime_exceeded);
}

TEST_F(JobRunnerTest, AStopRequestShowsStoppingAtOnceThenStopped) {
  // A pipe stands in for the signalfd: each 128-byte record is one signal.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  FakeRuntime runtime({"trap 'echo got TERM; exit 0' TERM; echo sleeping; sleep 30 & wait"});
  std::thread stopper([&] {
    // Once the script runs, as `sagerun stop` would.
    for (int i = 0; i < 500; ++i) {
      if (util::read_file(store->folder("stop-me").log_file(0)).value_or("").find("sleeping") != std::string::npos)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const signalfd_siginfo info{};
    EXPECT_EQ(::write(fds[1], &info, sizeof info), static_cast<ssize_t>(sizeof info));
  });
  const auto status = run(request("stop-me"), runtime, fds[0]);
  stopper.join();
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_EQ(status.status, JobStatus::stopped);
  EXPECT_EQ(stages(status),
            (std::vector{SecondaryStatus::starting, SecondaryStatus::downloading, SecondaryStatus::training,
                         SecondaryStatus::stopping, SecondaryStatus::uploading, SecondaryStatus::stopped}));
  EXPECT_NE(util::read_file(store->folder("stop-me").log_file(0)).value_or("").find("got TERM"), std::string::npos);
  EXPECT_TRUE(util::is_file(dir.path() / "out/stop-me/output/model.tar.gz")); // what it made is kept
}

TEST_F(JobRunnerTest, BadSettingsAreRefusedBeforeAnythingRuns) {
  auto bad = request("bad");
  auto refused = check_runnable(bad, {{"SAGERUN_STOP_GRACE_SECONDS", "30s"}});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("SAGERUN_STOP_GRACE_SECONDS='30s'"), std::string::npos);
  EXPECT_EQ(refused.error().code, "ValidationException");
  // The job's Environment is what the hosts get: it counts too.
  bad.environment["SAGERUN_STOP_GRACE_SECONDS"] = "-1";
  EXPECT_FALSE(check_runnable(bad, {}));
  bad.environment["SAGERUN_STOP_GRACE_SECONDS"] = "30";
  EXPECT_TRUE(check_runnable(bad, {{"SAGERUN_STOP_GRACE_SECONDS", "5"}}));
  // The runner waits train's grace (the job's value wins) plus a margin, never less.
  EXPECT_EQ(stop_grace({{"SAGERUN_STOP_GRACE_SECONDS", "5"}}, bad).value(), std::chrono::seconds(40));
}

} // namespace
} // namespace sagerun::runner
