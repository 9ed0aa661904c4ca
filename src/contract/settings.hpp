#pragma once
// train's settings from the environment, read once at start and refused up front when a value
// is not what the variable takes (train then fails with k_exit_bad_config, naming it). The
// runner reads the same settings from the environment its hosts get, so its SIGKILL never comes
// before train's own grace has run out.

#include <chrono>

#include "util/environment.hpp"
#include "util/error.hpp"

namespace sagerun::contract {

struct TrainSettings {
  std::chrono::seconds stop_grace{100}; // SAGERUN_STOP_GRACE_SECONDS: SIGTERM → SIGKILL (below SageMaker's 120 s)
  std::chrono::seconds host_wait{900};  // SAGERUN_HOST_WAIT_SECONDS: peers must resolve within this
  bool install_requirements = true;     // SAGERUN_INSTALL_REQUIREMENTS
  bool debug = false;                   // SAGERUN_DEBUG
};

Expected<TrainSettings> read_train_settings(const util::EnvMap& env);

} // namespace sagerun::contract
