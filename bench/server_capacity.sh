#!/usr/bin/env bash
# Capacity: JOBS jobs (default 50) submitted at once to `sagerun server --max-instances 2`, each
# running a script that trains for JOB_SECONDS (default 0.5) against moto's S3. All must end
# Completed with their model in S3, and never more than 2 may have run at once: checked from
# every job's SecondaryStatusTransitions (from leaving Pending to its end) and from the server's
# log ("N of 2 instances in use"). Prints the wall time from the first submission to the last
# Completed.
#   SAGERUN=build/src/sagerun bench/server_capacity.sh     # JOBS=50 CAPACITY=2 JOB_SECONDS=0.5
source "$(dirname "${BASH_SOURCE[0]}")/server_common.sh"
JOBS=${JOBS:-50}
CAPACITY=${CAPACITY:-2}
SECONDS_PER_JOB=${JOB_SECONDS:-0.5}

start_moto
start_sagerun "$CAPACITY"
seed bkt "$(printf 'import os, time\ntime.sleep(%s)\nopen(os.path.join(os.environ["SM_MODEL_DIR"], "m.txt"), "w").write("ok")\nprint("done")\n' "$SECONDS_PER_JOB")"

"$PY" - "$SERVER" "$MOTO" "$JOBS" "$CAPACITY" <<'PY'
import concurrent.futures, sys, time, boto3
from botocore.config import Config

server, moto, jobs, capacity = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sm = boto3.client("sagemaker", endpoint_url=server, config=Config(max_pool_connections=jobs, retries={"max_attempts": 1}))
s3 = boto3.client("s3", endpoint_url=moto, config=Config(s3={"addressing_style": "path"}))
names = ["capacity-%02d" % i for i in range(jobs)]

def create(name):
    sm.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/sagerun:latest",
                                "TrainingInputMode": "File"},
        RoleArn="arn:aws:iam::123456789012:role/SageMakerRole",
        InputDataConfig=[{"ChannelName": "training", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": "s3://bkt/ml/input", "S3DataDistributionType": "FullyReplicated"}}}],
        OutputDataConfig={"S3OutputPath": "s3://bkt/ml/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 600})

started = time.monotonic()
with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
    list(pool.map(create, names))
submitted = time.monotonic() - started
pending = sum(sm.describe_training_job(TrainingJobName=n)["SecondaryStatus"] == "Pending" for n in names)
final = {}
while len(final) < jobs:
    for summary in sm.get_paginator("list_training_jobs").paginate(NameContains="capacity-").search("TrainingJobSummaries"):
        if summary["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
            final.setdefault(summary["TrainingJobName"], summary["TrainingJobStatus"])
    if time.monotonic() - started > 900:
        sys.exit("timed out with %d of %d jobs ended" % (len(final), jobs))
    time.sleep(0.05)
wall = time.monotonic() - started

# Each job's run: from leaving Pending (its Starting) to its final transition.
intervals = []
phases = {}
for name in names:
    described = sm.describe_training_job(TrainingJobName=name)
    transitions = described["SecondaryStatusTransitions"]
    for t in transitions:
        if "EndTime" in t and t["Status"] != "Pending":
            phases.setdefault(t["Status"], []).append((t["EndTime"] - t["StartTime"]).total_seconds())
    start = next(t["StartTime"] for t in transitions if t["Status"] == "Starting").timestamp()
    end = transitions[-1]["StartTime"].timestamp()
    intervals.append((start, end))
    key = described["ModelArtifacts"]["S3ModelArtifacts"].split("/", 3)[3]
    s3.head_object(Bucket="bkt", Key=key)
events = sorted([(s, 1) for s, e in intervals] + [(e, -1) for s, e in intervals], key=lambda x: (x[0], x[1]))
running = peak = 0
for _, delta in events:
    running += delta
    peak = max(peak, running)
completed = sum(status == "Completed" for status in final.values())
# How long a freed slot stays empty: each job's start after the end that made room for it.
ends = sorted(e for s, e in intervals)
starts = sorted(s for s, e in intervals)[capacity:]
gaps = sorted(max(0.0, s - e) for s, e in zip(starts, ends))
median = lambda xs: sorted(xs)[len(xs) // 2]
print("median per job: " + ", ".join("%s %.2f s" % (k, median(v)) for k, v in phases.items()) +
      "; slot refilled after %.3f s (median)" % median(gaps))
print("%d jobs submitted at once in %.2f s (%d of them Pending at first), capacity %d" % (jobs, submitted, pending, capacity))
print("all ended in %.2f s: %d Completed, %d other; every model.tar.gz in S3" % (wall, completed, jobs - completed))
print("most jobs running at once (from SecondaryStatusTransitions): %d" % peak)
if completed != jobs or peak > capacity:
    sys.exit("FAILED")
PY
peak_log=$(grep -o '([0-9]* of [0-9]* instances in use)' "$TMP/server.log" | awk '{print $1}' | tr -d '(' | sort -n | tail -1)
echo "most instances in use (from the server's log): $peak_log of $CAPACITY"
[ "$peak_log" -le "$CAPACITY" ] || { echo "capacity exceeded"; exit 1; }
echo "capacity: met"
