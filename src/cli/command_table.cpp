#include "cli/command_table.hpp"

#include <array>
#include <exception>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/remote_context.hpp"
#include "util/text.hpp"

namespace sagerun::cli {
namespace {

constexpr auto k_job_flags = Shared::jobs | Shared::output;

constexpr std::array k_commands = {
    CommandInfo{"describe", "describe a training job (DescribeTrainingJob's JSON)", cmd_describe,
                k_job_flags | Shared::output_json},
    CommandInfo{"image", "build the generic training image, push it to ECR or a registry", cmd_image,
                Shared::aws | Shared::output},
    CommandInfo{"list", "list training jobs, newest first", cmd_list, k_job_flags},
    CommandInfo{"local", "run a SageMaker training job on this machine (native or docker)", cmd_local,
                Shared::aws | Shared::output_or_path},
    CommandInfo{"logs", "print a training job's logs (--follow)", cmd_logs, k_job_flags},
    CommandInfo{"metrics", "print a training job's metrics over time, per host", cmd_metrics, k_job_flags},
    CommandInfo{"prune", "delete the ended jobs of this machine older than --older-than DAYS (--dry-run)", cmd_prune,
                Shared::output},
    CommandInfo{"rm", "delete ended training jobs entirely (record, logs, folder)", cmd_rm, k_job_flags},
    CommandInfo{"s3", "list, copy and sync between local folders and S3 (ls, cp, sync)", cmd_s3,
                Shared::aws | Shared::output},
    CommandInfo{"server", "serve the SageMaker, CloudWatch Logs and metrics APIs on this machine, running jobs",
                cmd_server, Shared::output},
    CommandInfo{"stop", "stop a running training job", cmd_stop, k_job_flags},
    CommandInfo{"submit", "create a training job on SageMaker (or a compatible endpoint), --wait to follow it",
                cmd_submit, Shared::aws | Shared::output_or_path},
    CommandInfo{"train", "run the SageMaker training entrypoint against /opt/ml (or $SAGEMAKER_BASE_DIR)", cmd_train},
    CommandInfo{"upload", "stage a script folder (and data) in S3 in the seed layout", cmd_upload,
                Shared::aws | Shared::output},
    CommandInfo{"version", "print the version", cmd_version, Shared::output},
    CommandInfo{"whoami", "show the AWS account and identity the credentials resolve to", cmd_whoami,
                Shared::aws | Shared::output},
};

constexpr CommandInfo k_run_job{"__run-job", "the background runner of a detached job (internal)", cmd_run_job,
                                Shared::aws};

void print_help(std::ostream& out) {
  out << "usage: sagerun <command> [options]\n\n"
         "Run any training script on Amazon SageMaker with one generic container image.\n\n"
         "Commands:\n";
  for (const auto& command : k_commands) {
    out << "  " << command.name << std::string(12 - command.name.size(), ' ') << command.summary << "\n";
  }
  out << "\nRun 'sagerun <command> --help' for a command's options.\n";
}

} // namespace

Invocation::Invocation(const CommandInfo& info, std::span<char*> args)
    : Invocation(info, args, util::current_environment()) {}

Invocation::Invocation(const CommandInfo& info, std::span<char*> args, util::EnvMap env)
    : m_app(std::string(info.summary), "sagerun " + std::string(info.name)), m_env(std::move(env)), m_args(args) {
  // The shared flags are accepted before or after a subcommand (`sagerun s3 ls … --endpoint-url`).
  m_app.fallthrough();
  if (has(info.shared, Shared::output_or_path)) {
    // The job's output location has been --output since the first release; json and text (or
    // table) are never one (a folder of that name is ./json).
    m_app
        .add_option_function<std::vector<std::string>>(
            "--output",
            [this](const std::vector<std::string>& values) {
              for (const auto& value : values) {
                const std::string lower = util::ascii_lower(value);
                if (lower == "json") {
                  m_flags.output = Output::json;
                } else if (lower == "text" || lower == "table") {
                  m_flags.output = Output::text;
                } else {
                  m_flags.output_location = value;
                }
              }
            },
            "json or text: how the result prints; anything else: OutputDataConfig.S3OutputPath, as --output-path")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  } else if (has(info.shared, Shared::output)) {
    if (has(info.shared, Shared::output_json)) m_flags.output = Output::json;
    m_app.add_option("--output", m_flags.output, "text (for people) or json (the service's JSON, for scripts)")
        ->transform(CLI::CheckedTransformer(
            std::map<std::string, Output>{{"text", Output::text}, {"table", Output::text}, {"json", Output::json}},
            CLI::ignore_case));
  }
  if (has(info.shared, Shared::jobs)) {
    m_app.add_flag("--remote", m_flags.remote,
                   "talk to SageMaker (the credentials chain's account and region) rather than this machine's jobs");
  }
  if (has(info.shared, Shared::aws)) {
    m_app.add_option("--endpoint-url", m_flags.aws.endpoint_url,
                     has(info.shared, Shared::jobs)
                         ? "a SageMaker-compatible API (also AWS_ENDPOINT_URL_SAGEMAKER); its CloudWatch Logs too"
                         : "the service endpoint (an S3-compatible server, say)");
    m_app.add_option("--region", m_flags.aws.region,
                     "the AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile)");
    m_app.add_option("--profile", m_flags.aws.profile, "the profile in ~/.aws/credentials and ~/.aws/config");
  }
}

std::optional<int> Invocation::parse() {
  try {
    m_app.parse(static_cast<int>(m_args.size()), m_args.data());
  } catch (const CLI::ParseError& e) {
    return m_app.exit(e) == 0 ? k_exit_ok : k_exit_usage;
  }
  return std::nullopt;
}

bool Invocation::wants_remote() const {
  return m_flags.remote || (m_flags.aws.endpoint_url && !m_flags.aws.endpoint_url->empty()) ||
         endpoint_variable_set(m_env, "AWS_ENDPOINT_URL_SAGEMAKER");
}

std::span<const CommandInfo> command_table() { return k_commands; }

int report(const util::Error& error) {
  std::string text = error.message;
  if (!error.code.empty() && text.find(error.code) == std::string::npos) text = error.code + ": " + text;
  std::cerr << "sagerun: error: " << text << "\n";
  return k_exit_error;
}

void print_json(const nlohmann::json& value) {
  std::cout << value.dump(4, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

int dispatch(int argc, char** argv) {
  const std::span<char*> args(argv, static_cast<size_t>(argc));
  if (args.size() < 2) {
    print_help(std::cerr);
    return k_exit_usage;
  }
  const std::string_view name = args[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_help(std::cout);
    return k_exit_ok;
  }
  const std::string_view wanted = name == "--version" ? "version" : name;
  const CommandInfo* found = wanted == k_run_job.name ? &k_run_job : nullptr;
  for (const auto& command : k_commands)
    if (command.name == wanted) found = &command;
  if (found == nullptr) {
    std::cerr << "sagerun: error: unknown command '" << name << "'\n\n";
    print_help(std::cerr);
    return k_exit_usage;
  }
  try {
    Invocation invocation(*found, args.subspan(1));
    return found->run(invocation);
  } catch (const std::exception& e) {
    std::cerr << "sagerun: error: " << e.what() << "\n";
    return k_exit_error;
  }
}

} // namespace sagerun::cli
