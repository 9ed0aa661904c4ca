// The host tree holds even for a request that skipped validation (one read back from the store):
// the checkpoint folder stays inside the tree and a channel named "." or ".." writes nothing.

#include "runner/host_tree.hpp"

#include "runner/submit_staging.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"
#include "util/atomic_file.hpp"
#include "util/files.hpp"

namespace sagerun::runner {
namespace {

job::TrainingJobRequest request_with_checkpoint(const std::string& local_path) {
  job::TrainingJobRequest request;
  request.job_name = "tree-job";
  request.checkpoint = job::CheckpointConfig{"s3://bucket/ckpt", local_path};
  return request;
}

bool inside(const fs::path& path, const fs::path& root) {
  const auto relative = path.lexically_normal().lexically_relative(root.lexically_normal());
  return !relative.empty() && *relative.begin() != "..";
}

TEST(RunnerHostTree, TheCheckpointFolderNeverLeavesTheTree) {
  const contract::Paths host("/state/jobs/tree-job/hosts/algo-1");
  EXPECT_EQ(checkpoint_folder(request_with_checkpoint("/opt/ml/checkpoints"), host), host.base() / "checkpoints");
  EXPECT_EQ(checkpoint_folder(request_with_checkpoint("/opt/ml/ckpt/run-1"), host), host.base() / "ckpt/run-1");
  for (const std::string escape : {"/opt/ml/checkpoints/../../../../tmp/X", "/opt/ml/../../etc", "/opt/ml/..",
                                   "/opt/ml", "/root/.ssh", "opt/ml/x", "/opt/mlx/y"}) {
    const auto folder = checkpoint_folder(request_with_checkpoint(escape), host);
    EXPECT_TRUE(inside(folder, host.base())) << escape << " -> " << folder;
  }
}

TEST(RunnerHostTree, AChannelNamedDotDotWritesNothing) {
  test::TempDir dir;
  const contract::Paths host(dir.path() / "algo-1");
  auto request = request_with_checkpoint("/opt/ml/checkpoints");
  request.channels.push_back(job::Channel{});
  request.channels.back().name = "..";
  auto written = write_host_tree(request, 0, host, TreeMount::native);
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().message.find("'..'"), std::string::npos);
  EXPECT_FALSE(util::is_file(host.input_config() / "inputdataconfig.json"));
}

TEST(RunnerHostTree, ALocalSubmitDirectoryIsStagedIntoCodeAndNamedAsTheHostSeesIt) {
  test::TempDir dir;
  ASSERT_TRUE(util::make_directories(dir.path() / "src"));
  ASSERT_TRUE(util::write_file_atomic(dir.path() / "src" / "fit.py", "print('fit')\n"));
  job::TrainingJobRequest request;
  request.job_name = "tree-job";
  request.hyperparameters = {{"sagemaker_program", "\"fit.py\""},
                             {"sagemaker_submit_directory", "\"file://" + (dir.path() / "src").string() + "\""}};
  const contract::Paths one(dir.path() / "algo-1");
  const contract::Paths two(dir.path() / "algo-2");
  EXPECT_EQ(host_hyperparameters(request, one, TreeMount::container).at("sagemaker_submit_directory"),
            "\"/opt/ml/code\"");
  EXPECT_EQ(host_hyperparameters(request, one, TreeMount::native).at("sagemaker_submit_directory"),
            "\"" + one.code().string() + "\"");
  ASSERT_TRUE(stage_submit_directory(request, {one, two}));
  EXPECT_EQ(util::read_file(two.code() / "fit.py").value_or(""), "print('fit')\n");

  // Not JSON-encoded stays not encoded; an S3 location is left to the entrypoint.
  request.hyperparameters["sagemaker_submit_directory"] = "file://" + (dir.path() / "src").string();
  EXPECT_EQ(host_hyperparameters(request, one, TreeMount::container).at("sagemaker_submit_directory"), "/opt/ml/code");
  request.hyperparameters["sagemaker_submit_directory"] = "\"s3://bucket/sourcedir.tar.gz\"";
  EXPECT_EQ(host_hyperparameters(request, one, TreeMount::container), request.hyperparameters);
  EXPECT_FALSE(local_submit_directory(request));

  // A folder that is not there fails the staging, naming it.
  request.hyperparameters["sagemaker_submit_directory"] = "\"file:///nowhere/src\"";
  auto staged = stage_submit_directory(request, {one});
  ASSERT_FALSE(staged);
  EXPECT_NE(staged.error().message.find("/nowhere/src: no such file or folder"), std::string::npos);
}

} // namespace
} // namespace sagerun::runner
