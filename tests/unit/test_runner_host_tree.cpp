// The host tree holds even for a request that skipped validation (one read back from the store):
// the checkpoint folder stays inside the tree and a channel named "." or ".." writes nothing.

#include "runner/host_tree.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"
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

} // namespace
} // namespace sagerun::runner
