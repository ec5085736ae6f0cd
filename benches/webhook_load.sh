#!/usr/bin/env bash
# Device creates with and without a subscribed webhook (L3), measured in one run against a
# release build, on SQLite (default) or PostgreSQL:
#
#   cargo build --release --bin siprov --example webhook_receiver
#   bash benches/webhook_load.sh [seconds-per-run] [connections]
#   SIPROV_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bash benches/webhook_load.sh
#
# Three wrk runs of `benches/create_device.lua` (distinct MACs): no webhook, then one
# webhook on the organization subscribed to `device.*` with its receiver (benches/
# webhook_receiver.rs, on 127.0.0.1, one thread) answering at once, then none again. Reports each rate and the
# ratio of the webhook run to the mean of the two others, and how many of the webhook
# run's events the receiver had got when the run ended and 30 s later.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${1:-10}
CONNS=${2:-64}
PORT=${SIPROV_BENCH_PORT:-18182}
RPORT=$((PORT + 1))
BIN=${SIPROV_BENCH_BIN:-target/release/siprov}
RECEIVER=${SIPROV_BENCH_RECEIVER:-target/release/examples/webhook_receiver}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is not installed (apt-get install jq)" >&2; exit 1; }
[[ -x $BIN ]] || { echo "$BIN missing: run cargo build --release first" >&2; exit 1; }
[[ -x $RECEIVER ]] || { echo "$RECEIVER missing: run cargo build --release --example webhook_receiver" >&2; exit 1; }

WORK=$(mktemp -d)
PG_ADMIN=${SIPROV_BENCH_DATABASE_URL:-}
if [[ -n $PG_ADMIN ]]; then
  DBNAME="siprov_bench_$RANDOM$RANDOM"
  psql -q "$PG_ADMIN" -c "CREATE DATABASE $DBNAME" >/dev/null
  DB_URL="${PG_ADMIN%/*}/$DBNAME"
  BACKEND=postgres
else
  DB_URL="sqlite://$WORK/bench.db"
  BACKEND=sqlite
fi
"$RECEIVER" "$RPORT" &
RPID=$!
SIPROV_LISTEN=127.0.0.1:$PORT SIPROV_DATABASE_URL=$DB_URL SIPROV_WEBHOOK_ALLOW_INSECURE=true \
  SIPROV_BOOTSTRAP_ADMIN_PASSWORD=bench-password-1 RUST_LOG=warn "$BIN" >"$WORK/log" 2>&1 &
PID=$!
cleanup() {
  kill "$PID" "$RPID" 2>/dev/null || true
  wait "$PID" "$RPID" 2>/dev/null || true
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
ORG_T=$(token borg bench-password-1)

run() { # prints "<req/s> <p99> <non-2xx> <requests>"
  local out
  out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -H "Authorization: Bearer $ORG_T" \
    -s benches/create_device.lua "$API/v1/organizations/$ORG/devices")
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1 == "99%" {print $2}' <<<"$out") \
$(awk '/Non-2xx/ {print $NF}' <<<"$out" | grep . || echo 0) $(awk '/requests in/ {print $1}' <<<"$out")"
}
echo "siprov webhook load benchmark: $BACKEND, device creates, ${DURATION}s per run, 2 threads, $CONNS connections"
read -r R1 P1 N1 _ <<<"$(run)"
printf '%-34s %10s req/s  p99 %9s  non-2xx %s\n' "no webhook" "$R1" "$P1" "$N1"
HOOK=$(call POST /v1/organizations/$ORG/webhooks "$ORG_T" \
  "{\"url\":\"http://127.0.0.1:$RPORT/hook\",\"events\":[\"device.*\"]}" | jq -r .id)
read -r R2 P2 N2 T2 <<<"$(run)"
printf '%-34s %10s req/s  p99 %9s  non-2xx %s\n' "one webhook, receiver answering" "$R2" "$P2" "$N2"
EVENTS=$((T2 - N2))
received() { curl -sf "http://127.0.0.1:$RPORT/count" || echo 0; }
echo "  events to deliver: $EVENTS; received when the run ended: $(received)"
START=$(date +%s)
while (( $(received) < EVENTS && $(date +%s) - START < 120 )); do sleep 0.5; done
echo "  received $(received) of $EVENTS, $(( $(date +%s) - START )) s after the run ended"
call DELETE /v1/webhooks/$HOOK "$ORG_T" >/dev/null || true
sleep 1
read -r R3 P3 N3 _ <<<"$(run)"
printf '%-34s %10s req/s  p99 %9s  non-2xx %s\n' "no webhook (again)" "$R3" "$P3" "$N3"
awk -v a="$R1" -v b="$R2" -v c="$R3" 'BEGIN { printf "ratio (webhook / mean without): %.3f\n", b / ((a + c) / 2) }'
