// sagerun describe JOB: the job in DescribeTrainingJob's shape (JSON, as the AWS CLI prints it).
#include <iostream>

#include "cli/aws_context.hpp"
#include "cli/command_table.hpp"
#include "cli/job_lookup.hpp"

namespace sagerun::cli {

int cmd_describe(std::span<char*> args) {
  CLI::App app{"Describe a training job (DescribeTrainingJob's JSON).", "sagerun describe"};
  std::string name;
  app.add_option("JOB", name, "the training job's name")->required();
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? k_exit_ok : k_exit_usage;
  }
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
