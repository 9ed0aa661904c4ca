#include "cli/command_table.hpp"

#include <array>
#include <exception>
#include <iostream>
#include <string>

namespace sagerun::cli {
namespace {

constexpr std::array k_commands = {
    CommandInfo{"describe", "describe a training job (DescribeTrainingJob's JSON)", cmd_describe},
    CommandInfo{"image", "build the generic training image, push it to ECR or a registry", cmd_image},
    CommandInfo{"list", "list training jobs, newest first", cmd_list},
    CommandInfo{"local", "run a SageMaker training job on this machine (native or docker)", cmd_local},
    CommandInfo{"logs", "print a training job's logs (--follow)", cmd_logs},
    CommandInfo{"s3", "list, copy and sync between local folders and S3 (ls, cp, sync)", cmd_s3},
    CommandInfo{"server", "serve the SageMaker and CloudWatch Logs APIs on this machine, running jobs", cmd_server},
    CommandInfo{"stop", "stop a running training job", cmd_stop},
    CommandInfo{"submit", "create a training job on SageMaker (or a compatible endpoint), --wait to follow it",
                cmd_submit},
    CommandInfo{"train", "run the SageMaker training entrypoint against /opt/ml (or $SAGEMAKER_BASE_DIR)", cmd_train},
    CommandInfo{"upload", "stage a script folder (and data) in S3 in the seed layout", cmd_upload},
    CommandInfo{"version", "print the version", cmd_version},
    CommandInfo{"whoami", "show the AWS account and identity the credentials resolve to", cmd_whoami},
};

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

std::span<const CommandInfo> command_table() { return k_commands; }

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
  if (name == "--version") return cmd_version(args.subspan(1));
  if (name == "__run-job") return cmd_run_job(args.subspan(1));
  for (const auto& command : k_commands) {
    if (command.name != name) continue;
    try {
      return command.run(args.subspan(1));
    } catch (const std::exception& e) {
      std::cerr << "sagerun: error: " << e.what() << "\n";
      return k_exit_error;
    }
  }
  std::cerr << "sagerun: error: unknown command '" << name << "'\n\n";
  print_help(std::cerr);
  return k_exit_usage;
}

} // namespace sagerun::cli
