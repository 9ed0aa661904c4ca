#pragma once
// The sagerun subcommands: one cmd_<name>.cpp each, listed in one table.

#include <span>
#include <string_view>

namespace sagerun::cli {

// Exit codes of the sagerun command itself (docs/cli.md).
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_error = 1;
inline constexpr int k_exit_usage = 2;

struct CommandInfo {
  std::string_view name;
  std::string_view summary;
  int (*run)(std::span<char*> args); // args[0] is the command name
};

std::span<const CommandInfo> command_table();

// sagerun's main: dispatches to a command, prints help, maps errors to exit codes.
int dispatch(int argc, char** argv);

int cmd_describe(std::span<char*> args);
int cmd_image(std::span<char*> args);
int cmd_list(std::span<char*> args);
int cmd_local(std::span<char*> args);
int cmd_logs(std::span<char*> args);
int cmd_run_job(std::span<char*> args); // the detached local runner (internal)
int cmd_s3(std::span<char*> args);
int cmd_server(std::span<char*> args);
int cmd_stop(std::span<char*> args);
int cmd_submit(std::span<char*> args);
int cmd_train(std::span<char*> args);
int cmd_upload(std::span<char*> args);
int cmd_version(std::span<char*> args);
int cmd_whoami(std::span<char*> args);

} // namespace sagerun::cli
