#!/usr/bin/env bash
# S3 directory transfers: sagerun vs the AWS CLI v2, rclone and the server's own ceiling, against
# the same local S3 server in the same run (DESIGN.md §9). Two data sets (200 files of 1 MiB plus
# one of 300 MiB; 5,000 files of 4 KiB), two servers (moto, Python; s3rver, Node.js: a second
# server tells what is ours from what is the server's), both directions. The ceiling is curl
# sending or fetching presigned URLs with no signing, hashing or files to manage, 1, 4, 8 and 16
# at a time; its best is what the server can do. Targets: within 1.2x of the ceiling on the
# large set, and ahead of the CLI and of rclone (the better of its defaults and --transfers 16)
# on every case.
#   SAGERUN=build/src/sagerun bench/s3_transfer.sh
#   SERVERS="moto" SETS="small" RUNS=1 WARMUP=0 BEFORE=/path/to/older/sagerun bench/s3_transfer.sh
# s3rver comes from npm, installed once under $BENCH_CACHE (default ~/.cache/sagerun-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
SAGERUN=$(realpath "${SAGERUN:-build/src/sagerun}")
BEFORE=${BEFORE:-} # an older sagerun measured beside this one
AWS_CLI=${AWS_CLI:-/usr/bin/aws}
RCLONE=${RCLONE:-rclone}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-1}
SERVERS=${SERVERS:-moto s3rver}
SETS=${SETS:-large small}
BENCH_CACHE=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sagerun-bench}
PY=$(python3 -c 'import sys; print(sys.executable)')
for tool in hyperfine curl node npm "$RCLONE" "$AWS_CLI"; do
  command -v "$tool" >/dev/null || { echo "$tool is required (rclone: apt-get install rclone)" >&2; exit 1; }
done
S3RVER=$BENCH_CACHE/s3rver/node_modules/.bin/s3rver
if [[ " $SERVERS " == *" s3rver "* && ! -x $S3RVER ]]; then
  mkdir -p "$BENCH_CACHE/s3rver"
  npm install --no-audit --no-fund --prefix "$BENCH_CACHE/s3rver" s3rver@3.7.1 >&2
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sagerun-bench.XXXXXX")
SERVER_PID=
stop_server() { [ -z "$SERVER_PID" ] || { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true; }; SERVER_PID=; }
trap 'stop_server; rm -rf "$TMP"' EXIT

# s3rver checks signatures against its one account; moto takes any key.
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
# A CA bundle from the environment breaks rclone's AWS SDK on plain-HTTP endpoints (none is needed).
unset AWS_CA_BUNDLE
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export RCLONE_CONFIG=/dev/null RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other
export RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=S3RVER RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=S3RVER
# no_head: after a multipart upload rclone HEADs the object with versionId=null, which moto refuses.
export RCLONE_CONFIG_BENCH_REGION=us-east-1 RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true RCLONE_CONFIG_BENCH_NO_HEAD=true

echo "sagerun: $SAGERUN${BEFORE:+ (before: $BEFORE)}"
echo "host:    $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $("$RCLONE" version | head -1); $("$AWS_CLI" --version)"
echo "preparing the data sets"
mkdir -p "$TMP/large/small" "$TMP/small"
for i in $(seq -w 200); do head -c 1048576 /dev/urandom >"$TMP/large/small/f$i.bin"; done
head -c $((300 << 20)) /dev/urandom >"$TMP/large/big.bin"
"$PY" -c 'import os, sys
for i in range(5000):  # 50 folders of 100
    folder = os.path.join(sys.argv[1], "d%02d" % (i % 50))
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "f%04d.bin" % i), "wb") as f:
        f.write(os.urandom(4096))' "$TMP/small"

start_server() { # NAME: starts it on a free port, sets ENDPOINT
  local port
  port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  ENDPOINT=http://127.0.0.1:$port
  case $1 in
  moto) "$PY" -m moto.server -H 127.0.0.1 -p "$port" >"$TMP/server.log" 2>&1 & ;;
  # s3rver 3.7 makes listing continuation tokens with DES, which Node's OpenSSL 3 keeps in its
  # legacy provider: without it every listing past 1,000 keys answers 500.
  s3rver) rm -rf "$TMP/s3rver.d" && NODE_OPTIONS=--openssl-legacy-provider node "$S3RVER" -d "$TMP/s3rver.d" -a 127.0.0.1 -p "$port" --silent \
    --no-vhost-buckets >"$TMP/server.log" 2>&1 & ;;
  esac
  SERVER_PID=$!
  for _ in $(seq 100); do curl -s -o /dev/null "$ENDPOINT/" && return; sleep 0.1; done
  echo "$1 did not start" >&2; cat "$TMP/server.log" >&2; exit 1
}

