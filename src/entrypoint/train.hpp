#pragma once
// `train`: the in-image entrypoint. Reads /opt/ml, finds the script, installs what it needs,
// runs it under supervision and reports back as SageMaker expects. Returns the exit code.

namespace sagerun::entrypoint {

int train_main(int argc, char** argv);

} // namespace sagerun::entrypoint
