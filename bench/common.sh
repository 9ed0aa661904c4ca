# shellcheck shell=bash
# Shared setup for the benchmarks; sourced, not run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TRAIN=$(realpath "${TRAIN:-$ROOT/build/src/train}")
[ -x "$TRAIN" ] || { echo "no train binary at $TRAIN (set TRAIN=...)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine is required" >&2; exit 1; }

# The real interpreter, not a wrapper such as a pyenv shim, so that both sides run the same
# binary with no launcher in between. train gets it through SAGERUN_PYTHON.
PY=$("${SAGERUN_PYTHON:-python3}" -c 'import sys; print(sys.executable)')
export SAGERUN_PYTHON=$PY

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sagerun-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# make_tree DIR FILE CONTENT: a minimal SageMaker tree under DIR whose script is FILE.
# Prints the script folder.
make_tree() {
  local base=$1 file=$2 content=$3 dir=$1/input/data/training/script
  mkdir -p "$base/input/config" "$dir"
  echo '{}' >"$base/input/config/hyperparameters.json"
  echo '{"training":{"TrainingInputMode":"File"}}' >"$base/input/config/inputdataconfig.json"
  echo '{"current_host":"algo-1","hosts":["algo-1"]}' >"$base/input/config/resourceconfig.json"
  printf '%s\n' "$content" >"$dir/$file"
  echo "$dir"
}

echo "train:  $TRAIN"
echo "python: $PY ($("$PY" -V 2>&1))"
echo "host:   $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
