// The SQLite store and the job table over it: rows survive reopening, names are unique
// regardless of case, and DescribeTrainingJob's cached response follows every update.

#include "server/job_table.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace sagerun::server {
namespace {

using nlohmann::json;

JobRecord record(const std::string& name) {
  JobRecord out;
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
  out.status.job_name = name;
  out.status.job_arn = "arn:aws:sagemaker:us-east-1:000000000000:training-job/" + name;
  out.status.creation_time = 1700000000.25;
  job::transition(out.status, "Pending", "Waiting for capacity", 1700000000.25);
  return out;
}

TEST(Store, KeepsEveryJobAcrossReopening) {
  test::TempDir dir;
  {
    auto store = Store::open(dir.path() / "sagerun.db");
    ASSERT_TRUE(store) << store.error().message;
    auto first = record("first"), second = record("second");
    ASSERT_TRUE(store->insert(first));
    ASSERT_TRUE(store->insert(second));
    EXPECT_LT(first.sequence, second.sequence);
    second.phase = Phase::running;
    second.runner_pid = 4242;
    second.stop_requested = true;
    second.status.status = "Stopping";
    job::transition(second.status, "Stopping", "Stopping the training job", 1700000001);
    ASSERT_TRUE(store->update(second));
    auto duplicate = record("FIRST");
    EXPECT_FALSE(store->insert(duplicate)); // unique regardless of case
  }
  auto store = Store::open(dir.path() / "sagerun.db");
  ASSERT_TRUE(store);
  auto records = store->load();
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 2u);
  const auto& second = (*records)[1];
  EXPECT_EQ(second.name, "second");
  EXPECT_EQ(second.phase, Phase::running);
  EXPECT_EQ(second.runner_pid, 4242);
  EXPECT_TRUE(second.stop_requested);
  EXPECT_EQ(second.instances, 2);
  EXPECT_EQ(second.status.status, "Stopping");
  EXPECT_EQ(second.status.transitions.size(), 2u);
  EXPECT_EQ(second.status.creation_time, 1700000000.25);
  EXPECT_EQ(second.request, record("second").request);
  EXPECT_EQ((*records)[0].phase, Phase::queued);
}

TEST(Store, UsesWriteAheadLogging) {
  test::TempDir dir;
  auto store = Store::open(dir.path() / "sagerun.db");
  ASSERT_TRUE(store);
  auto job = record("wal");
  ASSERT_TRUE(store->insert(job));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "sagerun.db-wal"));
}

TEST(JobTable, DescribesFromTheRequestAndTheLatestStatus) {
  test::TempDir dir;
  auto store = Store::open(dir.path() / "sagerun.db");
  ASSERT_TRUE(store);
  JobTable table(std::move(*store));
  ASSERT_TRUE(table.load());
  auto job = record("Mixed-Case");
  ASSERT_TRUE(table.insert(job));
  EXPECT_TRUE(table.contains("mixed-case"));
  auto described = json::parse(*table.describe("MIXED-case"));
  EXPECT_EQ(described["TrainingJobName"], "Mixed-Case");
  EXPECT_EQ(described["TrainingJobStatus"], "InProgress");
  EXPECT_EQ(described["SecondaryStatus"], "Pending");
  EXPECT_EQ(described["HyperParameters"]["epochs"], "3");
  EXPECT_EQ(described["ResourceConfig"]["InstanceCount"], 2);
  EXPECT_EQ(described["CreationTime"], 1700000000.25);
  EXPECT_FALSE(described.contains("Tags")); // DescribeTrainingJob does not return tags

  job.status.status = "Completed";
  job.status.model_artifacts = "s3://bkt/out/Mixed-Case/output/model.tar.gz";
  job::transition(job.status, "Completed", "done", 1700000010);
  ASSERT_TRUE(table.update(job));
  described = json::parse(*table.describe("Mixed-Case"));
  EXPECT_EQ(described["TrainingJobStatus"], "Completed");
  EXPECT_EQ(described["ModelArtifacts"]["S3ModelArtifacts"], "s3://bkt/out/Mixed-Case/output/model.tar.gz");
  const auto summaries = table.summaries();
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0].status, "Completed");
  EXPECT_FALSE(table.describe("other"));
}

} // namespace
} // namespace sagerun::server
