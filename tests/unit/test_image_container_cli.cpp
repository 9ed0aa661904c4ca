// The container client runner: argv only, a secret through stdin only, stdout captured or sent
// to our stderr, exit codes and errors that say what failed.
#include <gtest/gtest.h>

#include "image/container_cli.hpp"

namespace sagerun::image {
namespace {

ContainerCli shell() { return ContainerCli("/bin/sh", util::current_environment()); }

TEST(ContainerCli, InputGoesThroughStdinAndOutputIsCaptured) {
  const ContainerCli cat("cat", util::current_environment());
  auto result = cat.run({}, Output::capture, std::string_view("s3cret\npassword"));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->output, "s3cret\npassword");
  // Without input, stdin is /dev/null: nothing waits for a terminal.
  result = cat.run({}, Output::capture);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->output, "");
}

TEST(ContainerCli, ArgumentsAreNotParsedByAShell) {
  auto result = shell().run({"-c", "printf '%s|' \"$@\"", "sh", "a b", "$HOME", "; rm -rf /"}, Output::capture);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->output, "a b|$HOME|; rm -rf /|");
}

TEST(ContainerCli, StdoutGoesToStderrUnlessCaptured) {
  testing::internal::CaptureStderr();
  auto result = shell().run({"-c", "echo progress; echo oops >&2"}, Output::to_stderr);
  const std::string stderr_text = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->output, "");
  EXPECT_EQ(stderr_text, "progress\noops\n");
}

TEST(ContainerCli, ExitCodesAndErrors) {
  auto result = shell().run({"-c", "exit 3"}, Output::capture);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->exit_code, 3);
  result = shell().run({"-c", "kill -TERM $$"}, Output::capture);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->exit_code, 128 + 15);
  auto checked = ContainerCli("sh", util::current_environment()).check({"-c", "exit 2"}, Output::capture, "do this");
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().message, "`sh` failed (exit 2; its messages are above): do this");
  EXPECT_EQ(*shell().check({"-c", "echo ok"}, Output::capture, ""), "ok\n");
}

TEST(ContainerCli, AMissingClientIsNamed) {
  const ContainerCli missing("/nonexistent/docker", util::current_environment());
  auto result = missing.run({"version"}, Output::capture);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("cannot start /nonexistent/docker"), std::string::npos);
  EXPECT_NE(result.error().message.find("--docker"), std::string::npos);
}

TEST(ContainerCli, AClientThatDoesNotReadItsInputIsNoCrash) {
  // The reader is gone before the password is written: EPIPE, not a SIGPIPE death.
  const std::string input(50 * 1024, 'x');
  auto result = shell().run({"-c", "exec 0<&-; exit 4"}, Output::capture, std::string_view(input));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->exit_code, 4);
  EXPECT_FALSE(shell().run({"-c", "true"}, Output::capture, std::string_view(std::string(100 * 1024, 'x'))));
}

TEST(ContainerCli, Descriptions) {
  EXPECT_EQ(describe_command("/usr/bin/docker", {"image", "inspect", "--format=x", "t"}), "docker image inspect");
  EXPECT_EQ(describe_command("docker", {"push", "h/r:t"}), "docker push");
  EXPECT_EQ(describe_command("podman", {"login", "--username=AWS", "--password-stdin", "h"}), "podman login");
  EXPECT_TRUE(ContainerCli("/usr/bin/podman", {}).is_podman());
  EXPECT_FALSE(ContainerCli("docker", {}).is_podman());
}

} // namespace
} // namespace sagerun::image
