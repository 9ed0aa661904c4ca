#pragma once
// The CLI's Backend over this machine's store (LocalJobs), with logs read from the job's
// folder: the hosts' log files byte for byte, or their timestamped events as JSON lines; and
// metrics from the hosts' metric series there.

#include <memory>

#include "jobs/backend.hpp"
#include "jobs/local_jobs.hpp"

namespace sagerun::jobs {

std::unique_ptr<Backend> make_local_backend(LocalJobs& jobs);

} // namespace sagerun::jobs
