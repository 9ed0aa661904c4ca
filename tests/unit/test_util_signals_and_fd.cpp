#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>

#include "util/fd.hpp"
#include "util/signals.hpp"

namespace sagerun::util {
namespace {

TEST(SignalName, KnownAndUnknown) {
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
  EXPECT_EQ(signal_name(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(signal_name(42), "signal 42");
}

TEST(Fd, WriteAllAndPipe) {
  Pipe pipe;
  ASSERT_TRUE(make_pipe(pipe));
  ASSERT_TRUE(write_all(pipe.write_end.get(), "hello"));
  pipe.write_end.reset();
  char buffer[16] = {};
  EXPECT_EQ(::read(pipe.read_end.get(), buffer, sizeof buffer), 5);
  EXPECT_STREQ(buffer, "hello");
  UniqueFd moved(std::move(pipe.read_end));
  EXPECT_FALSE(pipe.read_end.valid());
  EXPECT_TRUE(moved.valid());
}

} // namespace
} // namespace sagerun::util
