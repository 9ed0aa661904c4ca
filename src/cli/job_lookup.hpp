#pragma once
// Finding a local job by name for describe, logs and stop.

#include <string>

#include "runner/state.hpp"
#include "util/environment.hpp"
#include "util/error.hpp"

namespace sagerun::cli {

// The job's folder; ResourceNotFound when there is no such local job.
Expected<runner::JobFolder> find_local_job(const std::string& name);

bool is_terminal(const std::string& status);

} // namespace sagerun::cli
