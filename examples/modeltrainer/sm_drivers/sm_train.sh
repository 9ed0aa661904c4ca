#!/bin/bash
# A driver in the shape the SageMaker Python SDK v3's ModelTrainer uploads as its `sm_drivers`
# channel: the job's ContainerEntrypoint runs it, it reads sourcecode.json for the entry script
# and runs that from the `code` channel with the hyperparameters as arguments.
set -euo pipefail
drivers=/opt/ml/input/data/sm_drivers
code=/opt/ml/input/data/code
entry=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["entry_script"])' "$drivers/sourcecode.json")
mapfile -t args < <(python3 -c '
import json
for key, value in json.load(open("/opt/ml/input/config/hyperparameters.json")).items():
    print("--" + key)
    print(value)
')
echo "sm_train.sh: running $entry ${args[*]}"
cd "$code"
exec python3 "$entry" "${args[@]}"
