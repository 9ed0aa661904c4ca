#pragma once
// The SM_* variables of SageMaker script mode, with the names and value formats of the official
// training toolkit (strings bare; everything else compact, key-sorted, ASCII-only JSON).

#include <string>

#include "contract/config.hpp"
#include "contract/hyperparameters.hpp"
#include "contract/paths.hpp"
#include "util/environment.hpp"

namespace sagerun::contract {

struct ScriptIdentity {
  std::string user_entry_point; // "train.py"; "" when unknown
  std::string module_dir;       // where the code came from
};

struct SystemInfo {
  int cpus = 1;
  int gpus = 0;
  int neurons = 0;
  bool smddpmprun_installed = false;
};

// The variables to add to the platform's environment (`platform`) for the script.
util::EnvMap build_sm_environment(const Paths& paths, const TrainingConfig& config, const Hyperparameters& hps,
                                  const ScriptIdentity& script, const SystemInfo& system, const util::EnvMap& platform);

// The port given as SM_MASTER_PORT (the toolkit's torch_distributed uses the same), unless the
// platform names the job's own in SAGERUN_MASTER_PORT (the local runner: jobs share a network).
inline constexpr int k_master_port = 7777;
inline constexpr const char* k_master_port_variable = "SAGERUN_MASTER_PORT";
// That port, from the platform's environment.
int master_port(const util::EnvMap& platform);

// What the framework containers set in their own environment for every job, so a script's
// `init_process_group("env://")` finds its master: MASTER_ADDR (the master host) and
// MASTER_PORT (7777), each unless `env` already has it (the job's Environment wins). Call after
// the SM_* variables are in `env`.
void add_framework_defaults(util::EnvMap& env);

} // namespace sagerun::contract
