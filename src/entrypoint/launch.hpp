#pragma once
// How this host runs the script under the job's distribution (contract/distribution.hpp), as the
// official toolkits do: torchrun on every host (torch.distributed.run, node rank by host order);
// mpirun on the first host, starting every rank (python -m mpi4py SCRIPT for a Python script),
// reaching the other hosts through train's own launch agent (mpi_agent.hpp), which those hosts
// serve until the first host tells them the job's end. Everything is argv: no shell sees a
// hyperparameter.

#include <string>
#include <vector>

#include "contract/config.hpp"
#include "contract/distribution.hpp"
#include "entrypoint/prepare.hpp"
#include "util/environment.hpp"

namespace sagerun::entrypoint {

enum class Role {
  run,       // run `step` (the script alone, torchrun, or mpirun)
  serve_mpi, // serve the first host's launches until it ends (an MPI host other than the first)
};

struct Launch {
  Role role = Role::run;
  Step step;
};

// `script`: the command that runs the script alone (run_step); `python`: the interpreter;
// `agent`: the argv that runs train's launch agent; `env`: the script's environment, which gains
// the launchers' variables (MASTER_*, NCCL_SOCKET_IFNAME, GLOO_SOCKET_IFNAME; the job's win).
Launch plan_launch(const contract::Distribution& distribution, const contract::ResourceConfig& resource,
                   const Step& script, const std::string& python, const std::vector<std::string>& agent,
                   util::EnvMap& env);

// What a failed launch's output says of the failure, the failing rank's own words last (they end
// the failure file): torchrun's traceback of itself is dropped, its summary of the root cause
// (host, rank, exit code) kept before the ranks' output. Other launches' output as it is.
std::string failure_tail(contract::Launcher launcher, const std::string& tail);

} // namespace sagerun::entrypoint
