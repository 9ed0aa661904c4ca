// The plans a native host is started with, carried out in a real child: the names-only plan
// (where light containers are refused) gives the host its name and /etc/hosts and nothing else.
// Skipped where the kernel refuses even those namespaces.

#include "runner/light_container.hpp"

#include <poll.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "runner/child_process.hpp"
#include "test_support.hpp"
#include "util/atomic_file.hpp"

namespace sagerun::runner {
namespace {

// Everything the child writes, and its exit status.
std::pair<std::string, int> output_of(ChildProcess& child) {
  std::string text;
  char buffer[4096];
  while (child.output_fd() >= 0) {
    pollfd waiting{child.output_fd(), POLLIN, 0};
    ::poll(&waiting, 1, 5000);
    const ssize_t got = ::read(child.output_fd(), buffer, sizeof buffer);
    if (got > 0) {
      text.append(buffer, static_cast<size_t>(got));
    } else if (got == 0) {
      child.close_output();
    }
  }
  while (!child.poll_exit())
    ::usleep(1000);
  return {text, *child.exit_code()};
}

TEST(RunnerLightContainer, TheNamesOnlyPlanGivesAHostItsNameAndHostsFile) {
  test::TempDir dir;
  const auto hosts = dir.path() / "algo-2.hosts";
  ASSERT_TRUE(util::write_file_atomic(hosts, "127.0.100.2\talgo-2\n"));
  const auto plan = LightContainerPlan::names_only(hosts, "algo-2");
  auto child = ChildProcess::spawn_with_setup(
      {"/bin/sh", "-c", "hostname; cat /etc/hosts; echo $$"}, {}, [&plan]() { return plan.enter(); },
      names_only_namespaces());
  if (!child) GTEST_SKIP() << "namespaces refused here: " << child.error().message;
  const auto [text, status] = output_of(*child);
  EXPECT_EQ(status, 0);
  const auto pid = std::to_string(child->pid());
  EXPECT_EQ(text, "algo-2\n127.0.100.2\talgo-2\n" + pid + "\n"); // no PID namespace: its pid is this machine's
  char name[256] = {};
  ASSERT_EQ(::gethostname(name, sizeof name - 1), 0);
  EXPECT_NE(std::string(name), "algo-2"); // this machine's name is untouched
}

TEST(RunnerLightContainer, TheProbeRunsInAllTheNamespaces) {
  test::TempDir dir;
  const auto plan = LightContainerPlan::probe(dir.path());
  auto child = ChildProcess::spawn_with_setup(
      {"/bin/sh", "-c", "echo $$"}, {}, [&plan]() { return plan.enter(); }, light_container_namespaces());
  if (!child) GTEST_SKIP() << "namespaces refused here: " << child.error().message;
  const auto [text, status] = output_of(*child);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(text, "1\n"); // process 1 of its PID namespace
}

} // namespace
} // namespace sagerun::runner
