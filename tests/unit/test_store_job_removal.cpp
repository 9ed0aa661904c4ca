// Deleting jobs from the store: an ended job goes entirely (row, request, tags, folder, its name
// free again); a job whose lock is held, or that has not ended, or that waits in a queue, is
// refused and left as it was; prune's selection; the sweep of what an interrupted deletion left.

#include "store/job_removal.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "job/lifecycle.hpp"
#include "jobs/local_jobs.hpp"
#include "store/status_writer.hpp"
#include "test_support.hpp"
#include "util/files.hpp"

namespace sagerun::store {
namespace {

namespace fs = std::filesystem;

class JobRemovalTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = Store::open(dir.path() / "home");
    ASSERT_TRUE(opened);
    store = std::move(*opened);
    jobs = std::make_unique<jobs::LocalJobs>(*store, nullptr);
  }

  jobs::NewJob removal_job(const std::string& name, bool waits = false) {
    jobs::NewJob job;
    job.request = job::parse_request({{"TrainingJobName", name},
                                      {"RoleArn", "arn:aws:iam::123456789012:role/r"},
                                      {"AlgorithmSpecification", {{"TrainingInputMode", "File"}}},
                                      {"OutputDataConfig", {{"S3OutputPath", "s3://bkt/out"}}},
                                      {"ResourceConfig",
                                       {{"InstanceType", "ml.m5.large"}, {"InstanceCount", 1}, {"VolumeSizeInGB", 1}}},
                                      {"StoppingCondition", {{"MaxRuntimeInSeconds", 60}}},
                                      {"Tags", nlohmann::json::array({{{"Key", "team"}, {"Value", "ml"}}})}},
                                     job::UriPolicy::local)
                      .value();
    job.waits = waits;
    return job;
  }

  // A job created, given a log, and (unless `running`) completed by the holder of its lock.
  std::optional<JobLock> make_job(const std::string& name, bool running = false) {
    auto created = jobs->create(removal_job(name));
    EXPECT_TRUE(created) << created.error().message;
    std::ofstream(store->folder(name).log_file(0)) << std::string(10000, 'x');
    if (running) return std::move(created->lock);
    auto status = created->row.status;
    job::complete(status, job::now_seconds());
    EXPECT_TRUE(StatusWriter(store->index(), store->folder(name), *created->lock).write(status));
    return std::nullopt;
  }

  size_t tag_rows() {
    auto count = store->index().database().prepare("SELECT count(*) FROM tags");
    EXPECT_TRUE(count);
    EXPECT_TRUE(count->step().value_or(false));
    return static_cast<size_t>(count->integer(0));
  }

  test::TempDir dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<jobs::LocalJobs> jobs;
};

TEST_F(JobRemovalTest, AnEndedJobIsRemovedEntirelyAndItsNameIsFreeAgain) {
  make_job("done");
  make_job("other");
  ASSERT_EQ(tag_rows(), 2u);
  auto removed = remove_ended_job(*store, "DONE");
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(removed->name, "done");
  EXPECT_GE(removed->bytes_freed, 10000u + JobFolder::k_reserve_bytes);
  EXPECT_FALSE(store->index().find("done"));
  EXPECT_FALSE(store->folder("done").exists());
  EXPECT_EQ(tag_rows(), 1u);
  EXPECT_TRUE(util::list_directory(store->removed_folder()).empty());
  auto page = store->index().list({});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->jobs.size(), 1u);
  EXPECT_EQ(page->jobs[0].name, "other");
  EXPECT_TRUE(store->folder("other").exists());

  auto again = remove_ended_job(*store, "done");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "ResourceNotFound");
  EXPECT_EQ(again.error().message, "Training job done does not exist.");
  EXPECT_TRUE(jobs->create(removal_job("done")));
}

TEST_F(JobRemovalTest, AJobWhoseLockIsHeldIsRefusedAndUntouched) {
  auto lock = make_job("busy", true);
  ASSERT_TRUE(lock);
  auto refused = remove_ended_job(*store, "busy");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "ResourceInUse");
  EXPECT_EQ(refused.error().message,
            "Training job busy is InProgress (Starting): it is still running; stop it first (sagerun stop busy, or "
            "StopTrainingJob) and delete it once it has ended");
  EXPECT_TRUE(store->index().find("busy"));
  EXPECT_TRUE(util::is_file(store->folder("busy").log_file(0)));
  EXPECT_EQ(tag_rows(), 1u);

  // Ended, its runner exiting (the lock still held a moment): the deletion waits for it.
  auto status = store->index().find("busy")->status;
  job::complete(status, job::now_seconds());
  ASSERT_TRUE(StatusWriter(store->index(), store->folder("busy"), *lock).write(status));
  std::thread exiting([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    lock.reset();
  });
  auto removed = remove_ended_job(*store, "busy");
  exiting.join();
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_FALSE(store->folder("busy").exists());
}

