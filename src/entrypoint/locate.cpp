#include "entrypoint/locate.hpp"

#include <algorithm>

#include "entrypoint/submit_dir.hpp"
#include "util/files.hpp"
#include "util/log.hpp"

namespace sagerun::entrypoint {
namespace {

constexpr std::array<const char*, 3> k_default_entries = {"train.py", "train.sh", "train"};

bool is_package_folder(const fs::path& folder) {
  return util::is_file(folder / "setup.py") || util::is_file(folder / "pyproject.toml");
}

std::string strip_py(std::string name) {
  if (name.ends_with(".py")) name.resize(name.size() - 3);
  return name;
}

std::string describe_looked(const std::vector<std::string>& looked) {
  std::string text;
  for (const auto& place : looked)
    text += "\n  - " + place;
  return text;
}

} // namespace

ScriptMode script_mode_settings(const contract::Hyperparameters& hps, const util::EnvMap& env) {
  ScriptMode mode;
  mode.program = util::lookup(env, "SAGEMAKER_PROGRAM").value_or("");
  if (mode.program.empty()) mode.program = contract::reserved_string(hps, "sagemaker_program");
  mode.submit_directory = contract::reserved_string(hps, "sagemaker_submit_directory");
  if (mode.submit_directory.empty())
    mode.submit_directory = util::lookup(env, "SAGEMAKER_SUBMIT_DIRECTORY").value_or("");
  return mode;
}

Entry entry_in_folder(const fs::path& folder, const std::string& program) {
  Entry entry;
  entry.directory = folder;
  const bool package = is_package_folder(folder);
  const auto classify = [&](const std::string& name) {
    entry.name = name;
    if (name.ends_with(".sh"))
      entry.kind = ScriptKind::shell;
    else if (package) {
      entry.kind = ScriptKind::python_package;
      entry.module = strip_py(name);
    } else if (name.ends_with(".py"))
      entry.kind = ScriptKind::python;
    else
      entry.kind = ScriptKind::executable;
  };
  if (!program.empty()) {
    // A package's module need not be a file at the top of the folder ("pkg.train").
    if (util::is_file(folder / program) || (package && !program.ends_with(".sh"))) classify(program);
    return entry;
  }
  for (const char* candidate : k_default_entries) {
    if (util::is_file(folder / candidate)) {
      classify(candidate);
      return entry;
    }
  }
  return entry;
}

std::vector<fs::path> seed_folders(const contract::Paths& paths, const contract::TrainingConfig& config) {
  // Channels named in inputdataconfig.json, plus folders present under input/data (hand-made trees).
  std::vector<std::string> channels = config.channel_names();
  for (const auto& name : util::list_directory(paths.input_data())) {
    if (contract::valid_channel_name(name) && util::is_dir(paths.channel(name)) &&
        std::find(channels.begin(), channels.end(), name) == channels.end()) {
      channels.push_back(name);
    }
  }
  std::sort(channels.begin(), channels.end(), [](const std::string& a, const std::string& b) {
    if ((a == "training") != (b == "training")) return a == "training";
    return a < b;
  });
  std::vector<fs::path> folders;
  for (const auto& channel : channels) {
    folders.push_back(paths.channel(channel) / "script");
    folders.push_back(paths.channel(channel) / "scripts");
  }
  for (const char* name : {"script", "scripts", "code"}) {
    if (std::find(channels.begin(), channels.end(), name) != channels.end()) folders.push_back(paths.channel(name));
  }
  return folders;
}

Expected<Entry> locate_script(const contract::Paths& paths, const contract::TrainingConfig& config,
                              const contract::Hyperparameters& hps, const util::EnvMap& env) {
  const ScriptMode mode = script_mode_settings(hps, env);
  std::vector<std::string> looked;
  const auto found = [&](Entry entry, std::string rule, std::string module_dir) -> Expected<Entry> {
    entry.rule = std::move(rule);
    entry.module_dir = std::move(module_dir);
    return entry;
  };
  const auto try_folder = [&](const fs::path& folder, const std::string& program) {
    looked.push_back(paths.relative(folder) + "/" + (program.empty() ? "{train.py,train.sh,train}" : program));
    return util::is_dir(folder) ? entry_in_folder(folder, program) : Entry{};
  };

  // Rule 1: script mode.
  if (!mode.program.empty()) {
    if (!mode.submit_directory.empty()) {
      if (auto fetched = fetch_submit_directory(mode.submit_directory, paths.code(), env, extraction_budget(paths));
          !fetched) {
        return std::unexpected(fetched.error());
      }
      if (auto entry = try_folder(paths.code(), mode.program); !entry.name.empty()) {
        return found(entry,
                     "script mode (sagemaker_program=" + mode.program +
                         ", sagemaker_submit_directory=" + mode.submit_directory + ")",
                     mode.submit_directory);
      }
      return util::fail(util::ErrorKind::not_found, "script mode: '" + mode.program +
                                                        "' is not in the submit directory " + mode.submit_directory +
                                                        " (extracted into code/)");
    }
    if (auto entry = try_folder(paths.code(), mode.program); !entry.name.empty()) {
      return found(entry, "script mode (sagemaker_program=" + mode.program + ", in code/)", paths.code().string());
    }
    for (const auto& folder : seed_folders(paths, config)) {
      if (auto entry = try_folder(folder, mode.program); !entry.name.empty()) {
        return found(entry, "script mode (sagemaker_program=" + mode.program + ", found with the data)",
                     folder.string());
      }
    }
  }

  // Rule 2: code baked into the image or mounted at code/.
  if (auto entry = try_folder(paths.code(), ""); !entry.name.empty()) {
    return found(entry, "code folder", paths.code().string());
  }

  // Rule 3: the seed convention.
  for (const auto& folder : seed_folders(paths, config)) {
    if (auto entry = try_folder(folder, ""); !entry.name.empty()) {
      return found(entry, "seed convention (the script travelled with the data)", folder.string());
    }
  }

  // Rule 4: nothing.
  return util::fail(util::ErrorKind::not_found,
                    "no training script found. Looked in (under " + paths.base().string() +
                        "):" + describe_looked(looked) +
                        "\nPut train.py (or train.sh, or an executable named train) in a channel's script/ folder, "
                        "or set sagemaker_program.");
}

} // namespace sagerun::entrypoint
