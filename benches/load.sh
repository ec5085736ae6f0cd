#!/usr/bin/env bash
# Load benchmark with wrk against a release build, on SQLite (default) or PostgreSQL.
#
#   cargo build --release && bash benches/load.sh [seconds-per-run] [connections]
#   SIPROV_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bash benches/load.sh
#
# With a PostgreSQL URL, a fresh database (siprov_bench_<random>) is created on that server
# for the run and dropped after. Reports requests/s and p99 latency of each route, with its
# rate as a ratio to a bare `GET /healthz` measured in the same run (1.0 = as fast as a
# route that does nothing), and the server's resident memory before and after. Nothing is
# asserted: these are reports. Traffic goes to 127.0.0.1 only; every run is bounded.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${1:-10}
CONNS=${2:-64}
PORT=${SIPROV_BENCH_PORT:-18181}
BIN=${SIPROV_BENCH_BIN:-target/release/siprov}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is not installed (apt-get install jq)" >&2; exit 1; }
[[ -x $BIN ]] || { echo "$BIN missing: run cargo build --release first" >&2; exit 1; }

WORK=$(mktemp -d)
PG_ADMIN=${SIPROV_BENCH_DATABASE_URL:-}
if [[ -n $PG_ADMIN ]]; then
  DBNAME="siprov_bench_$RANDOM$RANDOM"
  psql -q "$PG_ADMIN" -c "CREATE DATABASE $DBNAME" >/dev/null
  DB_URL="${PG_ADMIN%/*}/$DBNAME${SIPROV_BENCH_PG_PARAMS:+?$SIPROV_BENCH_PG_PARAMS}"
  BACKEND=postgres
else
  DB_URL="sqlite://$WORK/bench.db"
  BACKEND=sqlite
fi
SIPROV_LISTEN=127.0.0.1:$PORT SIPROV_DATABASE_URL=$DB_URL \
  SIPROV_BOOTSTRAP_ADMIN_PASSWORD=bench-password-1 RUST_LOG=warn "$BIN" >"$WORK/log" 2>&1 &
PID=$!
cleanup() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  [[ -n $PG_ADMIN ]] && psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
API=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -sf $API/healthz >/dev/null && break; sleep 0.1; done

token() { curl -sf $API/v1/auth/token -d grant_type=password -d username="$1" -d password="$2" | jq -r .access_token; }
call() { curl -sf -X "$1" "$API$2" -H "Authorization: Bearer $3" -H 'Content-Type: application/json' ${4:+-d "$4"}; }
ADMIN=$(token admin bench-password-1)
SP=$(call POST /v1/service-providers "$ADMIN" '{"name":"b","device_provisioning":"modify","owner":{"username":"bsp","password":"bench-password-1"}}' | jq -r .id)
ORG=$(call POST /v1/service-providers/$SP/organizations "$ADMIN" '{"name":"o","device_provisioning":"modify","owner":{"username":"borg","password":"bench-password-1"}}' | jq -r .id)
for i in $(seq 1 100); do
  call POST /v1/organizations/$ORG/devices "$ADMIN" "{\"mac_address\":\"0004f2$(printf '%06x' $i)\"}" >/dev/null
done
DEV=$(call GET "/v1/organizations/$ORG/devices?limit=1" "$ADMIN" | jq -r '.items[0].id')
ORG_T=$(token borg bench-password-1)

rss() { awk '/VmRSS/ {print $2 " kB"}' /proc/$PID/status; }
echo "siprov load benchmark: $BACKEND, ${DURATION}s per route, 2 threads, $CONNS connections"
echo "RSS before load: $(rss)"
# Runs wrk; prints "<req/s> <p99>".
run() {
  local out
  out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "${@:2}" "$API$1")
  local rate p99 non2xx
  rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  echo "$rate $p99 ${non2xx:-0}"
}
row() { # name rate p99 non2xx base
  printf '%-36s %10s req/s  ratio %5s  p99 %9s%s\n' "$1" "$2" "$(awk -v r="$2" -v b="$5" 'BEGIN { printf "%.3f", r / b }')" "$3" \
    "$([[ $4 != 0 ]] && echo "  ($4 non-2xx!)")"
}
read -r BASE BASE_P99 _ <<<"$(run /healthz)"
row "GET /healthz (baseline)" "$BASE" "$BASE_P99" 0 "$BASE"
AUTH=(-H "Authorization: Bearer $ORG_T")
read -r R P N <<<"$(run /v1/me "${AUTH[@]}")"; row "GET /v1/me" "$R" "$P" "$N" "$BASE"
read -r R P N <<<"$(run "/v1/devices/$DEV" "${AUTH[@]}")"; row "GET /v1/devices/{id}" "$R" "$P" "$N" "$BASE"
read -r R P N <<<"$(run "/v1/organizations/$ORG/devices?limit=50" "${AUTH[@]}")"; row "GET /v1/organizations/{id}/devices (50)" "$R" "$P" "$N" "$BASE"
read -r R P N <<<"$(run "/v1/organizations/$ORG/devices" "${AUTH[@]}" -s benches/create_device.lua)"; row "POST /v1/organizations/{id}/devices" "$R" "$P" "$N" "$BASE"
echo "RSS after load: $(rss)"