TEST_F(JobRemovalTest, APendingJobIsRefusedWithNoLockHeldAndStaysQueued) {
  auto queued = jobs->create(removal_job("queued", true));
  ASSERT_TRUE(queued);
  ASSERT_FALSE(queued->lock);
  auto refused = jobs->remove("queued");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "ResourceInUse");
  EXPECT_NE(refused.error().message.find("queued is InProgress (Pending)"), std::string::npos);
  EXPECT_EQ(store->index().find("queued")->status.secondary_status, job::SecondaryStatus::pending);
  EXPECT_TRUE(store->folder("queued").exists());
  EXPECT_FALSE(is_locked(store->folder("queued").lock_file())); // the refusal let go of the lock
}

TEST_F(JobRemovalTest, EndedBeforeSelectsOnlyOldEndedJobs) {
  make_job("old");
  make_job("young");
  auto lock = make_job("running", true);
  auto set_end = [&](const std::string& name, double when) {
    auto update = store->index().database().prepare("UPDATE jobs SET end_time = ?2 WHERE name = ?1");
    ASSERT_TRUE(update);
    update->bind(1, name).bind(2, when);
    ASSERT_TRUE(update->run());
  };
  const double now = job::now_seconds();
  set_end("old", now - 3 * 86400);
  set_end("young", now - 3600);
  set_end("running", now - 10 * 86400); // never chosen: it has not ended
  auto chosen = store->index().ended_before(now - 86400);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(*chosen, std::vector<std::string>{"old"});
  chosen = jobs->ended_before(now - 60);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(*chosen, (std::vector<std::string>{"old", "young"}));
}

TEST_F(JobRemovalTest, TheSweepDeletesWhatAnInterruptedDeletionLeft) {
  // A crash after the row went, before the folder did: a folder of jobs/ without a row.
  make_job("half");
  ASSERT_TRUE(store->index().remove_ended("half").value_or(std::nullopt));
  // A crash during the delete in removed/ (a pid that no longer runs), and a folder too young to judge.
  ASSERT_TRUE(util::make_directories(store->removed_folder() / "gone.7.2147483646" / "hosts"));
  ASSERT_TRUE(util::make_directories(store->root() / "jobs" / "being-born"));
  // An older layout's folder is migrate's to judge.
  ASSERT_TRUE(util::make_directories(store->root() / "jobs" / "old-layout"));
  std::ofstream(store->root() / "jobs" / "old-layout" / "status.json") << "{}";
  sweep_removed(*store);
  EXPECT_FALSE(fs::exists(store->removed_folder() / "gone.7.2147483646"));
  EXPECT_TRUE(fs::exists(store->root() / "jobs" / "being-born"));
  EXPECT_TRUE(fs::exists(store->root() / "jobs" / "old-layout"));
  // Younger than a minute (a ctime cannot be set back, so the older case is left to the e2e
  // suite's eye): left for a later sweep, and no listing shows it meanwhile.
  EXPECT_TRUE(fs::exists(store->folder("half").path()));
  EXPECT_FALSE(jobs->find("half"));
  EXPECT_TRUE(store->index().list({})->jobs.empty());
}

TEST_F(JobRemovalTest, FolderBytesCountsOnlyWhatDeletingFrees) {
  const auto inside = dir.path() / "counted";
  ASSERT_TRUE(util::make_directories(inside / "a"));
  std::ofstream(inside / "a" / "own") << std::string(100000, 'o');
  std::ofstream(dir.path() / "outside") << std::string(100000, 'l');
  ASSERT_EQ(::link((dir.path() / "outside").c_str(), (inside / "a" / "linked").c_str()), 0);
  ASSERT_EQ(::link((inside / "a" / "own").c_str(), (inside / "twice").c_str()), 0);
  const uint64_t bytes = folder_bytes(inside);
  EXPECT_GE(bytes, 100000u);
  EXPECT_LT(bytes, 200000u); // the file linked from outside frees nothing; the one linked twice counts once
}

} // namespace
} // namespace sagerun::store
