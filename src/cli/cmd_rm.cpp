// sagerun rm JOB [JOB...]: deletes ended training jobs entirely — from this machine's store (the
// index row, the tags, the folder with its logs, metrics and hosts' trees), or with --remote /
// --endpoint-url / AWS_ENDPOINT_URL_SAGEMAKER by DeleteTrainingJob on the API. A job that has not
// ended is refused (stop it first); an unknown name is an error; the other jobs named are deleted
// all the same, and the exit code is 1 when any was not.
#include <cstdio>

#include "cli/command_table.hpp"
#include "cli/job_output.hpp"
#include "cli/jobs_access.hpp"

namespace sagerun::cli {

int cmd_rm(Invocation& invocation) {
  std::vector<std::string> names;
  invocation.app().add_option("JOB", names, "the training jobs' names")->required();
  if (auto done = invocation.parse()) return *done;
  const bool json = invocation.flags().output == Output::json;
  auto access = open_jobs(invocation);
  if (!access) return report(access.error());
  nlohmann::json deleted = nlohmann::json::array();
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& name : names) {
    auto removed = access->backend->remove(name);
    if (!removed) {
      const auto error = not_found_here(removed.error(), *access, name);
      report(error);
      errors.push_back({{"TrainingJobName", name}, {"Code", error.code}, {"Message", error.message}});
      continue;
    }
    nlohmann::json entry = {{"TrainingJobName", name}};
    if (*removed) entry["BytesFreed"] = **removed;
    deleted.push_back(std::move(entry));
    if (json) continue;
    if (*removed) {
      std::printf("deleted %s (%s freed)\n", name.c_str(), format_bytes(**removed).c_str());
    } else {
      std::printf("deleted %s\n", name.c_str());
    }
  }
  if (json) print_json({{"Deleted", deleted}, {"Errors", errors}});
  return errors.empty() ? k_exit_ok : k_exit_error;
}

} // namespace sagerun::cli
