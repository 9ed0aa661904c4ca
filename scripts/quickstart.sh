#!/usr/bin/env bash
# Quick start: set up, build, and run the example training job locally — no AWS account, no
# Docker. The digits data set is exported into a SageMaker tree under run/digits, with the
# script travelling beside the data (input/data/training/script/train.py), and `train` runs it
# exactly as it would inside the image on SageMaker.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build

tree=${SAGERUN_EXAMPLE_TREE:-run/digits}
/usr/bin/python3 examples/prepare_tree.py "$tree" --hp C=0.5 --hp max-iter=300 >/dev/null
echo "== running the example job in $tree"
SAGEMAKER_BASE_DIR="$PWD/$tree" SAGERUN_PYTHON=/usr/bin/python3 build/src/train
echo "== done: model in $tree/model/, status in $tree/output/"
ls -l "$tree/model" "$tree/output"
