#pragma once
// One host's /opt/ml tree, laid out as SageMaker lays it (contract::Paths, the layout `train`
// reads): input/config/*.json (identical in shape to what the service writes),
// input/data/<channel>/, model/, output/data/, checkpoints/, code/.

#include <filesystem>

#include "contract/paths.hpp"
#include "job/request.hpp"
#include "util/error.hpp"

namespace sagerun::runner {

namespace fs = std::filesystem;

enum class TreeMount {
  container, // the tree is mounted at /opt/ml: paths in the config files are the container's
  native,    // the tree is used where it lies (SAGEMAKER_BASE_DIR): paths are the host's
};

// Where a host's checkpoints live on this machine, for the given tree.
fs::path checkpoint_folder(const job::TrainingJobRequest& request, const contract::Paths& host);

Expected<void> write_host_tree(const job::TrainingJobRequest& request, int host_index, const contract::Paths& host,
                               TreeMount mount);

// The config files' contents, for tests and for the docs.
nlohmann::json resource_config_json(const job::TrainingJobRequest& request, int host_index);
nlohmann::json input_data_config_json(const job::TrainingJobRequest& request);

} // namespace sagerun::runner
