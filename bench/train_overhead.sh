#!/usr/bin/env bash
# train overhead: a no-op script under train vs the same script run directly (DESIGN.md §9).
# Targets: median wall <= 1.1x direct and <= 3 ms more; train's peak RSS <= 8 MiB.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# compare LABEL JSON: medians of hyperfine's two results (direct first, then train) and the targets.
compare() {
  "$PY" - "$@" <<'PY'
import json, sys
label, path = sys.argv[1:]
direct, train = (r["median"] * 1e3 for r in json.load(open(path))["results"])
ratio, diff = train / direct, train - direct
ok = lambda c: "ok" if c else "MISSED"
print(f"{label:7} direct {direct:8.2f} ms   train {train:8.2f} ms   "
      f"ratio {ratio:5.2f}x (target <= 1.10x: {ok(ratio <= 1.1)})   "
      f"{diff:+.2f} ms (target <= 3 ms: {ok(diff <= 3)})")
PY
}

# Both sides run with the script folder as cwd, as train runs the script, and without a shell.
bench() {
  local label=$1 dir=$2 direct=$3
  (cd "$dir" && SAGEMAKER_BASE_DIR=$TMP/$label hyperfine -N --warmup 20 --runs 200 \
     --export-json "$TMP/$label.json" -n direct "$direct" -n train "$TRAIN" >"$TMP/$label.log" 2>&1)
}

sh_dir=$(make_tree "$TMP/sh" train.sh $'#!/bin/sh\nexit 0')
py_dir=$(make_tree "$TMP/py" train.py pass)
bench sh "$sh_dir" "/bin/sh train.sh"
bench py "$py_dir" "$PY train.py"
echo "median wall, no-op script (hyperfine, 20 warmup + 200 runs each):"
compare sh "$TMP/sh.json"
compare py "$TMP/py.json"

# Peak RSS of train itself: VmHWM of the train process while its child sleeps.
make_tree "$TMP/sleep" train.sh $'#!/bin/sh\nsleep 0.3' >/dev/null
SAGEMAKER_BASE_DIR=$TMP/sleep "$TRAIN" 2>/dev/null &
pid=$!
for _ in $(seq 500); do pgrep -P "$pid" >/dev/null && break; sleep 0.002; done
pgrep -P "$pid" >/dev/null || { echo "train's child never appeared" >&2; exit 1; }
sleep 0.1  # let train settle into supervising (relay buffers allocated) before reading
hwm_kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
wait "$pid"

# Max RSS over the process tree (train and the no-op sh), as GNU time reports it.
tree_kib=$(cd "$sh_dir" && SAGEMAKER_BASE_DIR=$TMP/sh /usr/bin/time -f %M "$TRAIN" 2>&1 >/dev/null | tail -n1)
direct_kib=$(cd "$sh_dir" && /usr/bin/time -f %M /bin/sh train.sh 2>&1 | tail -n1)

echo
echo "peak RSS (target <= 8 MiB = 8192 KiB):"
awk -v h="$hwm_kib" -v t="$tree_kib" -v d="$direct_kib" 'BEGIN {
  printf "train VmHWM while its child runs:    %6d KiB (%.2f MiB)  %s\n", h, h/1024, (h <= 8192 ? "ok" : "MISSED")
  printf "/usr/bin/time %%M, train + no-op sh:  %6d KiB (%.2f MiB)  %s\n", t, t/1024, (t <= 8192 ? "ok" : "MISSED")
  printf "/usr/bin/time %%M, no-op sh alone:    %6d KiB (%.2f MiB)\n", d, d/1024 }'
