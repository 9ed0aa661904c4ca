#!/usr/bin/env bash
# ListTrainingJobs at scale (issue 14): requests per second and p99 latency of `sagerun server`
# over stores of 10, 1,000, 10,000 and 100,000 ended jobs (tests/tools/seed_tool: 6 in 10
# Completed, 2 Failed, 2 Stopped; 0.1 % named "bench-Rare-…"), for three pages of the default
# order (newest first, 10 jobs): unfiltered, StatusEquals=Failed, NameContains=rare. wrk replays
# each request signed once (botocore's SigV4). moto's server, holding 10 and 1,000 jobs made by
# CreateTrainingJob, answers the same requests for comparison. Also the time from starting the
# server on a seeded store to its first ListTrainingJobs answer (the restart), per size.
# Targets at 100,000 jobs: unfiltered and StatusEquals >= 10,000 requests/s with p99 <= 5 ms;
# NameContains >= 1,000 requests/s.
# BASELINE=<an older sagerun> runs the same cases against it too, on the same stores ("before").
#   SAGERUN=build/src/sagerun SEED_TOOL=build/tests/seed_tool bench/server_list.sh
#   # DURATION=5s CONNECTIONS=16 THREADS=2 SIZES="10 1000 10000 100000" MOTO_SIZES="10 1000"
source "$(dirname "${BASH_SOURCE[0]}")/server_common.sh"
command -v wrk >/dev/null || { echo "wrk is required (Debian package wrk)" >&2; exit 1; }
SEED_TOOL=$(realpath "${SEED_TOOL:-$ROOT/build/tests/seed_tool}")
BASELINE=${BASELINE:+$(realpath "$BASELINE")}
[ -x "$SEED_TOOL" ] || { echo "no seed_tool at $SEED_TOOL (ninja -C build seed_tool)" >&2; exit 1; }
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
SIZES=${SIZES-10 1000 10000 100000}
MOTO_SIZES=${MOTO_SIZES-10 1000}
CASES=(all status name)

