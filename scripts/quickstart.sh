#!/usr/bin/env bash
# Quick start: set up, build, and run the example training job locally — no AWS account, no
# Docker. The digits data set is exported into a channel folder (run/digits-data) with the
# script travelling beside the data (script/train.py, the seed convention); `sagerun local`
# runs it as SageMaker would: the request validated, the channel staged into the host's
# /opt/ml tree, `train` run on it (native runtime), the model packed as
# run/output/<job>/output/model.tar.gz, and the job's status kept in DescribeTrainingJob's shape.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
scripts/setup.sh --example build

channel=${SAGERUN_EXAMPLE_CHANNEL:-run/digits-data}
/usr/bin/python3 examples/prepare_tree.py "$channel" --channel-only >/dev/null
export SAGERUN_HOME=${SAGERUN_HOME:-$PWD/run/sagerun-home}
echo "== running the example job (state in $SAGERUN_HOME)"
SAGERUN_PYTHON=/usr/bin/python3 build/src/sagerun local \
  --input "training=$PWD/$channel" --output "file://$PWD/run/output" \
  --hyperparameter C=0.5 --hyperparameter max-iter=300 \
  --metric 'test:accuracy=test_accuracy=([0-9.]+)' --base-job-name digits
job=$(build/src/sagerun list --output json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["TrainingJobSummaries"][0]["TrainingJobName"])')
echo "== done: SAGERUN_HOME=$SAGERUN_HOME build/src/sagerun describe $job"
ls -l "run/output/$job/output"
echo "== quick start done in $((SECONDS - started)) s"
