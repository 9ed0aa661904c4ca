#!/usr/bin/env bash
# The dashboard's jobs page over a large store (issue 15): the time to its first paint and to its
# first rows in headless Chromium (Playwright, tests/browser), and the requests behind it, over
# stores of 10 and 100,000 ended jobs (tests/tools/seed_tool). The page is its HTML, script and
# style, then GET /api/jobs (50 jobs, newest first); wrk measures that call, the filtered ones
# (status, name) and, as the baseline, the SageMaker API's ListTrainingJobs of the same 50 jobs
# signed with SigV4, on the same server in the same run. Target: first paint <= 1 s at 100,000.
#   SAGERUN=build/src/sagerun SEED_TOOL=build/tests/seed_tool bench/dashboard_paint.sh
#   # SIZES="10 100000" RUNS=5 DURATION=5s CONNECTIONS=16 THREADS=2 SCREENSHOT=jobs.png
source "$(dirname "${BASH_SOURCE[0]}")/server_common.sh"
for tool in wrk node; do
  command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 1; }
done
[ -d "$ROOT/tests/browser/node_modules/playwright-core" ] ||
  { echo "Playwright is missing: npm ci --prefix tests/browser" >&2; exit 1; }
SEED_TOOL=$(realpath "${SEED_TOOL:-$ROOT/build/tests/seed_tool}")
[ -x "$SEED_TOOL" ] || { echo "no seed_tool at $SEED_TOOL (ninja -C build seed_tool)" >&2; exit 1; }
SIZES=${SIZES:-10 100000}
RUNS=${RUNS:-5}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
TOKEN=bench-dashboard-token-0123456789
echo "bench-secret" >"$TMP/secret"

# wrk_line LABEL ARGS...: requests/s and p99 of one request, as a table row.
wrk_line() {
  local label=$1
  shift
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" >"$TMP/wrk.out"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk.out")
  p99=$(awk '$1 == "99%" {print $2}' "$TMP/wrk.out")
  printf '  %-44s %10s req/s   p99 %8s\n' "$label" "$rps" "$p99"
  echo "$rps" >"$TMP/rps"
}

# The baseline: ListTrainingJobs, MaxResults 50, signed once (botocore's SigV4), as a wrk script.
sign_list() {
  "$PY" - "$1" "$TMP/list.lua" <<'PY'
import json, sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
endpoint, out = sys.argv[1:]
text = json.dumps({"MaxResults": 50})
signed = AWSRequest(method="POST", url=endpoint + "/", data=text.encode(),
                    headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "SageMaker.ListTrainingJobs"})
SigV4Auth(Credentials("bench-key", "bench-secret"), "sagemaker", "us-east-1").add_auth(signed)
with open(out, "w") as f:
    f.write("wrk.method = \"POST\"\nwrk.body = %s\n" % json.dumps(text))
    for name, value in signed.headers.items():
        f.write("wrk.headers[%s] = %s\n" % (json.dumps(name), json.dumps(value)))
PY
}

for size in $SIZES; do
  state=$TMP/state-$size
  seed_started=$SECONDS
  "$SEED_TOOL" "$state" "$size" >/dev/null
  port=$(free_port)
  endpoint=http://127.0.0.1:$port
  SAGERUN_DASHBOARD_TOKEN=$TOKEN "$SAGERUN" server --port "$port" --state-dir "$state" --max-instances 1 \
    --access-key bench-key --secret-key-file "$TMP/secret" >"$TMP/server.out" 2>"$TMP/server.log" &
  server=$!
  PIDS+=("$server")
  wait_http "$endpoint/"
  echo "== $size jobs (seeded in $((SECONDS - seed_started)) s)"

  args=$(printf '{"url":"%s/?token=%s","base":"%s","runs":%d%s}' "$endpoint" "$TOKEN" "$endpoint" "$RUNS" \
    "${SCREENSHOT:+,\"screenshot\":\"$SCREENSHOT\"}")
  node "$ROOT/tests/browser/dashboard.mjs" paint "$args" >"$TMP/paint.json"
  "$PY" - "$TMP/paint.json" <<'PY'
import json, statistics, sys
runs = json.load(open(sys.argv[1]))["runs"]
for key, label in (("firstContentfulPaint", "first contentful paint"), ("rowsShownMs", "first rows shown"),
                   ("domContentLoaded", "DOMContentLoaded")):
    values = sorted(r[key] for r in runs)
    print("  %-44s median %7.1f ms   max %7.1f ms   (%d loads)" % (label, statistics.median(values), values[-1], len(values)))
print("  %-44s %d" % ("rows on the first page", runs[0]["rows"]))
PY

  cookie="Cookie: sagerun_dashboard=$TOKEN"
  wrk_line "GET /api/jobs (the page's call)" -H "$cookie" "$endpoint/api/jobs"
  page_rps=$(cat "$TMP/rps")
  wrk_line "GET /api/jobs?status=Failed" -H "$cookie" "$endpoint/api/jobs?status=Failed"
  wrk_line "GET /api/jobs?name=rare" -H "$cookie" "$endpoint/api/jobs?name=rare"
  wrk_line "GET / (the page)" -H "$cookie" "$endpoint/"
  sign_list "$endpoint"
  wrk_line "ListTrainingJobs MaxResults=50 (baseline)" -s "$TMP/list.lua" "$endpoint/"
  list_rps=$(cat "$TMP/rps")
  "$PY" -c "import sys; print('  %-44s %.2fx' % ('/api/jobs vs ListTrainingJobs, req/s', float(sys.argv[1]) / float(sys.argv[2])))" \
    "$page_rps" "$list_rps"
  kill "$server"
  wait "$server" 2>/dev/null || true
done
