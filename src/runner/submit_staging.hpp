#pragma once
// Script mode with the code on this machine, as the SageMaker SDK's local mode runs it: a
// `file://` sagemaker_submit_directory (a folder or a sourcedir.tar.gz) is put into each host's
// code/ before the host starts, and the host's hyperparameters.json names code/ instead, so the
// entrypoint finds the script there, in the native runtime and in a container alike.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "contract/paths.hpp"
#include "job/request.hpp"
#include "runner/host_tree.hpp"
#include "util/error.hpp"

namespace sagerun::runner {

inline constexpr const char* k_submit_directory_key = "sagemaker_submit_directory";

// The local folder or archive a request's sagemaker_submit_directory names (file://…, its value
// JSON-encoded or not), or nothing when it names none (absent, s3://…).
std::optional<std::filesystem::path> local_submit_directory(const job::TrainingJobRequest& request);

// The hyperparameters a host is given: the request's, with a local submit directory replaced by
// the host's code/ as the host sees it (/opt/ml/code in a container), encoded as it was.
std::map<std::string, std::string> host_hyperparameters(const job::TrainingJobRequest& request,
                                                        const contract::Paths& host, TreeMount mount);

// Copies (or extracts) a local submit directory into every host's code/; nothing to do without one.
Expected<void> stage_submit_directory(const job::TrainingJobRequest& request,
                                      const std::vector<contract::Paths>& hosts);

} // namespace sagerun::runner
