#pragma once
// How the job commands show a job to a person: the outcome lines every command prints when a job
// ends (`sagerun local`, `submit --wait`, `stop`), and describe's text form. Both read
// DescribeTrainingJob's JSON, so local and remote jobs look the same.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace sagerun::cli {

// "sagerun: job NAME: Completed (Completed)", the failure reason, the model, the metrics (stderr).
void print_outcome(const nlohmann::json& description);

// "512 B", "4.0 KiB", "12.3 MiB", "1.5 GiB": the disk `rm` and `prune` free.
std::string format_bytes(uint64_t bytes);

// Name, status, times, reason, model, metrics and the transitions, one per line (stdout).
void print_description(const nlohmann::json& description);

} // namespace sagerun::cli
