#!/usr/bin/env bash
# The cluster against the single process, in one run on this machine, with the same load generator:
# full handshakes at PAIRS_LIST concurrency on each, then publishing into a topic of 100 and of
# 10,000 offers on the cluster. CPU per handshake counts every process of the deployment, PostgreSQL
# included; PostgreSQL row writes come from pg_stat_database. Everything runs in this session
# (autogroup would otherwise cap the servers at one core). Prints the figures; raw JSON in WORK.
#
#   scripts/bench-cluster.sh          (about 8 minutes on 2 cores)
#
# The warm-up is long because five .NET processes share two cores: their tiered JIT is still compiling
# 60-100 s into the load, and a shorter warm-up measures that, not the steady state a deployment runs in.
#
# Environment: DURATION [30] WARMUP [120] PAIRS_LIST ["32"] PUBLISH_OFFERS ["100 10000"; "" for none] NO_BUILD [0] WORK [mktemp]
#   SINGLE [1] (0: the cluster only); SILOS [3] and BIN_DIR (cluster.sh: how many silos; run that copy of the build)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DURATION="${DURATION:-30}"
WARMUP="${WARMUP:-120}"
PAIRS_LIST="${PAIRS_LIST:-32}"
PUBLISH_OFFERS="${PUBLISH_OFFERS-100 10000}" # empty: no publish runs
WORK="${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/rondevu-bench-cluster.XXXXXX")}"
mkdir -p "$WORK" && chmod 755 "$WORK" # PostgreSQL runs as another user and must reach CLUSTER_DIR below
BENCH=(dotnet "$ROOT/bench/Rondevu.Bench/bin/Release/net10.0/Rondevu.Bench.dll")
log() { echo "bench-cluster.sh: $*" >&2; }

if [[ "${NO_BUILD:-0}" != 1 ]]; then
  log "building Release"
  dotnet build Rondevu.sln -c Release -nologo -v q >"$WORK/build.log" 2>&1 || { tail -n 30 "$WORK/build.log" >&2; exit 1; }
fi

# Ports below the ephemeral range, where no outgoing connection can hold them.
port() { local p; while :; do p=$((20000 + RANDOM % 12000)); ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }; done; }
export AUTH_SECRET="${AUTH_SECRET:-$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')}"
export RATE_LIMIT_REGISTER=0 RATE_LIMIT_WRITES=0 RATE_LIMIT_PEER=0 Logging__LogLevel__Default=Warning

run() { # LABEL ARGS...
  local label="$1"; shift
  echo "dotnet bench/Rondevu.Bench/bin/Release/net10.0/Rondevu.Bench.dll $* --label $label" >>"$WORK/commands.txt"
  "${BENCH[@]}" "$@" --label "$label" --json "$WORK/results.jsonl" | tee -a "$WORK/output.txt"
}

if [[ "${SINGLE:-1}" == 1 ]]; then
log "single process"
http="$(port)"
(cd Rondevu.Gateway/bin/Release/net10.0 && exec env PORT="$http" HOST=127.0.0.1 Orleans__SiloPort="$(port)" Orleans__GatewayPort="$(port)" \
  dotnet Rondevu.Gateway.dll) </dev/null >"$WORK/single.log" 2>&1 &
single=$!
trap 'kill $single 2>/dev/null || true' EXIT
until curl -fsS "http://127.0.0.1:$http/health" >/dev/null 2>&1; do sleep 0.5; done
for pairs in $PAIRS_LIST; do
  run "single-handshake-p$pairs" handshake --pairs "$pairs" --duration "$DURATION" --warmup "$WARMUP" --url "http://127.0.0.1:$http" --pid "$single"
done
kill "$single"; wait "$single" 2>/dev/null || true
fi

log "cluster"
base=$(($(port) / 10 * 10))
trap 'scripts/cluster.sh down >/dev/null 2>&1 || true' EXIT
export CLUSTER_DIR="$WORK/cluster" OWN_SESSIONS=0 NO_BUILD=1 GATEWAY_PORTS="$(port),$(port)" PG_PORT="$(port)"
export SILO_PORT_BASE="$base" SILO_GATEWAY_PORT_BASE=$((base + 3)) SILO_HTTP_PORT_BASE=$((base + 6))
urls="$(scripts/cluster.sh up 2>"$WORK/cluster.log" | paste -sd, -)"
pids="$(cat "$CLUSTER_DIR"/*.pid | paste -sd, -)"
postgres="$(head -n 1 "$CLUSTER_DIR/pg/data/postmaster.pid")"
pids="$pids,$(pgrep -d, -P "$postgres"),$postgres"
pg_writes() {
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d rondevu -tAc \
    "SELECT tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = 'rondevu'"
}
for pairs in $PAIRS_LIST; do
  sleep 12 # pg_stat_database is flushed by each backend at most 10 s after it goes idle
  before="$(pg_writes)"
  run "cluster-handshake-p$pairs" handshake --pairs "$pairs" --duration "$DURATION" --warmup "$WARMUP" --url "$urls" --pid "$pids"
  sleep 12
  echo "cluster-handshake-p$pairs: $(($(pg_writes) - before)) PostgreSQL row writes during warm-up and window" | tee -a "$WORK/output.txt"
done
for k in $PUBLISH_OFFERS; do
  run "cluster-publish-k$k" publish --offers "$k" --concurrency 8 --batch 100 --duration "$DURATION" --warmup 5 --url "$urls" --pid "$pids"
done
log "raw results in $WORK"
