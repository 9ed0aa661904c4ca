#pragma once
// The /opt/ml layout of the SageMaker training contract, relocatable with SAGEMAKER_BASE_DIR.

#include <filesystem>
#include <string>

#include "util/environment.hpp"

namespace sagerun::contract {

namespace fs = std::filesystem;

inline constexpr const char* k_default_base_dir = "/opt/ml";

class Paths {
public:
  explicit Paths(fs::path base) : m_base(std::move(base)) {}
  // SAGEMAKER_BASE_DIR when set, else /opt/ml.
  static Paths from_environment(const util::EnvMap& env);

  const fs::path& base() const { return m_base; }
  fs::path input() const { return m_base / "input"; }
  fs::path input_config() const { return input() / "config"; }
  fs::path input_data() const { return input() / "data"; }
  fs::path channel(const std::string& name) const { return input_data() / name; }
  fs::path hyperparameters_file() const { return input_config() / "hyperparameters.json"; }
  fs::path input_data_config_file() const { return input_config() / "inputdataconfig.json"; }
  fs::path resource_config_file() const { return input_config() / "resourceconfig.json"; }
  fs::path checkpoint_config_file() const { return input_config() / "checkpointconfig.json"; }
  fs::path training_job_config_file() const { return input_config() / "trainingjobconfig.json"; }
  fs::path model() const { return m_base / "model"; }
  fs::path output() const { return m_base / "output"; }
  fs::path output_data() const { return output() / "data"; }
  fs::path output_intermediate() const { return output() / "intermediate"; }
  fs::path failure_file() const { return output() / "failure"; }
  fs::path success_file() const { return output() / "success"; }
  fs::path code() const { return m_base / "code"; }
  fs::path checkpoints() const { return m_base / "checkpoints"; }

  // The path relative to the base, for messages ("input/config/hyperparameters.json").
  std::string relative(const fs::path& path) const;

private:
  fs::path m_base;
};

} // namespace sagerun::contract
