#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "job/instance_types.hpp"
#include "job/shapes.hpp"
#include "runner/cgroup.hpp"
#include "runner/child_process.hpp"
#include "runner/host_resources.hpp"

namespace sagerun::runner {
namespace {

TEST(InstanceTypes, EveryTypeTheServiceAcceptsIsInTheTable) {
  const auto shapes = job::shapes::all_shapes();
  const auto found = std::ranges::find(shapes, std::string_view("TrainingInstanceType"), &job::shapes::Shape::name);
  ASSERT_NE(found, shapes.end());
  ASSERT_GT(found->enums.size(), 100u);
  for (const auto& name : found->enums) {
    const auto* type = job::find_instance_type(name);
    ASSERT_NE(type, nullptr) << name;
    EXPECT_GT(type->vcpus, 0) << name;
    EXPECT_GT(type->memory_mib, 0) << name;
  }
  EXPECT_EQ(job::instance_types().size(), found->enums.size());
}

TEST(InstanceTypes, PublishedFigures) {
  const auto* m5 = job::find_instance_type("ml.m5.large");
  ASSERT_NE(m5, nullptr);
  EXPECT_EQ(m5->vcpus, 2);
  EXPECT_EQ(m5->memory_bytes(), int64_t{8} << 30);
  EXPECT_EQ(m5->gpus, 0);
  const auto* g4 = job::find_instance_type("ml.g4dn.12xlarge");
  ASSERT_NE(g4, nullptr);
  EXPECT_EQ(g4->gpus, 4);
  const auto* c4 = job::find_instance_type("ml.c4.xlarge");
  ASSERT_NE(c4, nullptr);
  EXPECT_EQ(c4->memory_mib, 7680); // 7.5 GiB
  const auto* trn = job::find_instance_type("ml.trn1.32xlarge");
  ASSERT_NE(trn, nullptr);
  EXPECT_EQ(trn->gpus, 0);
  EXPECT_EQ(trn->neuron, 16);
  EXPECT_EQ(job::find_instance_type("ml.m5.huge"), nullptr);
}

MachineResources small_machine() {
  MachineResources machine;
  machine.cpus = 2;
  machine.memory_bytes = int64_t{12} << 30;
  return machine;
}

TEST(HostResources, ATypeThatFitsIsGivenWhole) {
  const auto plan = plan_host_resources(*job::find_instance_type("ml.t3.medium"), 1, small_machine(), {});
  ASSERT_EQ(plan.hosts.size(), 1u);
  EXPECT_EQ(plan.hosts[0].cpus, 2);
  EXPECT_EQ(plan.hosts[0].memory_bytes, int64_t{4} << 30);
  EXPECT_TRUE(plan.notes.empty());
}

TEST(HostResources, ALargerTypeIsCappedAndSaysSo) {
  const auto plan = plan_host_resources(*job::find_instance_type("ml.m5.4xlarge"), 1, small_machine(), {});
  EXPECT_EQ(plan.hosts[0].cpus, 2);
  EXPECT_EQ(plan.hosts[0].memory_bytes, int64_t{12} << 30);
  ASSERT_EQ(plan.notes.size(), 2u);
  EXPECT_EQ(plan.notes[0], "ml.m5.4xlarge has 16 vCPUs but this machine offers 2: each host is limited to 2 CPUs");
  EXPECT_EQ(plan.notes[1],
            "ml.m5.4xlarge has 64 GiB of memory but this machine offers 12 GiB: each host is limited to 12 GiB");
}

TEST(HostResources, EachHostGetsItsOwnGpusWhileTheyLast) {
  auto machine = small_machine();
  machine.cpus = 64;
  machine.memory_bytes = int64_t{1024} << 30;
  const auto plan = plan_host_resources(*job::find_instance_type("ml.g4dn.12xlarge"), 2, machine, {4, 5, 6, 7, 8});
  ASSERT_EQ(plan.hosts.size(), 2u);
  EXPECT_EQ(plan.hosts[0].gpus, (std::vector<int>{4, 5, 6, 7}));
  EXPECT_EQ(plan.hosts[1].gpus, (std::vector<int>{8}));
  EXPECT_TRUE(std::ranges::any_of(
      plan.notes, [](const std::string& note) { return note.find("some hosts get fewer") != std::string::npos; }));
  const auto none = plan_host_resources(*job::find_instance_type("ml.m5.large"), 1, machine, {0, 1});
  EXPECT_TRUE(none.hosts[0].gpus.empty()) << "a CPU type takes no GPU";
}

TEST(HostResources, MachineOverridesAndTexts) {
  const auto machine = machine_with(small_machine(), 0.5, 1.5, 3);
  EXPECT_EQ(machine.cpus, 0.5);
  EXPECT_EQ(machine.memory_bytes, int64_t{3} << 29);
  EXPECT_EQ(machine.gpus, (std::vector<int>{0, 1, 2}));
  const auto kept = machine_with(small_machine(), 0, 0, -1);
  EXPECT_EQ(kept.cpus, 2);
  EXPECT_EQ(memory_text(int64_t{4} << 30), "4 GiB");
  EXPECT_EQ(memory_text(int64_t{15} << 29), "7.5 GiB");
  EXPECT_EQ(memory_text(int64_t{512} << 20), "512 MiB");
  EXPECT_EQ(cpus_text(0.5), "0.5");
  EXPECT_EQ(gpu_list({0, 3}), "0,3");
  EXPECT_EQ(*parse_gpu_list("2,3"), (std::vector<int>{2, 3}));
  EXPECT_TRUE(parse_gpu_list("")->empty());
  EXPECT_FALSE(parse_gpu_list("1,,2"));
  EXPECT_FALSE(parse_gpu_list("a"));
}

TEST(Cgroup, ParsesTheKernelsFiles) {
  EXPECT_EQ(oom_kills_in("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"), 3);
  EXPECT_EQ(oom_kills_in("low 0\nhigh 0\nmax 5\noom 2\noom_kill 1\noom_group_kill 0\n"), 1);
  EXPECT_EQ(oom_kills_in("oom_kill_disable 0\n"), 0);
  EXPECT_DOUBLE_EQ(v2_cpu_seconds("usage_usec 2500000\nuser_usec 2000000\n"), 2.5);
  EXPECT_DOUBLE_EQ(v2_quota_cpus("200000 100000\n"), 2);
  EXPECT_DOUBLE_EQ(v2_quota_cpus("max 100000\n"), 0);
}

// Where this machine lets us make cgroups (root, or a delegated v2 tree): a child that joins one
// and touches more than its limit is killed by the kernel, and the counter says so.
TEST(Cgroup, AHostOverItsLimitIsCountedAsOutOfMemory) {
  auto group = HostCgroup::create("sagerun-unit-" + std::to_string(::getpid()), 1, int64_t{64} << 20);
  if (!group) GTEST_SKIP() << group.error().message;
  auto child = ChildProcess::spawn_with_setup({"python3", "-c", "b = bytearray(256 * 1024 * 1024)\nprint(len(b))"},
                                              {{"PATH", "/usr/bin:/bin"}}, [&group]() { return group->join(); });
  ASSERT_TRUE(child) << child.error().message;
  const int status = child->wait_exit();
  EXPECT_EQ(status, 128 + SIGKILL);
  const auto usage = group->usage();
  EXPECT_GE(usage.oom_kills, 1);
  EXPECT_GT(usage.peak_bytes, int64_t{32} << 20);
  EXPECT_EQ(group->memory_limit(), int64_t{64} << 20);
}

} // namespace
} // namespace sagerun::runner