# sign_lists LABEL ENDPOINT: the three ListTrainingJobs requests, and a DescribeTrainingJob (the
# server's ceiling for one small answer, measured alongside), as wrk scripts $TMP/LABEL-CASE.lua.
sign_lists() {
  "$PY" - "$TMP" "$1" "$2" <<'PY'
import json, sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
tmp, label, endpoint = sys.argv[1:]
bodies = {"all": {}, "status": {"StatusEquals": "Failed"}, "name": {"NameContains": "rare"},
          "describe": {"TrainingJobName": "bench-job-0000001"}}
for case, body in bodies.items():
    text = json.dumps(body)
    target = "SageMaker.DescribeTrainingJob" if case == "describe" else "SageMaker.ListTrainingJobs"
    signed = AWSRequest(method="POST", url=endpoint + "/", data=text.encode(),
                        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
    SigV4Auth(Credentials("bench-key", "bench-secret"), "sagemaker", "us-east-1").add_auth(signed)
    with open("%s/%s-%s.lua" % (tmp, label, case), "w") as f:
        f.write("wrk.method = \"POST\"\nwrk.body = %s\n" % json.dumps(text))
        for name, value in signed.headers.items():
            f.write("wrk.headers[%s] = %s\n" % (json.dumps(name), json.dumps(value)))
PY
}

# start_ready BINARY STATE PORT: starts `BINARY server` on the store STATE (its pid in $TMP/server.pid)
# and prints the milliseconds from its start to its first ListTrainingJobs answer, the size of
# that page, and the milliseconds of the first NameContains after it (which reads every name).
# Timed in Python, which has boto3 loaded before the server starts.
start_ready() {
  "$PY" - "$1" "$2" "$3" "$TMP" <<'PY'
import subprocess, sys, time, boto3
from botocore.config import Config
sagerun, state, port, tmp = sys.argv[1:]
sm = boto3.client("sagemaker", endpoint_url="http://127.0.0.1:" + port,
                  config=Config(retries={"max_attempts": 0}, connect_timeout=1, read_timeout=10))
argv = [sagerun, "server", "--port", port, "--state-dir", state, "--max-instances", "1",
        "--access-key", "bench-key", "--secret-key-file", tmp + "/secret"]
started = time.monotonic()
server = subprocess.Popen(argv, stdout=open(tmp + "/server.out", "w"), stderr=open(tmp + "/server.log", "w"))
open(tmp + "/server.pid", "w").write(str(server.pid))
while True:
    try:
        listed = len(sm.list_training_jobs()["TrainingJobSummaries"])
        break
    except Exception:
        if server.poll() is not None or time.monotonic() - started > 60:
            sys.exit("the server did not answer: " + open(tmp + "/server.log").read())
        time.sleep(0.002)
ready = time.monotonic()
sm.list_training_jobs(NameContains="rare") # the first reads every name into memory
print("%.0f %d %.0f" % ((ready - started) * 1000, listed, (time.monotonic() - ready) * 1000))
PY
}

declare -A RPS P99 READY
# measure LABEL URL SIZE CASE...: wrk on each case.
measure() {
  local label=$1 url=$2 size=$3
  shift 3
  for case in "$@"; do
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$TMP/$label-$case.lua" "$url/" >"$TMP/wrk.out" 2>&1
    if grep -q "Non-2xx" "$TMP/wrk.out"; then
      echo "$label ($size jobs, $case) answered errors:" >&2
      cat "$TMP/wrk.out" >&2
      exit 1
    fi
    RPS[$label,$size,$case]=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$TMP/wrk.out")
    P99[$label,$size,$case]=$(awk '$1 == "99%" {print $2}' "$TMP/wrk.out")
  done
}

echo "$AWS_SECRET_ACCESS_KEY" >"$TMP/secret"
port=$(free_port)
SERVER=http://127.0.0.1:$port
for size in $SIZES; do
  state=$TMP/state-$size
  echo "--- sagerun, $size jobs: $("$SEED_TOOL" "$state" "$size")"
  for label in sagerun ${BASELINE:+before}; do
    binary=$SAGERUN
    [ "$label" = before ] && binary=$BASELINE
    read -r ready listed first_name < <(start_ready "$binary" "$state" "$port")
    pid=$(cat "$TMP/server.pid")
    PIDS+=("$pid")
    READY[$label,$size]="$ready ms (first page: $listed jobs); the first NameContains then took $first_name ms"
    echo "$label ready in ${READY[$label,$size]}"
    sign_lists "$label" "$SERVER"
    measure "$label" "$SERVER" "$size" "${CASES[@]}" describe
    kill "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  done
done

if [ -n "$MOTO_SIZES" ]; then
  start_moto
  made=0
  for size in $MOTO_SIZES; do
    "$PY" - "$MOTO" "$made" "$size" <<'PY'
import sys, boto3
endpoint, made, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sm = boto3.client("sagemaker", endpoint_url=endpoint)
for i in range(made, size):
    name = ("bench-Rare-%07d" if i % 1000 == 0 else "bench-job-%07d") % i
    sm.create_training_job(
        TrainingJobName=name, RoleArn="arn:aws:iam::123456789012:role/SageMakerRole",
        AlgorithmSpecification={"TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/sagerun:latest",
                                "TrainingInputMode": "File"},
        OutputDataConfig={"S3OutputPath": "s3://bkt/ml/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 3600})
PY
    made=$size
    echo "--- moto, $size jobs"
    sign_lists moto "$MOTO"
    measure moto "$MOTO" "$size" "${CASES[@]}"
  done
fi

echo
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION per case; host load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %8s %-8s %12s %10s   %s\n' server jobs case "requests/s" p99 "vs 10 jobs; target"
for size in $SIZES; do
  for case in "${CASES[@]}" describe; do
    target=""
    [ -n "${RPS[sagerun,10,$case]:-}" ] &&
      target=$("$PY" -c "print('%.2fx' % (${RPS[sagerun,$size,$case]} / ${RPS[sagerun,10,$case]}))")
    if [ "$size" = 100000 ] && [ "$case" != describe ]; then
      if [ "$case" = name ]; then
        target+="; "$("$PY" -c "print('>= 1,000/s: ' + ('met' if ${RPS[sagerun,$size,$case]} >= 1000 else 'MISSED'))")
      else
        target+="; "$("$PY" -c "
p = '${P99[sagerun,$size,$case]}'
ms = float(p[:-2]) if p.endswith('ms') else float(p[:-2]) / 1000 if p.endswith('us') else float(p[:-1]) * 1000
print('>= 10,000/s, p99 <= 5 ms: ' + ('met' if ${RPS[sagerun,$size,$case]} >= 10000 and ms <= 5 else 'MISSED'))")
      fi
    fi
    printf '%-8s %8s %-8s %12s %10s   %s\n' sagerun "$size" "$case" "${RPS[sagerun,$size,$case]}" \
      "${P99[sagerun,$size,$case]}" "$target"
  done
done
if [ -n "$BASELINE" ]; then
  for size in $SIZES; do
    for case in "${CASES[@]}" describe; do
      ratio=$("$PY" -c "print('sagerun %.1fx' % (${RPS[sagerun,$size,$case]} / ${RPS[before,$size,$case]}))")
      printf '%-8s %8s %-8s %12s %10s   %s\n' before "$size" "$case" "${RPS[before,$size,$case]}" \
        "${P99[before,$size,$case]}" "$ratio"
    done
  done
fi
for size in $MOTO_SIZES; do
  for case in "${CASES[@]}"; do
    ratio=""
    [ -n "${RPS[sagerun,$size,$case]:-}" ] &&
      ratio=$("$PY" -c "print('sagerun %.1fx' % (${RPS[sagerun,$size,$case]} / ${RPS[moto,$size,$case]}))")
    printf '%-8s %8s %-8s %12s %10s   %s\n' moto "$size" "$case" "${RPS[moto,$size,$case]}" \
      "${P99[moto,$size,$case]}" "$ratio"
  done
done
echo
for size in $SIZES; do
  for label in sagerun ${BASELINE:+before}; do
    echo "$label: start on $size jobs to the first ListTrainingJobs answer: ${READY[$label,$size]}"
  done
done
