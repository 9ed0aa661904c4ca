// A child's exit is delivered through its pidfd: readable once it has ended, even while a
// process it left behind still holds its output open, and closed once the exit is known.

#include <poll.h>
#include <signal.h>

#include <gtest/gtest.h>

#include "runner/child_process.hpp"

namespace sagerun::runner {
namespace {

bool readable_within(int fd, int milliseconds) {
  pollfd pfd{fd, POLLIN, 0};
  return ::poll(&pfd, 1, milliseconds) == 1 && (pfd.revents & POLLIN) != 0;
}

TEST(ChildProcessTest, TheExitFdIsReadableOnceTheChildHasEnded) {
  // The background sleep keeps the output pipe open: only the pidfd tells of the exit.
  auto child = ChildProcess::spawn({"/bin/sh", "-c", "sleep 30 & exit 3"}, {});
  ASSERT_TRUE(child) << child.error().message;
  ASSERT_GE(child->exit_fd(), 0) << "this kernel refuses pidfd_open";
  ASSERT_TRUE(readable_within(child->exit_fd(), 10'000));
  EXPECT_EQ(child->poll_exit(), 3);
  EXPECT_EQ(child->exit_fd(), -1);
  EXPECT_FALSE(child->running());
}

TEST(ChildProcessTest, TheExitFdStaysQuietWhileTheChildRuns) {
  auto child = ChildProcess::spawn({"/bin/sh", "-c", "sleep 30"}, {});
  ASSERT_TRUE(child) << child.error().message;
  EXPECT_FALSE(readable_within(child->exit_fd(), 50));
  child->signal(SIGKILL);
  EXPECT_EQ(child->wait_exit(), 128 + SIGKILL);
}

TEST(ChildProcessTest, AChildOfItsOwnNamespacesHasAnExitFdToo) {
  auto child = ChildProcess::spawn_with_setup({"/bin/sh", "-c", "exit 0"}, {}, [] { return 0; });
  ASSERT_TRUE(child) << child.error().message;
  ASSERT_TRUE(readable_within(child->exit_fd(), 10'000));
  EXPECT_EQ(child->wait_exit(), 0);
}

} // namespace
} // namespace sagerun::runner
