#pragma once
// The sagerun subcommands: one cmd_<name>.cpp each, listed in one table that also declares what
// each shares with the others — `--output`, the AWS flags, the choice between this machine's
// jobs and a SageMaker API — so those flags are declared, read and checked in one place.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "util/environment.hpp"
#include "util/error.hpp"

namespace sagerun::cli {

// Exit codes of the sagerun command itself (docs/cli.md).
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_error = 1;
inline constexpr int k_exit_usage = 2;
// After Ctrl-C, as shells report it.
inline constexpr int k_exit_interrupted = 130;

// How a command prints its result: for people, or the service's JSON for scripts (the AWS CLI's
// --output json).
enum class Output { text, json };

// The flags a command takes from the shared set.
enum class Shared : unsigned {
  none = 0,
  output = 1,         // --output text|json
  aws = 2,            // --endpoint-url, --region, --profile
  jobs = 4 | 2,       // aws, and --remote: this machine's jobs or a SageMaker API (jobs/backend.hpp)
  output_json = 8,    // --output defaults to json (describe)
  output_or_path = 16 // `local`, `submit`: --output also takes the job's output location (not json/text)
};
constexpr Shared operator|(Shared a, Shared b) { return Shared(unsigned(a) | unsigned(b)); }
constexpr bool has(Shared set, Shared flag) { return (unsigned(set) & unsigned(flag)) == unsigned(flag); }

struct AwsFlags {
  std::optional<std::string> endpoint_url;
  std::optional<std::string> region;
  std::optional<std::string> profile;
};

struct SharedFlags {
  Output output = Output::text;
  std::optional<std::string> output_location; // Shared::output_or_path: --output s3://… (or a folder)
  AwsFlags aws;
  bool remote = false;
};

struct CommandInfo;

// One run of a command: its CLI11 app with the shared flags already declared, and what they
// were set to once parsed.
class Invocation {
public:
  Invocation(const CommandInfo& info, std::span<char*> args);
  // With a given environment (tests).
  Invocation(const CommandInfo& info, std::span<char*> args, util::EnvMap env);
  CLI::App& app() { return m_app; }
  const SharedFlags& flags() const { return m_flags; }
  const util::EnvMap& env() const { return m_env; }
  std::span<char*> args() const { return m_args; }
  // Parses the command line: nullopt to go on, else the exit code to return (help was printed,
  // or the usage was wrong).
  std::optional<int> parse();
  // Whether describe/list/logs/stop talk to an API rather than this machine's jobs: --remote,
  // --endpoint-url, or AWS_ENDPOINT_URL_SAGEMAKER in the environment (AWS_ENDPOINT_URL alone
  // does not count: it often points at a local S3 server for local jobs).
  bool wants_remote() const;

private:
  CLI::App m_app;
  SharedFlags m_flags;
  util::EnvMap m_env;
  std::span<char*> m_args;
};

struct CommandInfo {
  std::string_view name;
  std::string_view summary;
  int (*run)(Invocation& invocation);
  Shared shared = Shared::none;
};

std::span<const CommandInfo> command_table();

// sagerun's main: dispatches to a command, prints help, maps errors to exit codes.
int dispatch(int argc, char** argv);

// Prints "sagerun: error: <code>: <message>" (the service's code when there is one).
int report(const util::Error& error);
// Prints a result: JSON (indented, as the AWS CLI does) on stdout.
void print_json(const nlohmann::json& value);

int cmd_describe(Invocation& invocation);
int cmd_image(Invocation& invocation);
int cmd_list(Invocation& invocation);
int cmd_local(Invocation& invocation);
int cmd_logs(Invocation& invocation);
int cmd_metrics(Invocation& invocation);
int cmd_prune(Invocation& invocation);
int cmd_rm(Invocation& invocation);
int cmd_run_job(Invocation& invocation); // the detached local runner (internal)
int cmd_s3(Invocation& invocation);
int cmd_server(Invocation& invocation);
int cmd_stop(Invocation& invocation);
int cmd_submit(Invocation& invocation);
int cmd_train(Invocation& invocation);
int cmd_upload(Invocation& invocation);
int cmd_version(Invocation& invocation);
int cmd_whoami(Invocation& invocation);

} // namespace sagerun::cli
