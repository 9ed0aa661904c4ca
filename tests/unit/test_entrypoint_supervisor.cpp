#include "entrypoint/supervisor.hpp"

#include <csignal>
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "util/environment.hpp"

namespace sagerun::entrypoint {
namespace {

using namespace std::chrono_literals;

Supervisor& supervisor() {
  static Supervisor instance = *Supervisor::create(1s);
  return instance;
}

RunResult sh(const std::string& script) {
  return *supervisor().run(
      Command{{"/bin/sh", "-c", script}, "/", util::current_environment(), Command::Output::inherit});
}

TEST(Supervisor, ExitCodesPassThrough) {
  EXPECT_EQ(sh("exit 0").exit_code, 0);
  EXPECT_EQ(sh("exit 3").exit_code, 3);
  EXPECT_EQ(sh("exit 255").exit_code, 255);
}

TEST(Supervisor, DeathBySignalIs128PlusN) {
  auto result = sh("kill -SEGV $$");
  EXPECT_EQ(result.exit_code, 128 + SIGSEGV);
  EXPECT_EQ(result.term_signal, SIGSEGV);
}

TEST(Supervisor, KeepsTheStderrTail) {
  auto result = sh("echo out; echo err1 >&2; printf 'partial' >&2; exit 2");
  EXPECT_EQ(result.tail, "err1\npartial");
}

TEST(Supervisor, MissingProgramIsSpawnError) {
  auto result = *supervisor().run(Command{{"/nonexistent/prog"}, "/", {}, Command::Output::inherit});
  EXPECT_EQ(result.spawn_errno, ENOENT);
  EXPECT_EQ(result.exit_code, 127);
}

TEST(Supervisor, SigtermIsForwardedAndGraceEndsInSigkill) {
  // A supervisor of its own (the stop it records must not leak into other tests), created before
  // the thread so that the thread inherits the blocked signal mask.
  auto own = *Supervisor::create(1s);
  std::thread stopper([] {
    std::this_thread::sleep_for(300ms);
    ::kill(::getpid(), SIGTERM);
  });
  const auto start = std::chrono::steady_clock::now();
  auto result = *own.run(Command{{"/bin/sh", "-c", "trap '' TERM; sleep 30 & wait; sleep 30"},
                                 "/",
                                 util::current_environment(),
                                 Command::Output::inherit});
  stopper.join();
  EXPECT_EQ(result.stop_signal, SIGTERM);
  EXPECT_TRUE(result.grace_expired);
  EXPECT_EQ(result.exit_code, 128 + SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(Supervisor, LeftoverProcessesAreKilled) {
  auto result = sh("sleep 300 & exit 0");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_GE(result.leftovers_killed, 1);
}

} // namespace
} // namespace sagerun::entrypoint
