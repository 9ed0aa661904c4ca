#pragma once
// Finding the training script, by the rules of the contract, in this order:
//   1. script mode: SAGEMAKER_PROGRAM / sagemaker_program (+ sagemaker_submit_directory)
//   2. code baked into the image or mounted at code/
//   3. the seed convention: the script travels with the data (a channel's script/ or scripts/,
//      or a channel named script, scripts or code)
//   4. none: an error that lists every place looked at.

#include <filesystem>
#include <string>
#include <vector>

#include "contract/config.hpp"
#include "contract/hyperparameters.hpp"
#include "contract/paths.hpp"
#include "util/environment.hpp"

namespace sagerun::entrypoint {

namespace fs = std::filesystem;

enum class ScriptKind { python, shell, executable, python_package };

struct Entry {
  ScriptKind kind = ScriptKind::python;
  fs::path directory;     // the folder holding it; the working directory of the run
  std::string name;       // the entry relative to `directory` ("train.py")
  std::string module;     // python_package: the module run with -m
  std::string rule;       // which rule matched, for the log
  std::string module_dir; // SM_MODULE_DIR
};

struct ScriptMode {
  std::string program;          // SAGEMAKER_PROGRAM, else the sagemaker_program hyperparameter
  std::string submit_directory; // the sagemaker_submit_directory hyperparameter, else the env
};

ScriptMode script_mode_settings(const contract::Hyperparameters& hps, const util::EnvMap& env);

// The seed convention's folders, in the order they are searched.
std::vector<fs::path> seed_folders(const contract::Paths& paths, const contract::TrainingConfig& config);

// Finds the entry. Rule 1 with a submit directory extracts it into code/ first.
Expected<Entry> locate_script(const contract::Paths& paths, const contract::TrainingConfig& config,
                              const contract::Hyperparameters& hps, const util::EnvMap& env);

// The entry in `folder`: `program` when given, else train.py, train.sh, train.
// Empty `name` in the result means nothing was found.
Entry entry_in_folder(const fs::path& folder, const std::string& program);

} // namespace sagerun::entrypoint
