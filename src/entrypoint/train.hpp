#pragma once
// `train`: the in-image entrypoint. Reads /opt/ml, finds the script, installs what it needs,
// runs it under supervision and reports back as SageMaker expects. Returns the exit code.

namespace sagerun::entrypoint {

// `as_subcommand`: run as `sagerun train` (this program then runs its launch agent as
// `sagerun train --mpi-agent`).
int train_main(int argc, char** argv, bool as_subcommand = false);

} // namespace sagerun::entrypoint
