#!/usr/bin/env bash
# Local job turnaround (DESIGN.md §9): a no-op job from the `sagerun local` command to
# `Completed` with model.tar.gz and output.tar.gz written, status recorded.
#   native: targets median <= 40 ms and p95 <= 60 ms end to end (50 runs), beside `sh -c 'exit 0'`
#   and the no-op script run directly
#   docker: target within 0.5 s of a bare `docker run --rm IMAGE true` (skipped without docker)
# IMAGE defaults to the test image (scripts/build-test-images.sh build/src/train).
# BEFORE=/path/to/an/older/sagerun adds its native turnaround beside this one's, in the same run
# (e.g. a build from before light containers).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
SAGERUN=$(realpath "${SAGERUN:-$ROOT/build/src/sagerun}")
IMAGE=${IMAGE:-sagerun-test:latest}
RUNS=${RUNS:-50}

channel=$TMP/channel
mkdir -p "$channel/script"
printf '#!/bin/sh\nexit 0\n' >"$channel/script/train.sh"
echo "1,2" >"$channel/train.csv"
export SAGERUN_HOME=$TMP/home

median_ms() { "$PY" -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"]*1e3))' "$@"; }
p95_ms() { "$PY" -c 'import json,sys; t=sorted(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["times"]); print("%.1f" % (t[min(len(t)-1, int(round(0.95*(len(t)-1))))]*1e3))' "$@"; }

# Every run is a new job (a unique name from the base name); the state folder grows by one job per run.
before=()
[ -n "${BEFORE:-}" ] && before=(-n "sagerun local (before)" \
  "$(realpath "$BEFORE") local --input training=$channel --output file://$TMP/out --base-job-name before")
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$TMP/native.json" \
  -n "sh -c 'exit 0'" "/bin/sh -c 'exit 0'" \
  -n direct "/bin/sh $channel/script/train.sh" \
  -n "sagerun local" "$SAGERUN local --input training=$channel --output file://$TMP/out --base-job-name noop" \
  "${before[@]}" >"$TMP/native.log" 2>&1
shell=$(median_ms "$TMP/native.json" 0)
direct=$(median_ms "$TMP/native.json" 1)
native=$(median_ms "$TMP/native.json" 2)
native_p95=$(p95_ms "$TMP/native.json" 2)
if [ -n "${BEFORE:-}" ]; then
  earlier=$(median_ms "$TMP/native.json" 3)
  echo "native before: ${earlier} ms median, p95 $(p95_ms "$TMP/native.json" 3) ms ($BEFORE); now ${native} ms: $(
    "$PY" -c "print('%+.1f ms' % ($native - $earlier))")"
fi
completed=$("$SAGERUN" list --status Completed --output json | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)["TrainingJobSummaries"]))')
echo "native: sagerun local no-op job ${native} ms median, p95 ${native_p95} ms (sh -c 'exit 0' ${shell} ms, script alone ${direct} ms); targets median <= 40 ms, p95 <= 60 ms: $(
  "$PY" -c "print('ok' if $native <= 40 and $native_p95 <= 60 else 'MISSED')")   [$completed jobs Completed]"

if ! docker info >/dev/null 2>&1 || ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "docker: skipped (no daemon or no image $IMAGE)"
  exit 0
fi
hyperfine -N --warmup 2 --runs "${DOCKER_RUNS:-10}" --export-json "$TMP/docker.json" \
  -n "docker run" "docker run --rm --network host $IMAGE true" \
  -n "sagerun local --runtime docker" \
  "$SAGERUN local --runtime docker --image $IMAGE --input training=$channel --output file://$TMP/out --base-job-name dnoop" \
  >"$TMP/docker.log" 2>&1
bare=$(median_ms "$TMP/docker.json" 0)
ours=$(median_ms "$TMP/docker.json" 1)
echo "docker: sagerun local ${ours} ms median vs bare docker run ${bare} ms: +$("$PY" -c "print('%.0f ms' % ($ours - $bare))"); target <= +500 ms: $(
  "$PY" -c "print('ok' if $ours - $bare <= 500 else 'MISSED')")"
