#!/usr/bin/env bash
# Log relay: a script printing 100 MiB under train vs the same script run directly, the stream
# piped to `cat >/dev/null` in both cases (DESIGN.md §9). Target: median wall <= 1.05x direct.
# stdout is inherited by the script; stderr passes through train's relay.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
BYTES=$((1600 * 65536))

gen() {  # the script: 1600 chunks of 64 KiB of printable lines to sys.$1
  cat <<PY
import sys
line = bytes(range(33, 112)) + b"\n"  # 80 printable bytes
chunk = (line * 820)[:65535] + b"\n"  # 64 KiB
out = sys.$1.buffer
for _ in range(1600):
    out.write(chunk)
out.flush()
PY
}

# pipe STREAM CMD: CMD with STREAM going into the pipe (and the other stream to /dev/null).
pipe() {
  case $1 in
    stdout) echo "$2 2>/dev/null | cat >/dev/null" ;;
    stderr) echo "$2 2>&1 >/dev/null | cat >/dev/null" ;;
  esac
}

for stream in stdout stderr; do
  dir=$(make_tree "$TMP/$stream" train.py "$(gen "$stream")")
  export SAGEMAKER_BASE_DIR=$TMP/$stream
  cd "$dir"
  # Check that the stream really goes through the pipe: at least 100 MiB arrive on each side
  # (train's own few marked lines add to the stderr case).
  for cmd in "$PY train.py" "$TRAIN"; do
    n=$(sh -c "$(pipe "$stream" "$cmd" | sed 's/cat >\/dev\/null/wc -c/')")
    [ "$n" -ge "$BYTES" ] || { echo "$stream: only $n bytes through the pipe for $cmd" >&2; exit 1; }
    echo "$stream: $n bytes through the pipe from ${cmd##*/}"
  done
  hyperfine -N --warmup 3 --runs 20 --export-json "$TMP/$stream.json" \
    -n direct "sh -c '$(pipe "$stream" "$PY train.py")'" \
    -n train "sh -c '$(pipe "$stream" "$TRAIN")'" >"$TMP/$stream.log" 2>&1
done

echo "median wall, 100 MiB through a pipe to cat (hyperfine, 3 warmup + 20 runs each):"
for stream in stdout stderr; do
  "$PY" - "$stream" "$TMP/$stream.json" <<'PY'
import json, sys
label, path = sys.argv[1:]
direct, train = (r["median"] * 1e3 for r in json.load(open(path))["results"])
ratio = train / direct
print(f"{label:7} direct {direct:8.1f} ms   train {train:8.1f} ms   ratio {ratio:5.3f}x "
      f"(target <= 1.05x: {'ok' if ratio <= 1.05 else 'MISSED'})")
PY
done
