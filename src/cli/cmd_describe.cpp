// sagerun describe JOB: the job in DescribeTrainingJob's shape (JSON, as the AWS CLI prints it;
// --output text for a summary): a job of this machine's store, or with --remote / --endpoint-url
// / AWS_ENDPOINT_URL_SAGEMAKER the API's answer.
#include "cli/command_table.hpp"
#include "cli/job_output.hpp"
#include "cli/jobs_access.hpp"

namespace sagerun::cli {

int cmd_describe(Invocation& invocation) {
  std::string name;
  invocation.app().add_option("JOB", name, "the training job's name")->required();
  if (auto done = invocation.parse()) return *done;
  auto access = open_jobs(invocation);
  if (!access) return report(access.error());
  auto description = access->backend->describe(name);
  if (!description) return report(not_found_here(description.error(), *access, name));
  if (invocation.flags().output == Output::json) {
    print_json(*description);
  } else {
    print_description(*description);
  }
  return k_exit_ok;
}

} // namespace sagerun::cli
