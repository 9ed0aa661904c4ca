// The scheduler over a real store, with a fake launcher whose "runners" are `sleep` processes
// holding their jobs' locks: capacity, first come first served, Pending, stops, runners that
// vanish, and taking a store over on start.

#include "server/scheduler.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include "job/lifecycle.hpp"
#include "server/sagemaker_api.hpp"
#include "store/status_writer.hpp"
#include "test_support.hpp"
#include "util/files.hpp"
#include "util/spawn.hpp"
#include "util/text.hpp"

extern char** environ;

namespace sagerun::server {
namespace {

using namespace std::chrono_literals;

class FakeLauncher : public Launcher {
public:
  Expected<pid_t> start(const store::Store& store, const std::string& name, const store::JobLock& lock) override {
    std::lock_guard guard(m_mutex);
    const std::vector<std::string> argv{"/bin/sleep", "1000"};
    const auto args = util::argv_pointers(argv);
    pid_t pid = 0;
    // An earlier test of this process may have blocked the stop signals: a runner has them.
    util::SpawnSetup setup;
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setsigmask(&setup.attr, &none);
    posix_spawnattr_setsigdefault(&setup.attr, &defaults);
    if (::posix_spawn(&pid, args[0], nullptr, &setup.attr, args.data(), environ) != 0)
      return util::fail(util::ErrorKind::io, "spawn");
    // The runner holds the lock (a descriptor of its own on it) and names itself in it.
    auto held = store::JobLock::adopt(::dup(lock.fd()), store.folder(name).lock_file());
    if (!held) return std::unexpected(held.error());
    (void)held->record_holder(store::RunnerId{pid, store::process_start_ticks(pid).value_or(0)});
    runners.emplace(name, Runner{pid, std::move(*held)});
    started.push_back(name);
    return pid;
  }

  std::optional<Ended> reap(pid_t pid) override {
    std::lock_guard guard(m_mutex);
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) != pid) return std::nullopt;
    std::erase_if(runners, [&](const auto& entry) { return entry.second.pid == pid; }); // its lock goes with it
    return Ended{status};
  }

