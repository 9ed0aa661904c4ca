// Whether a runner lives: the lock its runner holds, and the pid plus start time it names.

#include "store/runner_lock.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace sagerun::store {
namespace {

TEST(RunnerLock, HeldMeansAliveAndTakingItMakesTheWriter) {
  test::TempDir dir;
  const auto file = dir.path() / "lock";
  EXPECT_FALSE(is_locked(file)); // no file: nobody
  auto first = JobLock::try_acquire(file);
  ASSERT_TRUE(first && *first);
  EXPECT_TRUE(is_locked(file));
  auto second = JobLock::try_acquire(file);
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second); // held: a runner lives
  first->reset();
  EXPECT_FALSE(is_locked(file));
  auto third = JobLock::try_acquire(file);
  EXPECT_TRUE(third && *third);
}

TEST(RunnerLock, ALockPassedToAChildOutlivesItsCreator) {
  test::TempDir dir;
  const auto file = dir.path() / "lock";
  auto lock = JobLock::acquire(file);
  ASSERT_TRUE(lock);
  const int copy = ::dup(lock->fd()); // what posix_spawn's dup2 gives the runner
  auto adopted = JobLock::adopt(copy, file);
  ASSERT_TRUE(adopted) << adopted.error().message;
  {
    auto gone = std::move(*lock);
  } // the creator lets go
  EXPECT_TRUE(is_locked(file));
  // The adopted descriptor is close-on-exec: the runner's children never keep the job alive.
  EXPECT_NE(::fcntl(adopted->fd(), F_GETFD) & FD_CLOEXEC, 0);
  // A descriptor that does not hold the lock is refused.
  auto other = JobLock::adopt(::open(file.c_str(), O_RDWR | O_CLOEXEC), file);
  EXPECT_FALSE(other);
}

TEST(RunnerLock, TheHolderIsNamedByPidAndStartTime) {
  test::TempDir dir;
  const auto file = dir.path() / "lock";
  auto lock = JobLock::acquire(file);
  ASSERT_TRUE(lock);
  EXPECT_FALSE(recorded_holder(file));
  ASSERT_TRUE(lock->record_holder());
  const auto holder = recorded_holder(file);
  ASSERT_TRUE(holder);
  EXPECT_EQ(*holder, this_process());
  EXPECT_TRUE(is_running(*holder));
  // The same pid with another start time is another process (a recycled pid).
  EXPECT_FALSE(is_running(RunnerId{holder->pid, holder->start_ticks + 1}));

  const pid_t child = ::fork();
  if (child == 0) _exit(0);
  const auto ticks = process_start_ticks(child);
  ::waitpid(child, nullptr, 0);
  EXPECT_FALSE(is_running(RunnerId{child, ticks.value_or(0)})); // ended
  EXPECT_FALSE(process_start_ticks(child));
}

} // namespace
} // namespace sagerun::store
