#!/usr/bin/env bash
# Load benchmark with wrk against a release build, on SQLite (default) or PostgreSQL, on a
# multi-tenant estate (benches/estate.rs) of SIPROV_BENCH_DEVICES devices (default 10000;
# 1000000 for the million: 1,000 SPs, 10,000 Orgs, 100,000 Users, 1,000,000 accounts).
#
#   cargo build --release && cargo build --release --example estate
#   bash benches/load.sh [seconds-per-run] [connections]
#   SIPROV_BENCH_DEVICES=1000000 bash benches/load.sh
#   SIPROV_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bash benches/load.sh
#
# With a PostgreSQL URL, a fresh database (siprov_bench_<random>) is created on that server
# for the run and dropped after; the SQLite file lives in a temp directory (SIPROV_BENCH_DIR,
# default /tmp) removed after. The server binary under test (SIPROV_BENCH_BIN) migrates the
# database and the estate is loaded into its schema, so an older build can be measured on
# the same estate. Reports requests/s and p99 latency of each route, with its rate as a
# ratio to a bare `GET /healthz` (1.0 = as fast as a route that does nothing), the server's
# own CPU time per request (user and system, from /proc: wrk's share of the cores is not in
# it), and the server's resident memory before and after. Nothing is asserted: these are
# reports. Traffic goes to 127.0.0.1 only; every run is bounded.
#
# The machine's speed drifts within a run (a bare `healthz` moved between 118k and 150k
# req/s over a few minutes on the 2-core machine), so each route is compared with a
# `healthz` run made just before it, not with one run at the start. SIPROV_BENCH_REPEAT=n
# (default 1) measures each pair n times and reports the median ratio, with the rate, p99
# and CPU of that median pair.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${1:-10}
CONNS=${2:-64}
REPEAT=${SIPROV_BENCH_REPEAT:-1}
DEVICES=${SIPROV_BENCH_DEVICES:-10000}
PORT=${SIPROV_BENCH_PORT:-18181}
BIN=${SIPROV_BENCH_BIN:-target/release/siprov}
ESTATE=${SIPROV_BENCH_ESTATE_BIN:-target/release/examples/estate}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is not installed (apt-get install jq)" >&2; exit 1; }
[[ -x $BIN ]] || { echo "$BIN missing: run cargo build --release first" >&2; exit 1; }
[[ -x $ESTATE ]] || { echo "$ESTATE missing: run cargo build --release --example estate first" >&2; exit 1; }

# shellcheck source=benches/support/server.sh
source benches/support/server.sh
start_server

SP_T=$(token "$SP_LOGIN" bench-password-1)
ORG_T=$(token "$ORG_LOGIN" bench-password-1)
USER_T=$(token "$USER_LOGIN" bench-password-1)
# GET /v1/me lists every account and device of the caller (not paged): it is measured for a
# User of a neighbouring SP, whose size is the same in every estate, not for the big User,
# whose lists grow with the estate.
ME_T=$(token user1_0_0 bench-password-1)

rss() { awk '/VmRSS/ {print $2 " kB"}' /proc/$PID/status; }
echo "siprov load benchmark: $BACKEND, $DEVICES devices, ${DURATION}s per run, 2 threads, $CONNS connections, each route after its own healthz run, median of $REPEAT"
echo "RSS before load: $(rss)"
# The server's CPU time so far (user and system), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
TICK=$(getconf CLK_TCK)
# Runs wrk; prints "<req/s> <p99> <non-2xx> <server CPU µs per request>". The CPU figure
# counts the server alone (wrk shares the cores), so it moves less with the machine's load.
run() {
  local out before after
  before=$(cpu_ticks)
  out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "${@:2}" "$API$1")
  after=$(cpu_ticks)
  local rate p99 non2xx count
  rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  count=$(awk '/requests in/ {print $1}' <<<"$out")
  echo "$rate $p99 ${non2xx:-0} $(awk -v t=$((after - before)) -v n="$count" -v hz="$TICK" 'BEGIN { if (n > 0) printf "%.0f", t / hz * 1e6 / n; else printf "-" }')"
}
row() { # name rate p99 non2xx base cpu
  printf '%-44s %10s req/s  ratio %5s  p99 %9s  cpu %5s us/req  (healthz %s)%s\n' "$1" "$2" \
    "$(awk -v r="$2" -v b="$5" 'BEGIN { printf "%.3f", r / b }')" "$3" "$6" "$5" "$([[ $4 != 0 ]] && echo "  ($4 non-2xx!)")"
}
# A route against the `healthz` run just before it, REPEAT times; the median pair by ratio.
bench() { # name path token [wrk args]
  local i b r p n c pairs=()
  for i in $(seq "$REPEAT"); do
    read -r b _ _ _ <<<"$(run /healthz)"
    read -r r p n c <<<"$(run "$2" -H "Authorization: Bearer $3" "${@:4}")"
    pairs+=("$(awk -v r="$r" -v b="$b" 'BEGIN { printf "%.6f", r / b }') $r $p $n $b $c")
  done
  read -r _ r p n b c <<<"$(printf '%s\n' "${pairs[@]}" | sort -n | sed -n "$(((REPEAT + 1) / 2))p")"
  row "$1" "$r" "$p" "$n" "$b" "$c"
}
read -r BASE BASE_P99 _ BASE_CPU <<<"$(run /healthz)"
row "GET /healthz (a first run, for reference)" "$BASE" "$BASE_P99" 0 "$BASE" "$BASE_CPU"
bench "GET /v1/me (a User of SP 1)" /v1/me "$ME_T"
bench "GET /v1/devices/{id}" "/v1/devices/$DEVICE" "$ORG_T"
bench "SP devices, first page (50)" "/v1/service-providers/$BIG_SP/devices?limit=50" "$SP_T"
bench "SP devices, deep page (50)" "/v1/service-providers/$BIG_SP/devices?limit=50&cursor=$SP_MIDDLE" "$SP_T"
bench "Org devices, first page (50)" "/v1/organizations/$BIG_ORG/devices?limit=50" "$ORG_T"
bench "Org devices, deep page (50)" "/v1/organizations/$BIG_ORG/devices?limit=50&cursor=$ORG_MIDDLE" "$ORG_T"
bench "User devices, first page (50)" "/v1/users/$BIG_USER/devices?limit=50" "$USER_T"
bench "User devices, deep page (50)" "/v1/users/$BIG_USER/devices?limit=50&cursor=$USER_MIDDLE" "$USER_T"
bench "POST /v1/organizations/{id}/devices" "/v1/organizations/$BIG_ORG/devices" "$ORG_T" -s benches/create_device.lua
echo "RSS after load: $(rss)"