  // What a runner does at the end: its final status, then exit.
  void finish(store::Store& store, const std::string& name, job::JobStatus how = job::JobStatus::completed) {
    std::lock_guard guard(m_mutex);
    auto& runner = runners.at(name);
    auto row = store.index().find(name);
    ASSERT_TRUE(row);
    if (how == job::JobStatus::completed) job::complete(row->status, job::now_seconds());
    if (how == job::JobStatus::failed) job::fail(row->status, "AlgorithmError: boom", job::now_seconds());
    ASSERT_TRUE(store::StatusWriter(store.index(), store.folder(name), runner.lock).write(row->status));
    ::kill(runner.pid, SIGKILL);
  }
  // Waits for the runner of `name` to end and reaps it, as its parent would.
  void reap_all(const std::string& name) {
    for (int i = 0; i < 1000; ++i) {
      pid_t pid = 0;
      {
        std::lock_guard guard(m_mutex);
        const auto it = runners.find(name);
        if (it == runners.end()) return;
        pid = it->second.pid;
      }
      if (reap(pid)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  void vanish(const std::string& name) {
    std::lock_guard guard(m_mutex);
    ::kill(runners.at(name).pid, SIGKILL);
  }
  std::vector<std::string> started_names() {
    std::lock_guard guard(m_mutex);
    return started;
  }
  ~FakeLauncher() override {
    for (auto& [name, runner] : runners) {
      ::kill(runner.pid, SIGKILL);
      ::waitpid(runner.pid, nullptr, 0);
    }
  }

  struct Runner {
    pid_t pid;
    store::JobLock lock;
  };
  std::map<std::string, Runner> runners;
  std::vector<std::string> started;

private:
  std::mutex m_mutex;
};

job::TrainingJobRequest request(const std::string& name, int instances = 1, const std::string& type = "ml.m5.large") {
  return job::parse_request(
             {{"TrainingJobName", name},
              {"AlgorithmSpecification", {{"TrainingImage", "img"}, {"TrainingInputMode", "File"}}},
              {"RoleArn", "arn:aws:iam::123456789012:role/r"},
              {"OutputDataConfig", {{"S3OutputPath", "s3://bkt/out"}}},
              {"ResourceConfig", {{"InstanceType", type}, {"InstanceCount", instances}, {"VolumeSizeInGB", 10}}},
              {"StoppingCondition", {{"MaxRuntimeInSeconds", 3600}}}})
      .value();
}

class SchedulerTest : public ::testing::Test {
protected:
  void SetUp() override { open(); }

  void open() {
    jobs.reset();
    auto opened = store::Store::open(dir.path());
    ASSERT_TRUE(opened) << opened.error().message;
    store = std::move(*opened);
    jobs = std::make_unique<jobs::LocalJobs>(*store, nullptr);
  }

  std::unique_ptr<Scheduler> make(int max_instances, std::chrono::milliseconds poll = 5ms,
                                  runner::MachineResources machine = {.cpus = 0, .memory_bytes = 0, .gpus = {}}) {
    return std::make_unique<Scheduler>(
        *jobs, launcher,
        SchedulerOptions{.max_instances = max_instances, .machine = std::move(machine), .poll = poll, .log = false});
  }
  std::string gpus_of(const std::string& name) {
    auto text = util::read_file(store->folder(name).gpus_file());
    return text ? std::string(util::trim(*text)) : "(none)";
  }

  store::JobRow job(const std::string& name) {
    auto row = store->index().find(name);
    EXPECT_TRUE(row) << name;
    return row.value_or(store::JobRow{});
  }
  job::JobStatus status(const std::string& name) { return job(name).status.status; }
  job::SecondaryStatus secondary(const std::string& name) { return job(name).status.secondary_status; }

  void wait_until(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!condition()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "timed out";
      std::this_thread::sleep_for(2ms);
    }
  }

  std::vector<job::SecondaryStatus> stages(const std::string& name) {
    std::vector<job::SecondaryStatus> out;
    for (const auto& t : job(name).status.transitions)
      out.push_back(t.status);
    return out;
  }

  test::TempDir dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<jobs::LocalJobs> jobs;
  FakeLauncher launcher;
};

using job::JobStatus;
using job::SecondaryStatus;

TEST_F(SchedulerTest, ARunnersExitFreesItsSlotWithoutWaitingForThePoll) {
  auto scheduler = make(1, std::chrono::hours(1));
  scheduler->start();
  ASSERT_TRUE(scheduler->submit(request("a")));
  ASSERT_TRUE(scheduler->submit(request("b")));
  EXPECT_EQ(secondary("b"), SecondaryStatus::pending);
  launcher.finish(*store, "a");
  // Within wait_until's 5 s, not the hour of the poll: the exit was delivered.
  wait_until([&] { return launcher.started_names().size() == 2; });
  EXPECT_EQ(status("a"), JobStatus::completed);
  EXPECT_EQ(secondary("b"), SecondaryStatus::starting);
  launcher.finish(*store, "b");
  wait_until([&] { return scheduler->instances_in_use() == 0; });
}

TEST_F(SchedulerTest, RunsWithinCapacityFirstComeFirstServed) {
  auto scheduler = make(2);
  scheduler->start();
  ASSERT_TRUE(scheduler->submit(request("a")));
  ASSERT_TRUE(scheduler->submit(request("b")));
  ASSERT_TRUE(scheduler->submit(request("c", 2)));
  ASSERT_TRUE(scheduler->submit(request("d")));
  EXPECT_EQ(launcher.started_names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(status("c"), JobStatus::in_progress);
  EXPECT_EQ(secondary("c"), SecondaryStatus::pending);
  EXPECT_NE(job("c").status.transitions.back().message.find("at most 2 instances"), std::string::npos);
  EXPECT_EQ(job("a").origin, store::Origin::server);
  EXPECT_TRUE(store->folder("c").exists()); // the name is taken from the start

  launcher.finish(*store, "a");
  wait_until([&] { return scheduler->instances_in_use() == 1; });
  EXPECT_EQ(status("a"), JobStatus::completed);
  // c needs both instances; d may not overtake it.
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(launcher.started_names().size(), 2u);
  launcher.finish(*store, "b");
  wait_until([&] { return launcher.started_names().size() == 3; });
  EXPECT_EQ(launcher.started_names().back(), "c");
  EXPECT_EQ(stages("c"), (std::vector{SecondaryStatus::pending, SecondaryStatus::starting}));
  EXPECT_EQ(scheduler->instances_in_use(), 2);
  launcher.finish(*store, "c");
  wait_until([&] { return launcher.started_names().size() == 4; });
  EXPECT_EQ(launcher.started_names().back(), "d");
}

TEST_F(SchedulerTest, RefusesTakenNamesAndJobsLargerThanTheCapacity) {
  auto scheduler = make(2);
  scheduler->start();
  ASSERT_TRUE(scheduler->submit(request("Job-1")));
  auto again = scheduler->submit(request("job-1"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "ResourceInUse");
  EXPECT_TRUE(again.error().message.starts_with(
      "Training job names must be unique within an AWS account and region, and a training job with this name "
      "already exists"))
      << again.error().message;
  EXPECT_FALSE(store->folder("job-1").exists()); // the refused job left nothing behind
  auto large = scheduler->submit(request("large", 3));
  ASSERT_FALSE(large);
  EXPECT_EQ(large.error().code, "ResourceLimitExceeded");
  EXPECT_NE(large.error().message.find("'ml.m5.large for training job usage' is 2 Instances"), std::string::npos);
  EXPECT_FALSE(store->index().find("large"));
}

TEST_F(SchedulerTest, StopsWaitingJobsAtOnceAndAsksRunningOnes) {
  auto scheduler = make(1);
  scheduler->start();
  ASSERT_TRUE(scheduler->submit(request("running")));
  ASSERT_TRUE(scheduler->submit(request("queued")));
  ASSERT_TRUE(jobs->stop("queued"));
  EXPECT_EQ(status("queued"), JobStatus::stopped);
  EXPECT_EQ(stages("queued"), (std::vector{SecondaryStatus::pending, SecondaryStatus::stopped}));

  // The runner gets SIGTERM (the fake dies of it without a last word): the job ends Stopped, as
  // asked, and the capacity is free again.
  ASSERT_TRUE(jobs->stop("running"));
  EXPECT_EQ(status("running"), JobStatus::stopped);
  EXPECT_TRUE(job("running").stop_requested);
  wait_until([&] { return scheduler->instances_in_use() == 0; });

  auto again = jobs->stop("running");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "The request was rejected because the training job is in status Stopped.");
  EXPECT_EQ(jobs->stop("missing").error().message, "Requested resource not found.");
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(launcher.started_names(), std::vector<std::string>{"running"}); // the stopped one never started
}

TEST_F(SchedulerTest, ARunnerThatVanishesFailsItsJobWithHowItEnded) {
  auto scheduler = make(1);
  scheduler->start();
  ASSERT_TRUE(scheduler->submit(request("lost")));
  launcher.vanish("lost");
  wait_until([&] { return status("lost") != JobStatus::in_progress; });
  EXPECT_EQ(status("lost"), JobStatus::failed);
  EXPECT_NE(job("lost").status.failure_reason.find("ended before the job did: killed by SIGKILL (9)"),
            std::string::npos)
      << job("lost").status.failure_reason;
}

// DescribeTrainingJob keeps answers (describe_cache.hpp): each must follow the stored status.
TEST_F(SchedulerTest, DescribeFollowsEveryStatusWrite) {
  auto scheduler = make(1);
  scheduler->start();
  SageMakerApi api(*jobs, *scheduler, {});
  const auto describe = [&](const std::string& name) {
    auto answer = api.describe_training_job({{"TrainingJobName", name}});
    EXPECT_TRUE(answer) << name;
    return nlohmann::json::parse(answer.value_or("{}"));
  };
  ASSERT_TRUE(scheduler->submit(request("first")));
  ASSERT_TRUE(scheduler->submit(request("second")));
  EXPECT_EQ(describe("second")["SecondaryStatus"], "Pending");
  EXPECT_EQ(describe("second")["SecondaryStatus"], "Pending"); // answered from what was kept
  launcher.finish(*store, "first");
  wait_until([&] { return launcher.started_names().size() == 2; });
  EXPECT_EQ(describe("second")["SecondaryStatus"], "Starting");
  EXPECT_EQ(describe("first")["TrainingJobStatus"], "Completed");
  EXPECT_EQ(describe("first")["TrainingJobStatus"], "Completed");
  // A running job is read afresh each time, so a runner that vanished shows at once.
  launcher.vanish("second");
  wait_until([&] { return status("second") != JobStatus::in_progress; });
  EXPECT_EQ(describe("second")["TrainingJobStatus"], "Failed");
  EXPECT_FALSE(api.describe_training_job({{"TrainingJobName", "missing"}}));
}

// ListTrainingJobs keeps answers while the index is unchanged (list_cache.hpp): each must follow
// every commit, this connection's and another's (a runner is another process).
TEST_F(SchedulerTest, ListFollowsEveryCommit) {
  auto scheduler = make(1);
  scheduler->start();
  SageMakerApi api(*jobs, *scheduler, {});
  const auto statuses = [&] {
    auto answer = api.list_training_jobs({{"SortBy", "Name"}, {"SortOrder", "Ascending"}});
    EXPECT_TRUE(answer);
    const auto page = nlohmann::json::parse(answer.value_or("{}"));
    std::vector<std::string> out;
    for (const auto& job : page["TrainingJobSummaries"])
      out.push_back(job["TrainingJobName"].get<std::string>() + ":" + job["TrainingJobStatus"].get<std::string>());
    return out;
  };
  ASSERT_TRUE(scheduler->submit(request("first")));
  EXPECT_EQ(statuses(), (std::vector<std::string>{"first:InProgress"}));
  EXPECT_EQ(statuses(), (std::vector<std::string>{"first:InProgress"})); // answered from what was kept
  ASSERT_TRUE(scheduler->submit(request("second")));
  EXPECT_EQ(statuses(), (std::vector<std::string>{"first:InProgress", "second:InProgress"}));
  launcher.finish(*store, "first");
  wait_until([&] { return launcher.started_names().size() == 2; });
  EXPECT_EQ(statuses(), (std::vector<std::string>{"first:Completed", "second:InProgress"}));
  // Another connection's commit.
  auto other = store::Store::open(dir.path());
  ASSERT_TRUE(other);
  auto row = (*other)->index().find("second");
  ASSERT_TRUE(row);
  job::fail(row->status, "AlgorithmError: written by another connection", job::now_seconds());
  ASSERT_TRUE((*other)->index().write_status("second", row->status));
  EXPECT_EQ(statuses(), (std::vector<std::string>{"first:Completed", "second:Failed"}));
}

TEST_F(SchedulerTest, TakesTheStoreOverOnStart) {
  {
    auto first = make(2);
    first->start();
    ASSERT_TRUE(first->submit(request("alive")));
    ASSERT_TRUE(first->submit(request("dead")));
    ASSERT_TRUE(first->submit(request("waiting")));
    ASSERT_TRUE(first->submit(request("fourth")));
    first->stop(); // as if the server died: nothing is cleaned up
  }
  // While no server ran: one runner died.
  launcher.vanish("dead");
  launcher.reap_all("dead");
  open();
  auto second = make(2);
  second->start();
  EXPECT_EQ(status("alive"), JobStatus::in_progress);
  EXPECT_EQ(status("dead"), JobStatus::failed);
  // The dead job's place went to the first one waiting.
  EXPECT_EQ(launcher.started_names().back(), "waiting");
  EXPECT_EQ(secondary("fourth"), SecondaryStatus::pending);
  // "alive" was started by the first server: the second watches it by its lock.
  launcher.finish(*store, "alive");
  launcher.reap_all("alive"); // what its parent does
  wait_until([&] { return launcher.started_names().back() == "fourth"; });
}

} // namespace
} // namespace sagerun::server

namespace sagerun::server {
namespace {

TEST_F(SchedulerTest, EachGpuJobGetsGpusOfItsOwnNeverAnothersAtCapacity) {
  auto scheduler = make(8, 5ms, {.cpus = 64, .memory_bytes = int64_t{512} << 30, .gpus = {0, 1, 2}});
  scheduler->start();
  ASSERT_TRUE(scheduler->submit(request("g1", 1, "ml.g4dn.xlarge")));   // 1 GPU
  ASSERT_TRUE(scheduler->submit(request("g2", 1, "ml.g4dn.xlarge")));   // 1 GPU
  ASSERT_TRUE(scheduler->submit(request("g3", 1, "ml.g4dn.12xlarge"))); // 4 GPUs: at most the 3 there are
  ASSERT_TRUE(scheduler->submit(request("cpu", 1, "ml.m5.large")));     // none
  EXPECT_EQ(gpus_of("g1"), "0");
  EXPECT_EQ(gpus_of("g2"), "1");
  EXPECT_EQ(secondary("g3"), SecondaryStatus::pending);
  EXPECT_NE(
      job("g3").status.transitions.back().message.find("needs 3 GPUs of its own and 1 of this server's 3 are free"),
      std::string::npos)
      << job("g3").status.transitions.back().message;
  EXPECT_EQ(secondary("cpu"), SecondaryStatus::pending) << "first come, first served";
  launcher.finish(*store, "g1");
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(secondary("g3"), SecondaryStatus::pending) << "GPU 1 is still g2's";
  launcher.finish(*store, "g2");
  // Its runner starts once its GPUs are written.
  wait_until([&] { return launcher.started_names().size() == 4; });
  EXPECT_EQ(gpus_of("g3"), "0,1,2");
  EXPECT_EQ(gpus_of("cpu"), "");
  launcher.finish(*store, "g3");
  launcher.finish(*store, "cpu");
  wait_until([&] { return scheduler->instances_in_use() == 0; });
}

TEST_F(SchedulerTest, CountsCpusAndMemoryOfEachJobsHosts) {
  // 4 CPUs and 20 GiB: two ml.m5.large (2 vCPUs, 8 GiB) fit, a third waits; a job larger than
  // the machine runs alone.
  auto scheduler = make(8, 5ms, {.cpus = 4, .memory_bytes = int64_t{20} << 30, .gpus = {}});
  scheduler->start();
  ASSERT_TRUE(scheduler->submit(request("a")));
  ASSERT_TRUE(scheduler->submit(request("b")));
  ASSERT_TRUE(scheduler->submit(request("c")));
  EXPECT_EQ(launcher.started_names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_NE(job("c").status.transitions.back().message.find("need 2 CPUs and 4 of this server's 4 are in use"),
            std::string::npos)
      << job("c").status.transitions.back().message;
  ASSERT_TRUE(scheduler->submit(request("big", 1, "ml.m5.24xlarge")));
  launcher.finish(*store, "a");
  wait_until([&] { return launcher.started_names().size() == 3; });
  launcher.finish(*store, "b");
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(secondary("big"), SecondaryStatus::pending) << "it takes the whole machine";
  launcher.finish(*store, "c");
  wait_until([&] { return secondary("big") == SecondaryStatus::starting; });
  launcher.finish(*store, "big");
  wait_until([&] { return scheduler->instances_in_use() == 0; });
}

} // namespace
} // namespace sagerun::server
