#include "cli/job_lookup.hpp"

namespace sagerun::cli {

Expected<runner::JobFolder> find_local_job(const std::string& name) {
  runner::JobFolder folder(runner::state_root(util::current_environment()), name);
  if (name.empty() || name.find('/') != std::string::npos || !folder.exists()) {
    return util::fail(util::ErrorKind::not_found,
                      "ResourceNotFound: Requested resource not found: no local training job '" + name + "' in " +
                          folder.folder().parent_path().string());
  }
  return folder;
}

bool is_terminal(const std::string& status) {
  return status == "Completed" || status == "Failed" || status == "Stopped";
}

} // namespace sagerun::cli
