#include <gtest/gtest.h>

#include "entrypoint/hosts.hpp"
#include "entrypoint/system_info.hpp"

namespace sagerun::entrypoint {
namespace {

using namespace std::chrono_literals;

TEST(Hosts, Resolution) {
  EXPECT_TRUE(host_resolves("localhost"));
  EXPECT_FALSE(host_resolves("sagerun-no-such-host.invalid"));
}

TEST(Hosts, TheCurrentHostIsNotWaitedFor) {
  auto supervisor = *Supervisor::create(1s);
  const auto result = wait_for_hosts({"sagerun-self.invalid", "localhost"}, "sagerun-self.invalid", 1s, supervisor);
  EXPECT_EQ(result.outcome, HostWait::resolved);
}

TEST(Hosts, GivesUpAfterTheLimit) {
  auto supervisor = *Supervisor::create(1s);
  const auto started = std::chrono::steady_clock::now();
  const auto result = wait_for_hosts({"algo-1", "sagerun-no-such-host.invalid"}, "algo-1", 1s, supervisor);
  EXPECT_EQ(result.outcome, HostWait::timed_out);
  EXPECT_EQ(result.unresolved, "sagerun-no-such-host.invalid");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST(SystemInfo, CountsWithoutRunningAnything) {
  const auto info = probe_system({{"PATH", "/nonexistent"}});
  EXPECT_GE(info.cpus, 1);
  EXPECT_GE(info.gpus, 0);
  EXPECT_EQ(info.neurons, 0);
  EXPECT_FALSE(info.smddpmprun_installed);
}

} // namespace
} // namespace sagerun::entrypoint
