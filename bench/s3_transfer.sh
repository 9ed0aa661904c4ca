#!/usr/bin/env bash
# S3 directory transfers: sagerun vs the AWS CLI v2 vs the server's own ceiling, against the same
# local S3 server (moto) in the same run (DESIGN.md §9). The data: 200 files of 1 MiB and one of
# 300 MiB. The ceiling is curl fetching/sending presigned URLs, 10 in parallel, with no signing,
# hashing or file management: what the server can serve. Target: sagerun at least as fast as
# the CLI.
#   SAGERUN=build/src/sagerun AWS_CLI=/usr/bin/aws bench/s3_transfer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SAGERUN=${SAGERUN:-build/src/sagerun}
AWS_CLI=${AWS_CLI:-/usr/bin/aws}
RUNS=${RUNS:-3}
PY=$(python3 -c 'import sys; print(sys.executable)')
TMP=$(mktemp -d)
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PY" -m moto.server -H 127.0.0.1 -p "$PORT" >"$TMP/moto.log" 2>&1 &
MOTO=$!
trap 'kill $MOTO 2>/dev/null; rm -rf "$TMP"' EXIT
ENDPOINT=http://127.0.0.1:$PORT
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL=$ENDPOINT AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
for _ in $(seq 100); do curl -s -o /dev/null "$ENDPOINT/moto-api/" && break; sleep 0.1; done

echo "preparing 200 x 1 MiB + 1 x 300 MiB"
mkdir -p "$TMP/data/small"
for i in $(seq -w 200); do head -c 1048576 /dev/urandom >"$TMP/data/small/f$i.bin"; done
head -c $((300 << 20)) /dev/urandom >"$TMP/data/big.bin"
# Debian's CLI v2 predates AWS_ENDPOINT_URL: pass the endpoint explicitly.
CLI="$AWS_CLI --endpoint-url $ENDPOINT"
$CLI s3 mb s3://bench >/dev/null

# The ceiling: presigned URLs (moto does not check signatures, so GET/PUT URLs from boto3 work).
"$PY" - "$ENDPOINT" "$TMP" <<'PY'
import os, sys, boto3
endpoint, tmp = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=endpoint)
files = [os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(tmp, "data")) for f in fs]
with open(os.path.join(tmp, "put.curl"), "w") as put, open(os.path.join(tmp, "get.curl"), "w") as get:
    for path in sorted(files):
        key = "ceiling/" + os.path.relpath(path, os.path.join(tmp, "data"))
        put.write('upload-file = "%s"\nurl = "%s"\n' % (path, s3.generate_presigned_url("put_object", Params={"Bucket": "bench", "Key": key})))
        get.write('output = "/dev/null"\nurl = "%s"\n' % s3.generate_presigned_url("get_object", Params={"Bucket": "bench", "Key": key}))
PY

hyperfine --runs "$RUNS" --warmup 1 --export-json "$TMP/up.json" \
  -n sagerun "$SAGERUN s3 cp -r -q $TMP/data s3://bench/ours" \
  -n aws-cli-v2 "$CLI s3 cp --recursive --quiet $TMP/data s3://bench/cli" \
  -n ceiling "curl -s --parallel --parallel-max 10 -K $TMP/put.curl" >"$TMP/up.log"
hyperfine --runs "$RUNS" --warmup 1 --export-json "$TMP/down.json" \
  --prepare "rm -rf $TMP/out" \
  -n sagerun "$SAGERUN s3 cp -r -q s3://bench/ours $TMP/out" \
  -n aws-cli-v2 "$CLI s3 cp --recursive --quiet s3://bench/ours $TMP/out" \
  -n ceiling "curl -s --parallel --parallel-max 10 -K $TMP/get.curl" >"$TMP/down.log"

"$PY" - "$TMP" <<'PY'
import json, os, sys
tmp = sys.argv[1]
mib = 500.0
print("%-9s %-11s %9s %9s %16s %14s" % ("direction", "client", "median s", "MiB/s", "sagerun/this", ""))
for direction in ("up", "down"):
    results = {r["command"]: r["median"] for r in json.load(open(os.path.join(tmp, direction + ".json")))["results"]}
    ours = results["sagerun"]
    for name, median in results.items():
        ratio = median / ours  # > 1: sagerun is faster
        note = "" if name == "sagerun" else ("sagerun %.2fx as fast" % ratio)
        print("%-9s %-11s %9.2f %9.0f %16s" % (direction, name, median, mib / median, note))
    verdict = "ok" if ours <= results["aws-cli-v2"] else "MISSED"
    print("%-9s target: sagerun at least as fast as aws-cli-v2: %s" % (direction, verdict))
PY
