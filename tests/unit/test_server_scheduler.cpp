// The scheduler with a fake launcher: capacity, first come first served, Pending, stops, runners
// that vanish, and reconciling the stored jobs on start. The store and job folders are real.

#include "server/scheduler.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include "runner/state.hpp"
#include "test_support.hpp"

namespace sagerun::server {
namespace {

using namespace std::chrono_literals;

class FakeLauncher : public Launcher {
public:
  Expected<pid_t> start(const std::filesystem::path&, const std::string& name) override {
    std::lock_guard lock(m_mutex);
    const pid_t pid = m_next++;
    started.push_back(name);
    live.insert(pid);
    return pid;
  }
  bool alive(pid_t pid, const std::string&) override {
    std::lock_guard lock(m_mutex);
    return live.contains(pid);
  }
  void request_stop(pid_t pid) override {
    std::lock_guard lock(m_mutex);
    stops.push_back(pid);
  }
  std::vector<std::string> started_names() {
    std::lock_guard lock(m_mutex);
    return started;
  }
  void end(pid_t pid) {
    std::lock_guard lock(m_mutex);
    live.erase(pid);
  }

  std::vector<std::string> started;
  std::set<pid_t> live;
  std::vector<pid_t> stops;

private:
  std::mutex m_mutex;
  pid_t m_next = 1000;
};

nlohmann::json request(const std::string& name, int instances = 1) {
  return {{"TrainingJobName", name},
          {"AlgorithmSpecification", {{"TrainingImage", "img"}, {"TrainingInputMode", "File"}}},
          {"RoleArn", "arn:aws:iam::123456789012:role/r"},
          {"OutputDataConfig", {{"S3OutputPath", "s3://bkt/out"}}},
          {"ResourceConfig", {{"InstanceType", "ml.m5.large"}, {"InstanceCount", instances}, {"VolumeSizeInGB", 10}}},
          {"StoppingCondition", {{"MaxRuntimeInSeconds", 3600}}}};
}

class SchedulerTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto store = Store::open(dir.path() / "sagerun.db");
    ASSERT_TRUE(store) << store.error().message;
    table = std::make_unique<JobTable>(std::move(*store));
    ASSERT_TRUE(table->load());
  }

  std::unique_ptr<Scheduler> make(int max_instances) {
    return std::make_unique<Scheduler>(
        *table, launcher,
        SchedulerOptions{.state_dir = dir.path(), .max_instances = max_instances, .poll = 5ms, .log = false});
  }

  JobRecord job(const std::string& name) {
    auto record = table->get(name);
    EXPECT_TRUE(record) << name;
    return record.value_or(JobRecord{});
  }

  // What a runner does at the end: the final status in the folder, then exit.
  void finish(const std::string& name, const std::string& status = "Completed") {
    const runner::JobFolder folder(dir.path(), name);
    auto current = folder.read_status();
    ASSERT_TRUE(current);
    current->status = status;
    job::transition(*current, status, "done", job::now_seconds());
    ASSERT_TRUE(folder.write_status(*current));
    launcher.end(job(name).runner_pid);
  }

  void wait_until(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!condition()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "timed out";
      std::this_thread::sleep_for(2ms);
    }
  }

  std::vector<std::string> secondary(const std::string& name) {
    std::vector<std::string> out;
    for (const auto& t : job(name).status.transitions)
      out.push_back(t.status);
    return out;
  }

  test::TempDir dir;
  FakeLauncher launcher;
  std::unique_ptr<JobTable> table;
};

TEST_F(SchedulerTest, RunsWithinCapacityFirstComeFirstServed) {
  auto scheduler = make(2);
  scheduler->start({});
  ASSERT_TRUE(scheduler->submit("a", request("a"), 1));
  ASSERT_TRUE(scheduler->submit("b", request("b"), 1));
  ASSERT_TRUE(scheduler->submit("c", request("c", 2), 2));
  ASSERT_TRUE(scheduler->submit("d", request("d"), 1));
  EXPECT_EQ(launcher.started_names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(job("c").status.status, "InProgress");
  EXPECT_EQ(job("c").status.secondary_status, "Pending");
  EXPECT_NE(job("c").status.transitions.back().message.find("at most 2 instances"), std::string::npos);
  EXPECT_EQ(job("a").phase, Phase::running);
  EXPECT_TRUE(runner::JobFolder(dir.path(), "a").exists());
  EXPECT_FALSE(runner::JobFolder(dir.path(), "c").exists());

  finish("a");
  wait_until([&] { return job("a").phase == Phase::done; });
  EXPECT_EQ(job("a").status.status, "Completed");
  // c needs both instances; d may not overtake it.
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(launcher.started_names().size(), 2u);
  finish("b");
  wait_until([&] { return job("c").phase == Phase::running; });
  EXPECT_EQ(launcher.started_names().back(), "c");
  EXPECT_EQ(secondary("c"), (std::vector<std::string>{"Pending", "Starting"}));
  EXPECT_EQ(scheduler->instances_in_use(), 2);
  finish("c");
  wait_until([&] { return job("d").phase == Phase::running; });
  EXPECT_EQ(launcher.started_names().back(), "d");
}

TEST_F(SchedulerTest, RefusesTakenNamesAndJobsLargerThanTheCapacity) {
  auto scheduler = make(2);
  scheduler->start({});
  ASSERT_TRUE(scheduler->submit("Job-1", request("Job-1"), 1));
  auto again = scheduler->submit("job-1", request("job-1"), 1);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().type, "ResourceInUse");
  EXPECT_EQ(again.error().message,
            "Training job names must be unique within an AWS account and region, and a training job with this name "
            "already exists (arn:aws:sagemaker:us-east-1:000000000000:training-job/job-1)");
  auto large = scheduler->submit("large", request("large", 3), 3);
  ASSERT_FALSE(large);
  EXPECT_EQ(large.error().type, "ResourceLimitExceeded");
  EXPECT_NE(large.error().message.find("'ml.m5.large for training job usage' is 2 Instances"), std::string::npos);
  EXPECT_FALSE(table->contains("large"));
}

