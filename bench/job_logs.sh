#!/usr/bin/env bash
# What a job's logs cost on disk: a `sagerun local` job (native) whose script prints 50 MB of
# lines (80-byte lines, as a training loop's progress would) — the size of its logs/ folder
# (the log byte for byte and the times beside it) against what the script printed.
# Target: logs/ at most 1.1x the output.
#   SAGERUN=build/src/sagerun MEGABYTES=50 bench/job_logs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SAGERUN=$(realpath "${SAGERUN:-build/src/sagerun}")
MEGABYTES=${MEGABYTES:-50}
PY=$(python3 -c 'import sys; print(sys.executable)')
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export SAGERUN_HOME=$TMP/home SAGERUN_PYTHON=$PY
mkdir -p "$TMP/channel/script"
cat >"$TMP/channel/script/train.py" <<PY
import sys
line = "step %07d loss=0.1234 accuracy=0.9876 " + "x" * 40 + "\n"
total = 0
i = 0
while total < $MEGABYTES * 1000 * 1000:
    text = line % i
    sys.stdout.write(text)
    total += len(text)
    i += 1
PY
echo "host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$SAGERUN" local --input "training=$TMP/channel" --output-path "file://$TMP/out" --job-name logs-bench >/dev/null 2>&1
"$PY" - "$SAGERUN_HOME/jobs/logs-bench/logs" "$MEGABYTES" <<'PY'
import os, sys
folder, megabytes = sys.argv[1], int(sys.argv[2])
printed = megabytes * 1000 * 1000
sizes = {name: os.path.getsize(os.path.join(folder, name)) for name in sorted(os.listdir(folder))}
total = sum(sizes.values())
for name, size in sizes.items():
    print("  %-14s %12d bytes" % (name, size))
print("printed %d bytes; logs/ holds %d bytes: %.3fx; target <= 1.1x: %s" % (
    printed, total, total / printed, "ok" if total <= 1.1 * printed else "MISSED"))
PY
