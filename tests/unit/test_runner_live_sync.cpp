// The live sync's thread over a request's folders: SAGERUN_SYNC_SECONDS, checkpoints and
// output/intermediate put at their destinations while the "job" runs, a prompt stop, and the
// final pass of finish(). Destinations are file:// folders (the same Storage code as S3).

#include "runner/live_sync.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "test_support.hpp"
#include "util/files.hpp"

namespace sagerun::runner {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

void live_write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

bool appears_within(const fs::path& file, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!fs::exists(file) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  return fs::exists(file);
}

TEST(LiveSyncPeriod, ReadFromTheEnvironment) {
  EXPECT_EQ(sync_period({}).value(), k_default_sync_period);
  EXPECT_EQ(sync_period({{"SAGERUN_SYNC_SECONDS", "1"}}).value(), 1000ms);
  EXPECT_EQ(sync_period({{"SAGERUN_SYNC_SECONDS", "0.25"}}).value(), 250ms);
  for (const char* bad : {"0", "-1", "5s", "7200"}) {
    auto refused = sync_period({{"SAGERUN_SYNC_SECONDS", bad}});
    ASSERT_FALSE(refused) << bad;
    EXPECT_NE(refused.error().message.find("SAGERUN_SYNC_SECONDS"), std::string::npos);
  }
}

TEST(LiveSync, PutsCheckpointsAndIntermediateWhileRunningThenFinishes) {
  test::TempDir dir;
  job::TrainingJobRequest request;
  request.job_name = "live";
  request.output_path = "file://" + (dir.path() / "out").string();
  request.checkpoint = job::CheckpointConfig{"file://" + (dir.path() / "ck").string(), "/opt/ml/checkpoints"};
  const std::vector<contract::Paths> hosts{contract::Paths(dir.path() / "algo-1")};
  live_write(hosts[0].checkpoints() / "restored.txt", "downloaded"); // already at its destination
  Storage storage(nullptr, nullptr);

  LiveSync sync(request, hosts, storage, 20ms);
  sync.start();
  live_write(hosts[0].checkpoints() / "epoch-1.txt", "one");
  live_write(hosts[0].output_intermediate() / "tb/events.txt", "loss=1");
  const fs::path intermediate = dir.path() / "out/live/output/intermediate";
  EXPECT_TRUE(appears_within(dir.path() / "ck/epoch-1.txt", 5s));
  EXPECT_TRUE(appears_within(intermediate / "tb/events.txt", 5s));
  EXPECT_FALSE(fs::exists(dir.path() / "ck/restored.txt"));

  live_write(hosts[0].output_intermediate() / "last.txt", "written as the job ends");
  const auto stopping = std::chrono::steady_clock::now();
  auto finished = sync.finish();
  ASSERT_TRUE(finished) << finished.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, 2s);
  EXPECT_EQ(util::read_file(intermediate / "last.txt").value_or(""), "written as the job ends");
  EXPECT_EQ(util::read_file(dir.path() / "ck/epoch-1.txt").value_or(""), "one");
  sync.stop(); // again: nothing left to stop
}

TEST(LiveSync, AFinalFailureIsReturned) {
  test::TempDir dir;
  job::TrainingJobRequest request;
  request.job_name = "blocked";
  request.output_path = "file://" + (dir.path() / "out").string();
  const std::vector<contract::Paths> hosts{contract::Paths(dir.path() / "algo-1")};
  live_write(dir.path() / "out/blocked", "a file where the job's folder would go");
  Storage storage(nullptr, nullptr);
  LiveSync sync(request, hosts, storage, 1h);
  sync.start();
  live_write(hosts[0].output_intermediate() / "x.txt", "x");
  auto finished = sync.finish();
  ASSERT_FALSE(finished);
  EXPECT_NE(finished.error().message.find("output/intermediate to file://"), std::string::npos)
      << finished.error().message;
}

} // namespace
} // namespace sagerun::runner
