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

prepare_describe sagerun "$SERVER" moto "$MOTO"

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