TEST_F(SchedulerTest, StopsQueuedJobsAtOnceAndAsksRunningOnes) {
  auto scheduler = make(1);
  scheduler->start({});
  ASSERT_TRUE(scheduler->submit("running", request("running"), 1));
  ASSERT_TRUE(scheduler->submit("queued", request("queued"), 1));
  ASSERT_TRUE(scheduler->stop_job("queued"));
  EXPECT_EQ(job("queued").status.status, "Stopped");
  EXPECT_EQ(secondary("queued"), (std::vector<std::string>{"Pending", "Stopped"}));
  EXPECT_EQ(job("queued").phase, Phase::done);

  const pid_t pid = job("running").runner_pid;
  ASSERT_TRUE(scheduler->stop_job("running"));
  EXPECT_EQ(launcher.stops, std::vector<pid_t>{pid});
  EXPECT_EQ(job("running").status.status, "Stopping");
  // The runner's status.json still says InProgress: the job keeps showing Stopping.
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(job("running").status.status, "Stopping");
  // It ends without writing a final status (killed before it could): Stopped, as asked.
  launcher.end(pid);
  wait_until([&] { return job("running").phase == Phase::done; });
  EXPECT_EQ(job("running").status.status, "Stopped");

  auto again = scheduler->stop_job("running");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "The request was rejected because the training job is in status Stopped.");
  EXPECT_EQ(scheduler->stop_job("missing").error().message, "Requested resource not found.");
}

TEST_F(SchedulerTest, ARunnerThatVanishesFailsItsJob) {
  auto scheduler = make(1);
  scheduler->start({});
  ASSERT_TRUE(scheduler->submit("lost", request("lost"), 1));
  launcher.end(job("lost").runner_pid);
  wait_until([&] { return job("lost").phase == Phase::done; });
  EXPECT_EQ(job("lost").status.status, "Failed");
  EXPECT_TRUE(job("lost").status.failure_reason.starts_with("InternalServerError: the runner of this job ended"));
  // The folder agrees with the table.
  EXPECT_EQ(runner::JobFolder(dir.path(), "lost").read_status()->status, "Failed");
}

TEST_F(SchedulerTest, ReconcilesTheStoredJobsOnStart) {
  {
    auto first = make(2);
    first->start({});
    ASSERT_TRUE(first->submit("alive", request("alive"), 1));
    ASSERT_TRUE(first->submit("dead", request("dead"), 1));
    ASSERT_TRUE(first->submit("waiting", request("waiting"), 1));
    ASSERT_TRUE(first->submit("fourth", request("fourth"), 1));
    first->stop(); // as if the server died: nothing is cleaned up
  }
  // While no server ran: one runner died, one job finished.
  launcher.end(job("dead").runner_pid);
  auto store = Store::open(dir.path() / "sagerun.db");
  ASSERT_TRUE(store);
  table = std::make_unique<JobTable>(std::move(*store));
  auto records = table->load();
  ASSERT_TRUE(records);
  ASSERT_EQ(records->size(), 4u);
  auto second = make(2);
  second->start(*records);
  EXPECT_EQ(job("alive").phase, Phase::running);
  EXPECT_EQ(job("dead").status.status, "Failed");
  // The dead job's place went to the first one waiting.
  EXPECT_EQ(job("waiting").phase, Phase::running);
  EXPECT_EQ(job("fourth").phase, Phase::queued);
  finish("alive");
  wait_until([&] { return job("fourth").phase == Phase::running; });
}

} // namespace
} // namespace sagerun::server
