#pragma once
// A job as a row of the jobs page: what the SageMaker console's list shows (name, status,
// secondary status, instance type × count, created, ended, final metrics).

#include <nlohmann/json.hpp>

#include "store/index.hpp"

namespace sagerun::dashboard {

// {"name", "status", "secondaryStatus", "instanceType", "instanceCount", "created", "trainingStart",
//  "ended", "finalMetrics": [{"name", "value"}]}; times in seconds since the epoch, null when none.
nlohmann::json job_row(const store::JobRow& row);

} // namespace sagerun::dashboard
