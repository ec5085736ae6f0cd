#!/usr/bin/env bash
# Load benchmark with wrk against a release build on an embedded SQLite file.
#
#   cargo build --release && bash benches/load.sh [seconds-per-run]
#
# Reports requests/s of each authenticated route as a ratio to a bare `GET /healthz`
# measured in the same run (1.0 = as fast as a route that does nothing), and the server's
# resident memory before and after the load. Nothing is asserted: these are reports.
# Traffic goes to 127.0.0.1 only; every run is bounded by its duration.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${1:-10}
PORT=${SIPROV_BENCH_PORT:-18181}
BIN=target/release/siprov
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[[ -x $BIN ]] || { echo "$BIN missing: run cargo build --release first" >&2; exit 1; }

WORK=$(mktemp -d)
SIPROV_LISTEN=127.0.0.1:$PORT SIPROV_DATABASE_URL=sqlite://$WORK/bench.db \
  SIPROV_BOOTSTRAP_ADMIN_PASSWORD=bench-password-1 RUST_LOG=warn "$BIN" >"$WORK/log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
API=http://127.0.0.1:$PORT
for _ in $(seq 50); do curl -sf $API/healthz >/dev/null && break; sleep 0.1; done

token() { curl -sf $API/v1/auth/token -d grant_type=password -d username="$1" -d password="$2" | jq -r .access_token; }
call() { curl -sf -X "$1" "$API$2" -H "Authorization: Bearer $3" -H 'Content-Type: application/json' ${4:+-d "$4"}; }
ADMIN=$(token admin bench-password-1)
SP=$(call POST /v1/service-providers "$ADMIN" '{"name":"b","device_provisioning":"modify","owner":{"username":"bsp","password":"bench-password-1"}}' | jq -r .id)
ORG=$(call POST /v1/service-providers/$SP/organizations "$ADMIN" '{"name":"o","device_provisioning":"modify","owner":{"username":"borg","password":"bench-password-1"}}' | jq -r .id)
for i in $(seq 1 50); do
  call POST /v1/organizations/$ORG/devices "$ADMIN" "{\"mac_address\":\"0004f2$(printf '%06x' $i)\"}" >/dev/null
done
DEV=$(call GET "/v1/organizations/$ORG/devices?limit=1" "$ADMIN" | jq -r '.items[0].id')
ORG_T=$(token borg bench-password-1)

rss() { awk '/VmRSS/ {print $2 " kB"}' /proc/$PID/status; }
echo "siprov load benchmark: ${DURATION}s per route, 2 threads, 32 connections, SQLite"
echo "RSS before load: $(rss)"
run() { wrk -t2 -c32 -d"${DURATION}s" "${@:2}" "$API$1" | awk '/Requests\/sec/ {print $2}'; }
BASE=$(run /healthz)
printf '%-42s %10s req/s  ratio %s\n' "GET /healthz (baseline)" "$BASE" "1.00"
for route in "/v1/me" "/v1/devices/$DEV" "/v1/organizations/$ORG/devices?limit=20"; do
  R=$(run "$route" -H "Authorization: Bearer $ORG_T")
  printf '%-42s %10s req/s  ratio %.2f\n' "GET ${route%%\?*}$([[ $route == *\?* ]] && echo '?limit=20')" "$R" "$(awk -v r="$R" -v b="$BASE" 'BEGIN { print r / b }')"
done
echo "RSS after load: $(rss)"
