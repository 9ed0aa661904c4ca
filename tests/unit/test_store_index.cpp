// The store's index and its one writer: rows survive reopening, names are unique regardless of
// case, status writes go through the lock holder, and a full disk still gets the final status.

#include "store/index.hpp"

#include <gtest/gtest.h>

#include "job/lifecycle.hpp"
#include "jobs/local_jobs.hpp"
#include "store/status_writer.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

namespace sagerun::store {
namespace {

using nlohmann::json;

JobRow row(const std::string& name) {
  JobRow out;
  out.name = name;
  out.request = {{"TrainingJobName", name},
                 {"AlgorithmSpecification", {{"TrainingImage", "img"}, {"TrainingInputMode", "File"}}},
                 {"RoleArn", "arn:aws:iam::123456789012:role/r"},
                 {"HyperParameters", {{"epochs", "3"}}},
                 {"OutputDataConfig", {{"S3OutputPath", "s3://bkt/out"}}},
                 {"ResourceConfig", {{"InstanceType", "ml.m5.large"}, {"InstanceCount", 2}, {"VolumeSizeInGB", 10}}},
                 {"StoppingCondition", {{"MaxRuntimeInSeconds", 3600}}},
                 {"Tags", {{{"Key", "team"}, {"Value", "ml"}}}}};
  out.instances = 2;
  out.origin = Origin::server;
  out.status = job::new_status(name, "arn:aws:sagemaker:us-east-1:000000000000:training-job/" + name, 1700000000.25,
                               job::SecondaryStatus::pending, "Waiting for capacity");
  return out;
}

TEST(StoreIndex, KeepsEveryJobAcrossReopening) {
  test::TempDir dir;
  {
    auto index = Index::open(dir.path() / "jobs.db");
    ASSERT_TRUE(index) << index.error().message;
    auto first = row("first"), second = row("second");
    ASSERT_TRUE((*index)->insert(first));
    ASSERT_TRUE((*index)->insert(second));
    EXPECT_LT(first.sequence, second.sequence);
    job::begin_stopping(second.status, 1700000001);
    ASSERT_TRUE((*index)->write_status("second", second.status));
    ASSERT_TRUE((*index)->request_stop("second"));
    auto duplicate = row("FIRST");
    const auto refused = (*index)->insert(duplicate);
    ASSERT_FALSE(refused); // unique regardless of case
    EXPECT_EQ(refused.error().code, "ResourceInUse");
  }
  auto index = Index::open(dir.path() / "jobs.db");
  ASSERT_TRUE(index);
  const auto second = (*index)->find("SECOND"); // found regardless of case
  ASSERT_TRUE(second);
  EXPECT_EQ(second->name, "second");
  EXPECT_TRUE(second->stop_requested);
  EXPECT_EQ(second->instances, 2);
  EXPECT_EQ(second->origin, Origin::server);
  EXPECT_EQ(second->status.status, job::JobStatus::stopping);
  EXPECT_EQ(second->status.transitions.size(), 2u);
  EXPECT_EQ(second->status.creation_time, 1700000000.25);
  EXPECT_EQ(second->request, row("second").request);
  auto active = (*index)->active();
  ASSERT_TRUE(active);
  ASSERT_EQ(active->size(), 2u);
  EXPECT_EQ((*active)[0].name, "first"); // creation order
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "jobs.db-wal"));
}

TEST(StoreIndex, DescribesFromTheRequestAndTheLatestStatus) {
  test::TempDir dir;
  auto index = Index::open(dir.path() / "jobs.db");
  ASSERT_TRUE(index);
  auto job = row("Mixed-Case");
  ASSERT_TRUE((*index)->insert(job));
  auto described = jobs::describe_json(*(*index)->find("mixed-CASE"));
  EXPECT_EQ(described["TrainingJobName"], "Mixed-Case");
  EXPECT_EQ(described["TrainingJobStatus"], "InProgress");
  EXPECT_EQ(described["SecondaryStatus"], "Pending");
  EXPECT_EQ(described["HyperParameters"]["epochs"], "3");
  EXPECT_EQ(described["ResourceConfig"]["InstanceCount"], 2);
  EXPECT_EQ(described["CreationTime"], 1700000000.25);
  EXPECT_FALSE(described.contains("Tags")); // DescribeTrainingJob does not return tags

  job.status.model_artifacts = "s3://bkt/out/Mixed-Case/output/model.tar.gz";
  job::complete(job.status, 1700000010);
  ASSERT_TRUE((*index)->write_status("Mixed-Case", job.status));
  described = jobs::describe_json(*(*index)->find("Mixed-Case"));
  EXPECT_EQ(described["TrainingJobStatus"], "Completed");
  EXPECT_EQ(described["ModelArtifacts"]["S3ModelArtifacts"], "s3://bkt/out/Mixed-Case/output/model.tar.gz");
  EXPECT_FALSE((*index)->find("other"));
  EXPECT_TRUE((*index)->active()->empty());
}

