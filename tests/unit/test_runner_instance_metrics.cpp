// Instance metrics: the percentages from two readings, a process tree read from /proc (a child
// this test spawns, and the child it forks), nvidia-smi's answer, the period setting, and the
// sampler writing a host's points file that the store reads back.

#include "runner/instance_metrics.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include <gtest/gtest.h>

#include "runner/host_usage.hpp"
#include "store/job_folder.hpp"
#include "test_support.hpp"

namespace sagerun::runner {
namespace {

using namespace std::chrono_literals;

// A Python that holds 64 MiB (in itself and in a child it forks: both hold the pages), burns
// `busy` seconds of CPU, prints "ready", then waits to be killed.
ChildProcess spawn_usage_python(double busy) {
  const std::string code = "import os, time\n"
                           "data = b'x' * (64 << 20)\n"
                           "if os.fork() == 0:\n"
                           "    time.sleep(60); os._exit(0)\n"
                           "end = time.process_time() + " +
                           std::to_string(busy) +
                           "\n"
                           "while time.process_time() < end: pass\n"
                           "print('ready', flush=True)\n"
                           "time.sleep(60)\n";
  auto child = ChildProcess::spawn({"python3", "-c", code}, {});
  EXPECT_TRUE(child) << child.error().message;
  return std::move(*child);
}

// Reads the child's output until it printed `word` (or 20 s passed).
bool wait_for_word(const ChildProcess& child, std::string_view word) {
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline && seen.find(word) == std::string::npos) {
    pollfd wait{child.output_fd(), POLLIN, 0};
    ::poll(&wait, 1, 200);
    char buffer[256];
    const ssize_t n = ::read(child.output_fd(), buffer, sizeof buffer);
    if (n == 0) return false;
    if (n > 0) seen.append(buffer, static_cast<size_t>(n));
  }
  return seen.find(word) != std::string::npos;
}

TEST(InstanceMetrics, CpuPercentIsCpuSecondsOverWallSeconds) {
  const UsageAt before{10.0, {2.0, 0}};
  EXPECT_DOUBLE_EQ(cpu_percent(before, {12.0, {5.0, 0}}), 150.0); // 1.5 cores busy
  EXPECT_DOUBLE_EQ(cpu_percent(before, {11.0, {2.5, 0}}), 50.0);
  EXPECT_DOUBLE_EQ(cpu_percent(before, {10.0, {3.0, 0}}), 0.0); // no time passed
  EXPECT_DOUBLE_EQ(cpu_percent(before, {11.0, {1.0, 0}}), 0.0); // a process left the tree
}

TEST(InstanceMetrics, MemoryPercentOfTheLimit) {
  EXPECT_DOUBLE_EQ(memory_percent(512u << 20, 1u << 30), 50.0);
  EXPECT_DOUBLE_EQ(memory_percent(3u << 30, 1u << 30), 100.0);
  EXPECT_DOUBLE_EQ(memory_percent(1, 0), 0.0);
  EXPECT_GT(machine_memory_bytes(), 64u << 20);
}

TEST(InstanceMetrics, AProcessTreeFromProc) {
  auto child = spawn_usage_python(0.5);
  ASSERT_TRUE(wait_for_word(child, "ready"));
  const auto usage = process_tree_usage(child.pid());
  ASSERT_TRUE(usage);
  EXPECT_GE(usage->cpu_seconds, 0.4);
  // The forked child's pages count too: twice the 64 MiB.
  EXPECT_GE(usage->memory_bytes, uint64_t{128} << 20);
  const auto stat = read_process_stat(child.pid());
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->parent, ::getpid());
  EXPECT_GT(stat->start_ticks, 0u);
  child.signal(SIGKILL);
  child.wait_exit();
  EXPECT_FALSE(process_tree_usage(child.pid()));
}

TEST(InstanceMetrics, DiskPercentOfTheVolume) {
  test::TempDir dir;
  const auto used = disk_percent(dir.path());
  ASSERT_TRUE(used);
  EXPECT_GT(*used, 0.0);
  EXPECT_LE(*used, 100.0);
  EXPECT_FALSE(disk_percent(dir.path() / "absent"));
}

TEST(InstanceMetrics, NvidiaSmiQueryIsSummedOverGpus) {
  const auto two = parse_gpu_query("45, 1024, 2048\n55, 0, 2048\n");
  ASSERT_TRUE(two);
  EXPECT_EQ(two->gpus, 2);
  EXPECT_DOUBLE_EQ(two->utilization, 100.0);
  EXPECT_DOUBLE_EQ(two->memory, 50.0);
  EXPECT_FALSE(parse_gpu_query("[N/A], 1024, 2048\n"));
  EXPECT_FALSE(parse_gpu_query("45, 1024\n"));
  EXPECT_FALSE(parse_gpu_query("No devices were found\n"));
  EXPECT_FALSE(parse_gpu_query(""));
  EXPECT_TRUE(find_nvidia_smi({{"PATH", "relative:/nonexistent"}}).empty());
}

TEST(InstanceMetrics, ThePeriodSetting) {
  EXPECT_EQ(instance_metrics_period({}).value(), 5s);
  EXPECT_EQ(instance_metrics_period({{"SAGERUN_INSTANCE_METRICS_SECONDS", "1"}}).value(), 1s);
  EXPECT_EQ(instance_metrics_period({{"SAGERUN_INSTANCE_METRICS_SECONDS", "0"}}).value(), 0s);
  const auto bad = instance_metrics_period({{"SAGERUN_INSTANCE_METRICS_SECONDS", "0.5"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("SAGERUN_INSTANCE_METRICS_SECONDS"), std::string::npos);
}

TEST(InstanceMetrics, TheSamplerWritesTheHostsPointsAndStopsAtOnce) {
  test::TempDir dir;
  const store::JobFolder folder(dir.path(), "job");
  auto child = spawn_usage_python(1.5);
  HostLaunch launch;
  launch.tree = dir.path();
  launch.resources.memory_bytes = int64_t{1} << 30;
  SamplerOptions options;
  options.period = 300ms;
  auto sampler = InstanceSampler::start({{&launch, &child, folder.instance_metrics_file(0)}}, options);
  ASSERT_TRUE(wait_for_word(child, "ready"));
  std::this_thread::sleep_for(400ms);
  sampler->stop();

  auto series = store::read_host_metric_series(folder, 0);
  ASSERT_TRUE(series) << series.error().message;
  std::map<std::string, std::vector<double>> values;
  for (const auto& one : *series) {
    EXPECT_EQ(one.kind, store::SeriesKind::instance);
    for (const auto& point : one.points)
      values[one.metric].push_back(point.value);
  }
  ASSERT_GE(values["CPUUtilization"].size(), 2u);
  EXPECT_GT(*std::ranges::max_element(values["CPUUtilization"]), 50.0);
  ASSERT_FALSE(values["MemoryUtilization"].empty());
  EXPECT_GE(values["MemoryUtilization"].back(), 12.0); // 128 MiB of the 1 GiB given
  ASSERT_FALSE(values["DiskUtilization"].empty());
  EXPECT_GT(values["DiskUtilization"].back(), 0.0);
  EXPECT_FALSE(values.contains("GPUUtilization")); // no nvidia-smi given

  // A long period still stops at once: the thread waits on a condition, not a sleep.
  options.period = 60s;
  const auto began = std::chrono::steady_clock::now();
  InstanceSampler::start({{&launch, &child, folder.instance_metrics_file(1)}}, options)->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
}

} // namespace
} // namespace sagerun::runner
