# shellcheck shell=bash
# Shared setup for the `sagerun server` benchmarks; sourced, not run. Starts moto's server and
# ours on loopback (both stopped, with every job runner, on exit) and gives a Python with boto3.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SAGERUN=$(realpath "${SAGERUN:-$ROOT/build/src/sagerun}")
[ -x "$SAGERUN" ] || { echo "no sagerun binary at $SAGERUN (set SAGERUN=...)" >&2; exit 1; }
PY=${PYTHON:-python3}
"$PY" -c 'import boto3, moto.server' 2>/dev/null || { echo "$PY needs boto3 and moto" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sagerun-server-bench.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  # A job's runner names itself in its lock file: "<pid> <start time>".
  for file in "$TMP"/state/jobs/*/lock; do
    [ -s "$file" ] && kill "$(cut -d' ' -f1 "$file")" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

export AWS_ACCESS_KEY_ID=bench-key AWS_SECRET_ACCESS_KEY=bench-secret AWS_DEFAULT_REGION=us-east-1
export AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() { # URL: until something answers
  for _ in $(seq 200); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.05
  done
  echo "nothing answers at $1" >&2
  return 1
}

start_moto() { # sets MOTO
  local port
  port=$(free_port)
  "$PY" -m moto.server -H 127.0.0.1 -p "$port" >"$TMP/moto.log" 2>&1 &
  PIDS+=($!)
  MOTO=http://127.0.0.1:$port
  wait_http "$MOTO/moto-api/"
}

start_sagerun() { # MAX_INSTANCES: sets SERVER; jobs read and write moto's S3
  local port
  port=$(free_port)
  SAGERUN_PYTHON=${SAGERUN_PYTHON:-/usr/bin/python3} "$SAGERUN" server --port "$port" --state-dir "$TMP/state" \
    --max-instances "$1" --access-key "$AWS_ACCESS_KEY_ID" --secret-key-file <(echo "$AWS_SECRET_ACCESS_KEY") \
    --jobs-get-api-key --s3-endpoint-url "$MOTO" >"$TMP/server.out" 2>"$TMP/server.log" &
  PIDS+=($!)
  SERVER=http://127.0.0.1:$port
  for _ in $(seq 200); do
    [ -s "$TMP/server.out" ] && return 0
    sleep 0.05
  done
  cat "$TMP/server.log" >&2
  return 1
}

# seed BUCKET SCRIPT_BODY: the seed layout in moto's S3 (script/train.py under ml/input).
seed() {
  "$PY" - "$MOTO" "$1" "$2" <<'PY'
import sys, boto3
from botocore.config import Config
endpoint, bucket, script = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"}))
s3.create_bucket(Bucket=bucket)
s3.put_object(Bucket=bucket, Key="ml/input/script/train.py", Body=script.encode())
s3.put_object(Bucket=bucket, Key="ml/input/data.csv", Body=b"1,2\n")
PY
}

# prepare_describe LABEL ENDPOINT [LABEL ENDPOINT ...]: one finished job in each server (moto
# only records it), and DescribeTrainingJob for it signed once (botocore's SigV4; valid 15
# minutes) as a wrk script ($TMP/LABEL.lua), a body ($TMP/LABEL.body) and headers, one per line
# ($TMP/LABEL.headers).
prepare_describe() {
  "$PY" - "$TMP" "$@" <<'PY'
import json, sys, time, boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

tmp, pairs = sys.argv[1], sys.argv[2:]
request = {
    "TrainingJobName": "bench-job",
    "AlgorithmSpecification": {"TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/sagerun:latest",
                               "TrainingInputMode": "File"},
    "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
    "InputDataConfig": [{"ChannelName": "training", "DataSource": {"S3DataSource": {
        "S3DataType": "S3Prefix", "S3Uri": "s3://bkt/ml/input", "S3DataDistributionType": "FullyReplicated"}}}],
    "OutputDataConfig": {"S3OutputPath": "s3://bkt/ml/output"},
    "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
}
for label, endpoint in zip(pairs[::2], pairs[1::2]):
    sm = boto3.client("sagemaker", endpoint_url=endpoint)
    sm.create_training_job(**request)
    if label != "moto":
        for _ in range(600):
            if sm.describe_training_job(TrainingJobName="bench-job")["TrainingJobStatus"] != "InProgress":
                break
            time.sleep(0.1)
    described = sm.describe_training_job(TrainingJobName="bench-job")
    body = json.dumps({"TrainingJobName": "bench-job"})
    signed = AWSRequest(method="POST", url=endpoint + "/", data=body.encode(),
                        headers={"Content-Type": "application/x-amz-json-1.1",
                                 "X-Amz-Target": "SageMaker.DescribeTrainingJob"})
    SigV4Auth(Credentials("bench-key", "bench-secret"), "sagemaker", "us-east-1").add_auth(signed)
    with open("%s/%s.lua" % (tmp, label), "w") as f:
        f.write("wrk.method = \"POST\"\nwrk.body = %s\n" % json.dumps(body))
        for name, value in signed.headers.items():
            f.write("wrk.headers[%s] = %s\n" % (json.dumps(name), json.dumps(value)))
    with open("%s/%s.body" % (tmp, label), "w") as f:
        f.write(body)
    with open("%s/%s.headers" % (tmp, label), "w") as f:
        for name, value in signed.headers.items():
            f.write("%s: %s\n" % (name, value))
    size = len(json.dumps(described, default=str))
    print("%-8s job %s, %s; DescribeTrainingJob answer ~%d bytes" % (
        label, described["TrainingJobName"], described["TrainingJobStatus"], size))
PY
}

echo "sagerun: $SAGERUN"
echo "python:  $("$PY" -V 2>&1), moto $("$PY" -c 'import moto; print(moto.__version__)')"
echo "host:    $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
