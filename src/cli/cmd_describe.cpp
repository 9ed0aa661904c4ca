// sagerun describe JOB: the job in DescribeTrainingJob's shape (JSON, as the AWS CLI prints it):
// a local job, or with --remote / --endpoint-url / AWS_ENDPOINT_URL_SAGEMAKER the API's answer.
#include <iostream>

#include "cli/aws_context.hpp"
#include "cli/command_table.hpp"
#include "cli/job_lookup.hpp"
#include "cli/remote_context.hpp"

namespace sagerun::cli {
namespace {

int describe_remote(const std::string& name, const RemoteFlags& remote) {
  auto context = make_remote_context(remote.aws, util::current_environment());
  if (!context) return report(context.error());
  auto description = (*context)->sagemaker->describe_training_job(name);
  if (!description) return report(description.error());
  std::cout << description->dump(4) << "\n";
  return k_exit_ok;
}

} // namespace

int cmd_describe(std::span<char*> args) {
  CLI::App app{"Describe a training job (DescribeTrainingJob's JSON).", "sagerun describe"};
  std::string name;
  RemoteFlags remote;
  app.add_option("JOB", name, "the training job's name")->required();
  add_remote_flags(app, remote);
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? k_exit_ok : k_exit_usage;
  }
  if (wants_remote(remote, util::current_environment())) return describe_remote(name, remote);
  auto folder = find_local_job(name);
  if (!folder) return report(folder.error());
  auto request = folder->read_request();
  if (!request) return report(request.error());
  auto status = runner::read_reconciled_status(*folder);
  if (!status) return report(status.error());
  std::cout << job::describe_json(*request, *status).dump(4) << "\n";
  return k_exit_ok;
}

} // namespace sagerun::cli
