#pragma once
// Distributed training as the SageMaker SDK asks for it (`distribution=` sets hyperparameters)
// and the official toolkits launch it, first match: sagemaker_mpi_enabled → mpirun from the
// first host of the distribution; sagemaker_torch_distributed_enabled → torchrun on every host;
// else the script alone. The launchers of AWS-only libraries (SMDDP, XLA, parameter servers,
// MultiWorkerMirroredStrategy) are refused, naming the flag and what to use instead.

#include <string>
#include <vector>

#include "contract/config.hpp"
#include "contract/hyperparameters.hpp"
#include "contract/sm_environment.hpp"
#include "util/error.hpp"

namespace sagerun::contract {

enum class Launcher { script, torchrun, mpi };

struct Distribution {
  Launcher launcher = Launcher::script;
  std::vector<std::string> hosts; // the distribution's hosts (its instance groups'), in order
  int processes_per_host = 1;     // sagemaker_mpi_num_of_processes_per_host, else GPUs, else Neuron cores, else 1
  int processes = 1;              // sagemaker_mpi_num_processes, else processes_per_host × hosts
  std::string custom_mpi_options; // sagemaker_mpi_custom_mpi_options, split on blanks
  // Whether `host` takes part (hosts outside the distribution's groups run the script alone).
  bool includes(const std::string& host) const;
  int rank_of(const std::string& host) const; // its index in `hosts`, -1 when not there
};

// The toolkit's truth test of a decoded hyperparameter (Python's bool()).
bool truthy(const OrderedJson& value);

// sagemaker_distribution_instance_groups, else the current group when any launcher flag is set.
OrderedJson distribution_instance_groups(const OrderedJson& framework, const ResourceConfig& resource);
// The hosts of those groups, in the resource config's order (every host without groups).
std::vector<std::string> distribution_hosts(const OrderedJson& framework, const ResourceConfig& resource);

// An AWS-only launcher flag set true in `framework` (the sagemaker_* hyperparameters, decoded):
// the message naming it and what to use instead; empty when none is.
std::string refused_launcher(const OrderedJson& framework);

// The launch for this job; an error (ErrorKind::invalid_input) for an AWS-only launcher or a
// count that is not a positive integer.
Expected<Distribution> read_distribution(const Hyperparameters& hps, const ResourceConfig& resource,
                                         const SystemInfo& system);

} // namespace sagerun::contract
