// The jobs service over a real store: creation (lock held, names unique in any case), reading a
// job whose runner is gone reconciles it with the reason and cleans up what it left half-done
// (open multipart uploads through the aborter, part files at destinations and in the folder,
// scratch files), and stops.

#include "jobs/local_jobs.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "job/lifecycle.hpp"
#include "store/journal.hpp"
#include "test_support.hpp"
#include "util/atomic_file.hpp"
#include "util/files.hpp"

namespace sagerun::jobs {
namespace {

namespace fs = std::filesystem;
using job::JobStatus;

class CountingAborter : public UploadAborter {
public:
  Expected<void> abort(const store::OpenUpload& upload) override {
    aborted.push_back(upload.upload_id);
    return {};
  }
  std::vector<std::string> aborted;
};

class LocalJobsTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = store::Store::open(dir.path() / "home");
    ASSERT_TRUE(opened);
    store = std::move(*opened);
    jobs = std::make_unique<LocalJobs>(*store, &aborter);
  }

  NewJob new_job(const std::string& name) {
    NewJob job;
    job.request = job::parse_request({{"TrainingJobName", name},
                                      {"RoleArn", "arn:aws:iam::123456789012:role/r"},
                                      {"AlgorithmSpecification", {{"TrainingInputMode", "File"}}},
                                      {"OutputDataConfig", {{"S3OutputPath", "s3://bkt/out"}}},
                                      {"ResourceConfig",
                                       {{"InstanceType", "ml.m5.large"}, {"InstanceCount", 1}, {"VolumeSizeInGB", 1}}},
                                      {"StoppingCondition", {{"MaxRuntimeInSeconds", 60}}}},
                                     job::UriPolicy::local)
                      .value();
    return job;
  }

  test::TempDir dir;
  std::unique_ptr<store::Store> store;
  CountingAborter aborter;
  std::unique_ptr<LocalJobs> jobs;
};

TEST_F(LocalJobsTest, CreationHoldsTheLockAndNamesAreUniqueInAnyCase) {
  auto created = jobs->create(new_job("Job-1"));
  ASSERT_TRUE(created) << created.error().message;
  ASSERT_TRUE(created->lock);
  EXPECT_TRUE(store::is_locked(store->folder("Job-1").lock_file()));
  EXPECT_EQ(created->row.status.secondary_status, job::SecondaryStatus::starting);
  EXPECT_EQ(created->row.status.job_arn, "arn:aws:sagemaker:us-east-1:000000000000:training-job/job-1");
  auto again = jobs->create(new_job("job-1"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "ResourceInUse");
  EXPECT_NE(again.error().message.find("(arn:aws:sagemaker:us-east-1:000000000000:training-job/job-1)"),
            std::string::npos);
  EXPECT_FALSE(store->folder("job-1").exists());
  // While its creator holds it, the job is alive for every reader.
  EXPECT_EQ(jobs->find("job-1")->status.status, JobStatus::in_progress);

  auto waits = new_job("waiting");
  waits.waits = true;
  waits.pending_message = "Waiting for capacity";
  auto queued = jobs->create(waits);
  ASSERT_TRUE(queued);
  EXPECT_FALSE(queued->lock); // nobody runs it yet, and nobody reconciles it
  EXPECT_EQ(jobs->find("waiting")->status.secondary_status, job::SecondaryStatus::pending);
}

TEST_F(LocalJobsTest, AJobWhoseCreatorVanishedIsFailedSayingSo) {
  {
    auto created = jobs->create(new_job("orphan"));
    ASSERT_TRUE(created);
  } // the lock goes with the creator, before any runner named itself
  const auto row = jobs->find("orphan");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status.status, JobStatus::failed);
  EXPECT_EQ(row->status.failure_reason,
            "InternalServerError: the job's runner never started (what created the job ended first)");
  const auto described = jobs->describe("ORPHAN");
  ASSERT_TRUE(described);
  EXPECT_EQ((*described)["TrainingJobStatus"], "Failed");
}