for server in $SERVERS; do
  start_server "$server"
  export AWS_ENDPOINT_URL=$ENDPOINT RCLONE_CONFIG_BENCH_ENDPOINT=$ENDPOINT
  # Debian's CLI v2 predates AWS_ENDPOINT_URL: the endpoint is passed explicitly.
  CLI="$AWS_CLI --endpoint-url $ENDPOINT"
  for set in $SETS; do
    bucket=$set-bench
    $CLI s3 mb "s3://$bucket" >/dev/null
    # The downloads read what the CLI put under src/ (outside the timing); uploads all go to up/.
    $CLI s3 cp --recursive --quiet "$TMP/$set" "s3://$bucket/src"
    "$PY" - "$ENDPOINT" "$TMP" "$set" "$bucket" <<'PY'
import os, sys, boto3
endpoint, tmp, name, bucket = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=endpoint, config=boto3.session.Config(signature_version="s3v4", s3={"addressing_style": "path"}))
root = os.path.join(tmp, name)
files = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs)
with open(os.path.join(tmp, "put.curl"), "w") as put, open(os.path.join(tmp, "get.curl"), "w") as get:
    for path in files:
        key = os.path.relpath(path, root)
        url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "up/" + key}, ExpiresIn=7200)
        put.write('upload-file = "%s"\nurl = "%s"\n' % (path, url))
        url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "src/" + key}, ExpiresIn=7200)
        get.write('output = "/dev/null"\nurl = "%s"\n' % url)
PY
    for direction in up down; do
      if [ $direction = up ]; then
        prepare=true curl_file=$TMP/put.curl
        ours() { echo "$1 s3 cp -r -q $TMP/$set s3://$bucket/up"; }
        cli="$CLI s3 cp --recursive --quiet $TMP/$set s3://$bucket/up"
        rcl="$RCLONE copy --no-check-dest $TMP/$set bench:$bucket/up"
      else
        prepare="rm -rf $TMP/out" curl_file=$TMP/get.curl
        ours() { echo "$1 s3 cp -r -q s3://$bucket/src $TMP/out"; }
        cli="$CLI s3 cp --recursive --quiet s3://$bucket/src $TMP/out"
        rcl="$RCLONE copy bench:$bucket/src $TMP/out"
      fi
      args=(-n sagerun "$(ours "$SAGERUN")")
      [ -z "$BEFORE" ] || args+=(-n sagerun-before "$(ours "$BEFORE")")
      args+=(-n aws-cli-v2 "$cli" -n rclone "$rcl" -n rclone-t16 "$rcl --transfers 16")
      args+=(-n curl-1 "curl -s -K $curl_file")
      for n in 4 8 16; do args+=(-n "curl-$n" "curl -s --parallel --parallel-max $n -K $curl_file"); done
      echo "$server $set $direction ($(cut -d' ' -f1-3 /proc/loadavg))"
      hyperfine --runs "$RUNS" --warmup "$WARMUP" --prepare "$prepare" --export-json "$TMP/$server-$set-$direction.json" \
        "${args[@]}" >"$TMP/hyperfine.log" 2>&1 || { cat "$TMP/hyperfine.log" >&2; exit 1; }
    done
  done
  stop_server
done

"$PY" - "$TMP" "$SERVERS" "$SETS" <<'PY'
import json, os, sys
tmp, servers, sets = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
print()
print("| server | set | dir | sagerun | ceiling (best curl) | AWS CLI v2 | rclone (best) | vs ceiling | CLI/sagerun | rclone/sagerun | target |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
missed = 0
for server in servers:
    for name in sets:
        for direction in ("up", "down"):
            r = {x["command"]: x["median"] for x in json.load(open(os.path.join(tmp, "%s-%s-%s.json" % (server, name, direction))))["results"]}
            ours = r["sagerun"]
            ceiling = min((r[k], k) for k in r if k.startswith("curl-"))
            rclone = min((r[k], k) for k in r if k.startswith("rclone"))
            vs_ceiling, vs_cli, vs_rclone = ours / ceiling[0], r["aws-cli-v2"] / ours, rclone[0] / ours
            ok = vs_cli > 1 and vs_rclone > 1 and (name != "large" or vs_ceiling <= 1.2)
            missed += not ok
            before = " (before %.2f s)" % r["sagerun-before"] if "sagerun-before" in r else ""
            print("| %s | %s | %s | %.2f s%s | %.2f s (%s) | %.2f s | %.2f s (%s) | %.2fx | %.2fx | %.2fx | %s |" % (
                server, name, direction, ours, before, ceiling[0], ceiling[1], r["aws-cli-v2"], rclone[0], rclone[1],
                vs_ceiling, vs_cli, vs_rclone, "ok" if ok else "MISSED"))
print("\ntargets: large within 1.2x of the ceiling; ahead of the CLI and rclone everywhere: %s" % ("met" if not missed else "%d missed" % missed))
PY