TEST(StoreIndex, LogSourcesByPrefixMatchTheCaseGiven) {
  test::TempDir dir;
  auto index = Index::open(dir.path() / "jobs.db");
  ASSERT_TRUE(index);
  for (const char* name : {"job-a", "job-b", "Job-c", "other"}) {
    auto r = row(name);
    ASSERT_TRUE((*index)->insert(r));
  }
  std::vector<std::string> names;
  const auto sources = (*index)->log_sources("job");
  ASSERT_TRUE(sources);
  for (const auto& source : *sources)
    names.push_back(source.name);
  EXPECT_EQ(names, (std::vector<std::string>{"job-a", "job-b"}));
  EXPECT_EQ((*index)->log_sources("")->size(), 4u);
  EXPECT_TRUE((*index)->log_sources("job_")->empty()); // '_' is no wildcard
}

// What a listing checks for dead runners: the jobs that should have one, not those waiting for
// capacity or ended. Many rows in one transaction, or none when one of them is refused.
TEST(StoreIndex, RunningJobsAndRowsInsertedTogether) {
  test::TempDir dir;
  auto index = Index::open(dir.path() / "jobs.db");
  ASSERT_TRUE(index);
  std::vector<JobRow> rows = {row("waiting"), row("starting"), row("stopping"), row("ended")};
  job::advance(rows[1].status, job::SecondaryStatus::starting, 1700000001);
  job::advance(rows[2].status, job::SecondaryStatus::training, 1700000001);
  job::begin_stopping(rows[2].status, 1700000002);
  job::complete(rows[3].status, 1700000003);
  ASSERT_TRUE((*index)->insert_all(rows));
  EXPECT_LT(rows[0].sequence, rows[3].sequence);
  EXPECT_EQ(*(*index)->running(), (std::vector<std::string>{"starting", "stopping"}));
  EXPECT_EQ((*index)->active()->size(), 3u);

  std::vector<JobRow> refused = {row("fine"), row("STARTING")};
  const auto inserted = (*index)->insert_all(refused);
  ASSERT_FALSE(inserted);
  EXPECT_EQ(inserted.error().code, "ResourceInUse");
  EXPECT_FALSE((*index)->find("fine")) << "all or none";
}

TEST(StoreFolder, CreatesItsPartsAndAReserve) {
  test::TempDir dir;
  const JobFolder folder(dir.path(), "j");
  ASSERT_TRUE(folder.create());
  for (const char* part : {"hosts", "logs", "work"})
    EXPECT_TRUE(std::filesystem::is_directory(folder.path() / part)) << part;
  EXPECT_EQ(std::filesystem::file_size(folder.reserve_file()), JobFolder::k_reserve_bytes);
  const auto again = folder.create();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "ResourceInUse");
  EXPECT_TRUE(folder.release_reserve());
  EXPECT_FALSE(folder.release_reserve());
  EXPECT_EQ(folder.host_paths(1).failure_file(), folder.path() / "hosts/algo-2/output/failure");
}

TEST(StoreOpen, AStoreIsOneFolderWithAnIndex) {
  test::TempDir dir;
  auto store = Store::open(dir.path() / "home");
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() / "home/jobs"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "home/jobs.db"));
  EXPECT_EQ(default_root({{"SAGERUN_HOME", "/x"}, {"HOME", "/home/u"}}), "/x");
  EXPECT_EQ(default_root({{"HOME", "/home/u"}}), "/home/u/.sagerun");
}

} // namespace
} // namespace sagerun::store
