#pragma once
// CPU, GPU and NeuronCore counts, probed once per run without starting any process.

#include "contract/sm_environment.hpp"
#include "util/environment.hpp"

namespace sagerun::entrypoint {

// GPUs are the /dev/nvidiaN device nodes (a container sees only the ones it was given);
// NeuronCores come from the Neuron driver's sysfs core_count files.
contract::SystemInfo probe_system(const util::EnvMap& env);

} // namespace sagerun::entrypoint
