#pragma once
// Job names: the service's pattern, and unique names from a base name as the SageMaker SDK
// makes them (<base>-YYYY-MM-DD-HH-MM-SS-mmm, the base cut so the whole stays ≤ 63 characters).

#include <string>

namespace sagerun::job {

inline constexpr size_t k_max_job_name = 63;

bool is_valid_job_name(const std::string& name);

// A unique name from `base` (itself sanitized: characters outside [a-zA-Z0-9-] become '-').
std::string unique_job_name(const std::string& base);

} // namespace sagerun::job
