# Sourced by benches/load.sh and benches/instructions.sh: a fresh database holding the estate
# (benches/estate.rs), and the server under test on it. Expects BIN, ESTATE, DEVICES and
# PORT; a PostgreSQL server when SIPROV_BENCH_DATABASE_URL is set (a database
# siprov_bench_<random> is created on it, with SIPROV_BENCH_PG_PARAMS as its URL's query),
# else SQLite in a temp directory (SIPROV_BENCH_DIR, default /tmp). Sets WORK, DB_URL,
# BACKEND and the estate's variables; everything is removed on exit.

WORK=$(mktemp -d -p "${SIPROV_BENCH_DIR:-/tmp}")
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
PID=
cleanup() {
  [[ -n $PID ]] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
  [[ -n $PG_ADMIN ]] && psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

SIPROV_DATABASE_URL=$DB_URL RUST_LOG=warn "$BIN" migrate >/dev/null
"$ESTATE" --url "$DB_URL" --devices "$DEVICES" --password bench-password-1 --env "$WORK/estate.env" --no-migrate
# shellcheck disable=SC1091
source "$WORK/estate.env"
API=http://127.0.0.1:$PORT

# Starts the server (behind the command given, if any: a profiler) and waits for /healthz;
# sets PID.
start_server() {
  SIPROV_LISTEN=127.0.0.1:$PORT SIPROV_DATABASE_URL=$DB_URL SIPROV_BOOTSTRAP_ADMIN_PASSWORD=bench-password-1 \
    RUST_LOG=warn "$@" "$BIN" >"$WORK/log" 2>&1 &
  PID=$!
  for _ in $(seq 600); do curl -sf "$API/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "the server did not start:" >&2
  cat "$WORK/log" >&2
  exit 1
}

# An access token for a login of the estate.
token() { curl -sf "$API/v1/auth/token" -d grant_type=password -d username="$1" -d password="$2" | jq -r .access_token; }
