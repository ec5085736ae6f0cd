#!/usr/bin/env bash
# Instructions per request: the release build under valgrind's callgrind, one request at a
# time, counting the instructions the server executes (user space: the kernel's share is not
# seen). Unlike req/s, the count does not move with the load of the machine, so two builds
# compare within a fraction of a percent on any machine, busy or not.
#
#   cargo build --release && cargo build --release --example estate
#   bash benches/instructions.sh [requests-per-route]
#   SIPROV_BENCH_BIN=/path/to/another/siprov bash benches/instructions.sh
#
# SQLite (PostgreSQL with SIPROV_BENCH_DATABASE_URL, as for load.sh), an estate of 10k devices
# (benches/estate.rs), set up and removed by benches/support/server.sh.
# Each route is warmed up, then its requests are counted from a zeroed counter; the figure
# is the total over the number of requests, and `x healthz` is that over a bare
# `GET /healthz`. Nothing is asserted: these are reports. Traffic goes to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

COUNT=${1:-300}
PORT=${SIPROV_BENCH_PORT:-18191}
BIN=${SIPROV_BENCH_BIN:-target/release/siprov}
ESTATE=${SIPROV_BENCH_ESTATE_BIN:-target/release/examples/estate}
for tool in curl jq valgrind callgrind_control; do
  command -v $tool >/dev/null || { echo "$tool is not installed (apt-get install curl jq valgrind)" >&2; exit 1; }
done
[[ -x $BIN ]] || { echo "$BIN missing: run cargo build --release first" >&2; exit 1; }
[[ -x $ESTATE ]] || { echo "$ESTATE missing: run cargo build --release --example estate first" >&2; exit 1; }

DEVICES=10000
# shellcheck source=benches/support/server.sh
source benches/support/server.sh
# Instrumentation starts off (start-up and logins are not counted) and is switched on below.
start_server valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/callgrind.out"

ORG_T=$(token "$ORG_LOGIN" bench-password-1)
ME_T=$(token user1_0_0 bench-password-1)

callgrind_control -i on "$PID" >/dev/null 2>&1
# Sends n requests on one connection (curl reuses it for every URL of its command line),
# and fails on any answer but 200.
send() { # n path [token]
  local auth=() args=()
  [[ -n ${3:-} ]] && auth=(-H "Authorization: Bearer $3")
  for _ in $(seq "$1"); do args+=("$API$2" -o /dev/null); done
  curl -s "${auth[@]}" -w '%{http_code}\n' "${args[@]}" | grep -v '^200$' && { echo "$2 answered other than 200" >&2; exit 1; }
  return 0
}
# Warms a route up, then counts COUNT requests of it from a zeroed counter.
counted() { # name path [token]
  send 20 "$2" "${3:-}"
  callgrind_control -z "$PID" >/dev/null 2>&1
  send "$COUNT" "$2" "${3:-}"
  callgrind_control -d "$1" "$PID" >/dev/null 2>&1
}
per_request() { # dump-number
  local f
  f=$(grep -l "^desc: Trigger: dump $1\$" "$WORK"/callgrind.out.* | head -1)
  echo $(($(awk '/^summary:/ {print $2}' "$f") / COUNT))
}
counted healthz /healthz
counted me /v1/me "$ME_T"
counted device "/v1/devices/$DEVICE" "$ORG_T"
counted page "/v1/organizations/$BIG_ORG/devices?limit=50" "$ORG_T"
sleep 1

echo "siprov instructions per request: $BACKEND, $DEVICES devices, $COUNT requests per route, one connection"
BASE=$(per_request healthz)
row() { printf '%-36s %12s instructions  x healthz %6s\n' "$1" "$2" "$(awk -v r="$2" -v b="$BASE" 'BEGIN { printf "%.1f", r / b }')"; }
row "GET /healthz (baseline)" "$BASE"
row "GET /v1/me (a User of SP 1)" "$(per_request me)"
row "GET /v1/devices/{id}" "$(per_request device)"
row "Org devices, first page (50)" "$(per_request page)"
