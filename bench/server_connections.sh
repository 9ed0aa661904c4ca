#!/usr/bin/env bash
# The server under stalling and flooding clients (DESIGN.md §9): signed DescribeTrainingJob from
# 16 clients (wrk) with and without 1,000 stalled connections held open (bench/stall_clients.py:
# half idle, half dripping a header that never ends, each reopened as soon as the server closes
# it); then 64 clients x 2,000 requests each (h2load, HTTP/1.1 keep-alive) with the stalled ones
# still held; and the server's resident memory throughout.
# Targets: p99 under 50 ms and requests/s within 20 % of the figure without stalled connections;
# no failed request or connection error; RSS at most 64 MiB above idle.
#   SAGERUN=build/src/sagerun bench/server_connections.sh   # STALLED=1000 DURATION=10s
source "$(dirname "${BASH_SOURCE[0]}")/server_common.sh"
for tool in wrk h2load; do
  command -v "$tool" >/dev/null || { echo "$tool is required (Debian packages wrk, nghttp2-client)" >&2; exit 1; }
done
STALLED=${STALLED:-1000}
DURATION=${DURATION:-10s}
FLOOD_CLIENTS=${FLOOD_CLIENTS:-64}
FLOOD_EACH=${FLOOD_EACH:-2000}

start_moto
start_sagerun 1
SERVER_PID=${PIDS[-1]}
seed bkt 'print("trained")'
prepare_describe sagerun "$SERVER"

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"; }
peak_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status"; }

describe_load() { # LABEL: wrk, 2 threads, 16 connections; sets RPS_LABEL, P99_LABEL
  wrk -t2 -c16 -d"$DURATION" --latency -s "$TMP/sagerun.lua" "$SERVER/" >"$TMP/$1.wrk" 2>&1
  echo "--- $1 (wrk -t2 -c16 -d$DURATION)"
  grep -E "Requests/sec|requests in|Socket errors|Non-2xx|Latency |  (50|99)%" "$TMP/$1.wrk"
  if grep -qE "Non-2xx|Socket errors" "$TMP/$1.wrk"; then echo "$1: errors (above)" >&2; exit 1; fi
}
wrk_rps() { awk '/^Requests\/sec:/ {print $2}' "$TMP/$1.wrk"; }
wrk_p99_ms() { # wrk prints 850.00us, 2.31ms or 1.02s
  awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} \
    else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}' "$TMP/$1.wrk"
}

sleep 1
IDLE_KIB=$(rss_kib)
echo "server idle: RSS $((IDLE_KIB / 1024)) MiB"
describe_load baseline

port=${SERVER##*:}
"$PY" "$ROOT/bench/stall_clients.py" 127.0.0.1 "$port" "$STALLED" "$TMP/stall.status" &
HOLDER=$!
PIDS+=("$HOLDER")
for _ in $(seq 300); do
  grep -q "^open=$STALLED " "$TMP/stall.status" 2>/dev/null && break
  sleep 0.1
done
grep -q "^open=$STALLED " "$TMP/stall.status" || { echo "could not open $STALLED connections" >&2; exit 1; }
HELD_KIB=$(rss_kib)
echo "with $STALLED stalled connections: $(cat "$TMP/stall.status"); RSS $((HELD_KIB / 1024)) MiB"
describe_load stalled

# 64 clients x 2,000 requests: the signed headers as h2load takes them (it sets Host and
# Content-Length itself).
args=()
while IFS= read -r line; do
  case "${line,,}" in host:* | content-length:*) continue ;; esac
  args+=(-H "$line")
done <"$TMP/sagerun.headers"
h2load --h1 -c "$FLOOD_CLIENTS" -n $((FLOOD_CLIENTS * FLOOD_EACH)) -d "$TMP/sagerun.body" "${args[@]}" \
  "$SERVER/" >"$TMP/flood.h2load" 2>&1 || true
echo "--- flood (h2load --h1 -c$FLOOD_CLIENTS -n$((FLOOD_CLIENTS * FLOOD_EACH)))"
grep -E "^finished in|^requests:|^status codes:|^traffic:" "$TMP/flood.h2load"
AFTER="$(cat "$TMP/stall.status")"
PEAK_KIB=$(peak_kib)
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null || true

read -r total succeeded failed errored timeout < <(awk '/^requests:/ {print $2, $8, $10, $12, $14}' "$TMP/flood.h2load")
ok2xx=$(awk '/^status codes:/ {print $3}' "$TMP/flood.h2load")
echo
echo "stalled clients at the end: $AFTER"
printf '%-34s %12s %10s\n' "DescribeTrainingJob, 16 clients" "requests/s" "p99 ms"
printf '%-34s %12s %10s\n' "no stalled connections" "$(wrk_rps baseline)" "$(wrk_p99_ms baseline)"
printf '%-34s %12s %10s\n' "$STALLED stalled connections held" "$(wrk_rps stalled)" "$(wrk_p99_ms stalled)"
echo "flood: $total requests, $succeeded succeeded, $failed failed, $errored errored, $timeout timed out; 2xx $ok2xx"
echo "RSS: idle $((IDLE_KIB / 1024)) MiB, $STALLED held $((HELD_KIB / 1024)) MiB, peak $((PEAK_KIB / 1024)) MiB"
"$PY" - "$(wrk_rps baseline)" "$(wrk_rps stalled)" "$(wrk_p99_ms stalled)" "$IDLE_KIB" "$PEAK_KIB" \
  "$((FLOOD_CLIENTS * FLOOD_EACH))" "${ok2xx:-0}" "${failed:-1}" "${errored:-1}" "${timeout:-1}" <<'PY'
import sys
base, stalled, p99, idle, peak, want, ok, failed, errored, timeout = map(float, sys.argv[1:])
verdict = lambda good: "met" if good else "MISSED"
print("throughput with stalled connections: %.0f%% of without (target >= 80%%: %s)"
      % (100 * stalled / base, verdict(stalled >= 0.8 * base)))
print("p99 with stalled connections: %.2f ms (target < 50 ms: %s)" % (p99, verdict(p99 < 50)))
print("flood: %d of %d answered 2xx, %d failed/errored/timed out (target: all, none: %s)"
      % (ok, want, failed + errored + timeout, verdict(ok == want and failed + errored + timeout == 0)))
print("RSS growth: %.1f MiB above idle (target <= 64 MiB: %s)"
      % ((peak - idle) / 1024, verdict(peak - idle <= 64 * 1024)))
PY
