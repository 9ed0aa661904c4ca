#!/usr/bin/env bash
# API server throughput (DESIGN.md §9): DescribeTrainingJob requests per second and p99 latency,
# `sagerun server` vs moto's server (`python3 -m moto.server`), same machine, same client: wrk
# replaying one request signed once (botocore's SigV4; valid 15 minutes) for each server, each
# holding one finished job. Target: sagerun >= 50x moto's requests/s.
#   SAGERUN=build/src/sagerun bench/server_describe.sh     # DURATION=10s CONNECTIONS=16 THREADS=2
source "$(dirname "${BASH_SOURCE[0]}")/server_common.sh"
command -v wrk >/dev/null || { echo "wrk is required (Debian package wrk)" >&2; exit 1; }
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}

start_moto
start_sagerun 1
seed bkt 'print("trained")'

# One job in each (moto only records it), and a wrk script with the signed request for each.
"$PY" - "$SERVER" "$MOTO" "$TMP" <<'PY'
import datetime, json, sys, time, boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ours, moto, tmp = sys.argv[1:]
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
for label, endpoint in (("sagerun", ours), ("moto", moto)):
    sm = boto3.client("sagemaker", endpoint_url=endpoint)
    sm.create_training_job(**request)
    if label == "sagerun":
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
    size = len(json.dumps(described, default=str))
    print("%-8s job %s, %s; DescribeTrainingJob answer ~%d bytes" % (
        label, described["TrainingJobName"], described["TrainingJobStatus"], size))
PY

declare -A RPS P99
for label in sagerun moto; do
  url=$SERVER
  [ "$label" = moto ] && url=$MOTO
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$TMP/$label.lua" "$url/" >"$TMP/$label.wrk" 2>&1
  if grep -q "Non-2xx" "$TMP/$label.wrk"; then
    echo "$label answered errors:" >&2
    cat "$TMP/$label.wrk" >&2
    exit 1
  fi
  RPS[$label]=$(awk '/^Requests\/sec:/ {print $2}' "$TMP/$label.wrk")
  P99[$label]=$(awk '$1 == "99%" {print $2}' "$TMP/$label.wrk")
  echo "--- $label (wrk -t$THREADS -c$CONNECTIONS -d$DURATION)"
  grep -E "Requests/sec|requests in|Latency |  (50|99)%" "$TMP/$label.wrk"
done
echo
printf '%-8s %12s %10s\n' server "requests/s" p99
for label in sagerun moto; do printf '%-8s %12s %10s\n' "$label" "${RPS[$label]}" "${P99[$label]}"; done
"$PY" -c "r = ${RPS[sagerun]} / ${RPS[moto]}; print('ratio: %.1fx moto\'s requests/s; target >= 50x: %s' % (r, 'met' if r >= 50 else 'MISSED'))"