TEST_F(LocalJobsTest, ADeadRunnerIsReconciledAndItsLeftoversCleanedUp) {
  const fs::path destination = dir.path() / "dest/model.tar.gz";
  ASSERT_TRUE(util::make_directories(destination.parent_path()));
  {
    auto created = jobs->create(new_job("killed"));
    ASSERT_TRUE(created);
    const auto folder = store->folder("killed");
    // A runner that existed (a child that has ended), with transfers in flight when it died.
    const pid_t child = ::fork();
    if (child == 0) {
      ::pause();
      _exit(0);
    }
    const auto ticks = store::process_start_ticks(child).value_or(0);
    ASSERT_TRUE(created->lock->record_holder(store::RunnerId{child, ticks}));
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    store::TransferJournal journal(folder.journal_file());
    ASSERT_TRUE(journal.upload_started({"http://127.0.0.1:1", "bkt", "out/killed/output/model.tar.gz", "up-1"}));
    ASSERT_TRUE(journal.upload_started({"http://127.0.0.1:1", "bkt", "out/killed/output/output.tar.gz", "up-2"}));
    journal.upload_ended("up-2");
    ASSERT_TRUE(journal.copy_started(destination));
    ASSERT_TRUE(util::write_file_atomic(destination.string() + ".sagerun-part-1-0", "half"));
    ASSERT_TRUE(util::write_file_atomic(dir.path() / "dest/unrelated.sagerun-part-1-0", "not ours"));
    ASSERT_TRUE(util::write_file_atomic(folder.host_tree(0).string() + "-x.sagerun-part-9-9", "download"));
    ASSERT_TRUE(util::write_file_atomic(folder.work_folder() / "model.tar.gz", "scratch"));
    auto row = store->index().find("killed");
    job::advance(row->status, job::SecondaryStatus::uploading, job::now_seconds());
    ASSERT_TRUE(store->index().write_status("killed", row->status));
  }
  auto page = jobs->list({}); // any reader reconciles
  ASSERT_TRUE(page);
  ASSERT_EQ(page->jobs.size(), 1u);
  EXPECT_EQ(page->jobs[0].status, JobStatus::failed);
  const auto row = jobs->find("killed");
  EXPECT_NE(row->status.failure_reason.find("ended before the job did"), std::string::npos)
      << row->status.failure_reason;
  EXPECT_EQ(aborter.aborted, std::vector<std::string>{"up-1"});
  EXPECT_FALSE(util::is_file(destination.string() + ".sagerun-part-1-0"));
  EXPECT_TRUE(util::is_file(dir.path() / "dest/unrelated.sagerun-part-1-0"));
  EXPECT_FALSE(util::is_file(store->folder("killed").host_tree(0).string() + "-x.sagerun-part-9-9"));
  EXPECT_TRUE(util::list_directory(store->folder("killed").work_folder()).empty());
  EXPECT_FALSE(util::is_file(store->folder("killed").journal_file()));
}

TEST_F(LocalJobsTest, ARunnerThatEndedIsReconciledWithHowItEnded) {
  {
    auto created = jobs->create(new_job("signalled"));
    ASSERT_TRUE(created);
    ASSERT_TRUE(created->lock->record_holder(store::RunnerId{999999, 1}));
  }
  jobs->runner_ended("signalled", 9); // a wait status: killed by SIGKILL
  EXPECT_NE(jobs->find("signalled")->status.failure_reason.find("killed by SIGKILL (9)"), std::string::npos);
}

TEST_F(LocalJobsTest, StopsAWaitingJobAtOnceAndRefusesAnEndedOne) {
  auto waits = new_job("queued");
  waits.waits = true;
  ASSERT_TRUE(jobs->create(waits));
  ASSERT_TRUE(jobs->stop("queued"));
  EXPECT_EQ(jobs->find("queued")->status.status, JobStatus::stopped);
  auto again = jobs->stop("queued");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "ValidationException");
  EXPECT_EQ(again.error().message, "The request was rejected because the training job is in status Stopped.");
  auto missing = jobs->describe("missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "ValidationException");
  EXPECT_EQ(missing.error().message, "Requested resource not found.");
}

TEST_F(LocalJobsTest, AStopAskedOfARunnerThatDiesOfItEndsStopped) {
  pid_t child = 0;
  {
    auto created = jobs->create(new_job("asked"));
    ASSERT_TRUE(created);
    // The runner: a child sharing the lock (as the inherited descriptor does), dying on SIGTERM
    // before it could record anything.
    child = ::fork();
    if (child == 0) {
      // An earlier test of this process may have blocked the stop signals: a runner has them.
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGTERM, SIG_DFL);
      ::pause();
      _exit(0);
    }
    ASSERT_TRUE(created->lock->record_holder(store::RunnerId{child, store::process_start_ticks(child).value_or(0)}));
  } // the creator lets go: the child holds the lock alone
  std::thread reaper([&] { ::waitpid(child, nullptr, 0); });
  ASSERT_TRUE(jobs->stop("asked"));
  reaper.join();
  const auto row = jobs->find("asked");
  EXPECT_EQ(row->status.status, JobStatus::stopped);
  EXPECT_TRUE(row->stop_requested);
}

} // namespace
} // namespace sagerun::jobs
