#!/usr/bin/env bash
# Does the timeline account for a job's time? A `sagerun local` job whose channel is 1,000 small
# objects in S3 (moto on loopback) and whose script is a no-op: the job's
# SecondaryStatusTransitions (from DescribeTrainingJob), each phase's duration, their sum, and
# the wall time of the command around them. Target: the transitions add up to the wall time
# within 5 %.
#   SAGERUN=build/src/sagerun OBJECTS=1000 bench/job_timeline.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SAGERUN=$(realpath "${SAGERUN:-build/src/sagerun}")
OBJECTS=${OBJECTS:-1000}
PY=$(python3 -c 'import sys; print(sys.executable)')
TMP=$(mktemp -d)
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PY" -m moto.server -H 127.0.0.1 -p "$PORT" >"$TMP/moto.log" 2>&1 &
MOTO=$!
trap 'kill $MOTO 2>/dev/null; rm -rf "$TMP"' EXIT
ENDPOINT=http://127.0.0.1:$PORT
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL=$ENDPOINT AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export SAGERUN_HOME=$TMP/home
for _ in $(seq 100); do curl -s -o /dev/null "$ENDPOINT/moto-api/" && break; sleep 0.1; done
echo "host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $OBJECTS objects of 1 KiB"

"$PY" - "$ENDPOINT" "$OBJECTS" <<'PY'
import sys, boto3
endpoint, count = sys.argv[1], int(sys.argv[2])
s3 = boto3.client("s3", endpoint_url=endpoint)
s3.create_bucket(Bucket="bench")
s3.put_object(Bucket="bench", Key="data/script/train.sh", Body=b"#!/bin/sh\nexit 0\n")
for i in range(count):
    s3.put_object(Bucket="bench", Key="data/part-%05d.csv" % i, Body=b"x" * 1024)
PY

for run in 1 2 3; do
  start=$("$PY" -c 'import time; print(time.time())')
  "$SAGERUN" local --input training=s3://bench/data/ --output-path "file://$TMP/out" --base-job-name "timeline-$run" \
    >/dev/null 2>"$TMP/run.log" || { cat "$TMP/run.log"; exit 1; }
  end=$("$PY" -c 'import time; print(time.time())')
  job=$("$SAGERUN" list --output json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["TrainingJobSummaries"][0]["TrainingJobName"])')
  "$SAGERUN" describe "$job" --output json | "$PY" -c '
import json, sys
start, end = float(sys.argv[1]), float(sys.argv[2])
d = json.load(sys.stdin)
wall = end - start
phases = d["SecondaryStatusTransitions"]
total = 0.0
parts = []
for p in phases:
    took = p.get("EndTime", p["StartTime"]) - p["StartTime"]
    total += took
    parts.append("%s %.3f s" % (p["Status"], took))
print("run %s: wall %.3f s, transitions %.3f s (%.1f %%): %s" % (sys.argv[3], wall, total, 100 * total / wall, ", ".join(parts)))
print("        outside the timeline: %.3f s before the first, %.3f s after the last; target: within 5 %% of the wall: %s" % (
    phases[0]["StartTime"] - start, end - phases[-1].get("EndTime", phases[-1]["StartTime"]),
    "ok" if abs(wall - total) <= 0.05 * wall else "MISSED"))
' "$start" "$end" "$run"
done
