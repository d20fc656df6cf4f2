#!/usr/bin/env bash
# The cluster deployment as local processes, for machines without Docker and for the cluster tests:
# a private PostgreSQL, N silos and M gateways, all on 127.0.0.1.
#
#   scripts/cluster.sh up               start everything (fresh database) and wait until it answers
#   scripts/cluster.sh down             stop everything this script started, and PostgreSQL
#   scripts/cluster.sh status           what runs, and whether it answers /health
#   scripts/cluster.sh kill-silo N      SIGKILL silo N (1-based)
#   scripts/cluster.sh restart-silo N   stop silo N if it runs (SIGTERM), start it again, wait for it
#   scripts/cluster.sh stop-all         stop every silo and gateway (SIGTERM), keep PostgreSQL and CLUSTER_DIR
#   scripts/cluster.sh start-all        start them again on the same database (PostgreSQL started if
#                                       needed, no build, no migration) and wait until they answer
#
# Environment (defaults in brackets):
#   CLUSTER_DIR [${TMPDIR:-/tmp}/rondevu-cluster]  logs (*.log), PIDs (*.pid), PostgreSQL data
#   SILOS [3]                 number of silos
#   GATEWAY_PORTS [3001,3002] one gateway per port
#   PG_PORT [15432]           PostgreSQL port (below Linux's ephemeral range, 32768-60999, where an
#                             outgoing connection may hold it)
#   SILO_PORT_BASE [21110]    silo N listens on BASE+N (silo-to-silo)
#   SILO_GATEWAY_PORT_BASE [31110]  silo N accepts Orleans clients on BASE+N
#   SILO_HTTP_PORT_BASE [18110]     silo N serves /health on BASE+N
#   AUTH_SECRET               shared by the gateways; generated once into CLUSTER_DIR/auth_secret if unset
#   NO_BUILD [0]              1: use the existing build output instead of running `dotnet build`
#   KEEP_DATA [0]             1: keep the database of a previous run instead of starting empty
#   UP_TIMEOUT [60]           seconds `up` and `restart-silo` wait for /health
#   CONFIGURATION [Release]   build configuration
#   OWN_SESSIONS [1]          0: silos and gateways stay in the caller's session. Linux's autogroup scheduler shares
#                             the CPU equally between sessions, so a benchmark keeps them in its own (scripts/bench.sh)
#   BIN_DIR                   run BIN_DIR/Rondevu.Silo/Rondevu.Silo.dll and BIN_DIR/Rondevu.Gateway/Rondevu.Gateway.dll
#                             (a copy of the build output, safe from rebuilds) instead of each project's bin/
# Every other variable (OFFER_DEFAULT_TTL, MAX_OFFERS_PER_PEER, Logging__LogLevel__Default, ...) is
# passed through to the silos and gateways.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLUSTER_DIR="${CLUSTER_DIR:-${TMPDIR:-/tmp}/rondevu-cluster}"
SILOS="${SILOS:-3}"
GATEWAY_PORTS="${GATEWAY_PORTS:-3001,3002}"
PG_PORT="${PG_PORT:-15432}"
SILO_PORT_BASE="${SILO_PORT_BASE:-21110}"
SILO_GATEWAY_PORT_BASE="${SILO_GATEWAY_PORT_BASE:-31110}"
SILO_HTTP_PORT_BASE="${SILO_HTTP_PORT_BASE:-18110}"
UP_TIMEOUT="${UP_TIMEOUT:-60}"
CONFIGURATION="${CONFIGURATION:-Release}"
DOTNET="${DOTNET:-dotnet}"

IFS=',' read -r -a GATEWAYS <<<"$GATEWAY_PORTS"

die() { echo "cluster.sh: $*" >&2; exit 1; }
log() { echo "cluster.sh: $*" >&2; }

dll() {
  local project="$1" path
  if [[ -n "${BIN_DIR:-}" ]]; then
    path="$BIN_DIR/$project/$project.dll"
    [[ -f "$path" ]] || die "$path not found (BIN_DIR=$BIN_DIR)"
  else
    path="$(ls "$ROOT/$project/bin/$CONFIGURATION"/net*/"$project.dll" 2>/dev/null | head -1)"
    [[ -n "$path" ]] || die "$project is not built ($CONFIGURATION); run without NO_BUILD=1"
  fi
  echo "$path"
}

# A killed process can linger as a zombie until something reaps it; that counts as gone.
pid_alive() { [[ -r "/proc/$1/stat" ]] && [[ "$(sed -E 's/.*\) (.).*/\1/' "/proc/$1/stat" 2>/dev/null)" != Z ]]; }

alive() { [[ -f "$1" ]] && pid_alive "$(cat "$1")"; }

healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$1/health" >/dev/null 2>&1; }

conn_string() {
  [[ -f "$CLUSTER_DIR/connection_string" ]] || die "no cluster in $CLUSTER_DIR (run up first)"
  cat "$CLUSTER_DIR/connection_string"
}

# Runs "$@" detached, output to the log, no inherited stdio: a caller that reads our output (a test)
# must not wait for these processes to close it. Each gets its own session unless OWN_SESSIONS=0.
spawn() {
  local name="$1"; shift
  echo "=== $(date -u +%FT%TZ) start" >>"$CLUSTER_DIR/$name.log"
  if [[ "${OWN_SESSIONS:-1}" != 0 ]]; then set -- setsid "$@"; fi
  "$@" </dev/null >>"$CLUSTER_DIR/$name.log" 2>&1 &
  echo $! >"$CLUSTER_DIR/$name.pid"
}

start_silo() {
  local n="$1" cs
  cs="$(conn_string)"
  alive "$CLUSTER_DIR/silo-$n.pid" && die "silo $n already runs"
  spawn "silo-$n" env \
    ConnectionStrings__Postgres="$cs" \
    Orleans__ClusteringProvider=Postgres \
    Orleans__StorageProvider=Postgres \
    Orleans__RemindersProvider=Postgres \
    Orleans__AdvertisedIP=127.0.0.1 \
    Orleans__SiloPort=$((SILO_PORT_BASE + n)) \
    Orleans__GatewayPort=$((SILO_GATEWAY_PORT_BASE + n)) \
    Silo__HttpPort=$((SILO_HTTP_PORT_BASE + n)) \
    Silo__HttpHost=127.0.0.1 \
    ASPNETCORE_CONTENTROOT="$(dirname "$(dll Rondevu.Silo)")" \
    "$DOTNET" "$(dll Rondevu.Silo)"
}

start_gateway() {
  local n="$1" port="$2" cs
  cs="$(conn_string)"
  spawn "gateway-$n" env \
    PORT="$port" \
    HOST=127.0.0.1 \
    ConnectionStrings__Postgres="$cs" \
    Orleans__ClusteringProvider=Postgres \
    AUTH_SECRET="$(cat "$CLUSTER_DIR/auth_secret")" \
    ASPNETCORE_CONTENTROOT="$(dirname "$(dll Rondevu.Gateway)")" \
    "$DOTNET" "$(dll Rondevu.Gateway)"
}

# Waits until every named process answers /health; fails early when one of them exits.
wait_healthy() {
  local deadline=$((SECONDS + UP_TIMEOUT)) pending name port
  while :; do
    pending=()
    for entry in "$@"; do
      name="${entry%%:*}"; port="${entry##*:}"
      if ! alive "$CLUSTER_DIR/$name.pid"; then
        tail -n 30 "$CLUSTER_DIR/$name.log" >&2 || true
        die "$name exited (log: $CLUSTER_DIR/$name.log)"
      fi
      healthy "$port" || pending+=("$name")
    done
    [[ ${#pending[@]} -eq 0 ]] && return 0
    if ((SECONDS >= deadline)); then
      die "not healthy after ${UP_TIMEOUT}s: ${pending[*]} (logs in $CLUSTER_DIR)"
    fi
    sleep 0.25
  done
}

# SIGTERM, then SIGKILL after a grace period.
stop_pidfile() {
  local file="$1" pid
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file")"
  if pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do pid_alive "$pid" || break; sleep 0.2; done
    if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$file"
}

silo_number() {
  [[ "${1:-}" =~ ^[0-9]+$ && "$1" -ge 1 && "$1" -le "$SILOS" ]] || die "silo number must be 1..$SILOS"
  echo "$1"
}

cmd_up() {
  local started=$SECONDS f
  mkdir -p "$CLUSTER_DIR"
  CLUSTER_DIR="$(cd "$CLUSTER_DIR" && pwd -P)"
  for f in "$CLUSTER_DIR"/*.pid; do
    [[ -e "$f" ]] || continue
    alive "$f" && die "already up ($(basename "$f" .pid) runs); run down first"
    rm -f "$f"
  done

  if [[ "${NO_BUILD:-0}" != 1 ]]; then
    log "building ($CONFIGURATION)"
    (cd "$ROOT" && "$DOTNET" build Rondevu.Silo -c "$CONFIGURATION" -nologo -v q &&
      "$DOTNET" build Rondevu.Gateway -c "$CONFIGURATION" -nologo -v q) >"$CLUSTER_DIR/build.log" 2>&1 ||
      { tail -n 30 "$CLUSTER_DIR/build.log" >&2; die "build failed (log: $CLUSTER_DIR/build.log)"; }
    started=$SECONDS
  fi
  dll Rondevu.Silo >/dev/null
  dll Rondevu.Gateway >/dev/null

  local cs
  cs="$("$ROOT/scripts/pg.sh" start "$CLUSTER_DIR/pg" "$PG_PORT" | tail -n 1)"
  echo "$cs" >"$CLUSTER_DIR/connection_string"
  if [[ "${KEEP_DATA:-0}" != 1 ]]; then
    # A fresh database: no membership rows, grain state or reminders of an earlier run.
    psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
      -c 'DROP DATABASE IF EXISTS rondevu WITH (FORCE)' -c 'CREATE DATABASE rondevu' >&2
  fi

  if [[ -n "${AUTH_SECRET:-}" ]]; then
    echo "$AUTH_SECRET" >"$CLUSTER_DIR/auth_secret"
  elif [[ ! -s "$CLUSTER_DIR/auth_secret" ]]; then
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$CLUSTER_DIR/auth_secret"
  fi
  chmod 600 "$CLUSTER_DIR/auth_secret"

  ConnectionStrings__Postgres="$cs" "$DOTNET" "$(dll Rondevu.Silo)" migrate >"$CLUSTER_DIR/migrate.log" 2>&1 ||
    { cat "$CLUSTER_DIR/migrate.log" >&2; die "schema migration failed"; }

  start_processes
  log "up in $((SECONDS - started))s: $SILOS silos, ${#GATEWAYS[@]} gateways, logs in $CLUSTER_DIR"
  for n in "${GATEWAYS[@]}"; do echo "http://127.0.0.1:$n"; done
}

# Starts every silo and gateway and waits until all of them answer /health.
start_processes() {
  local n waits=()
  for n in $(seq 1 "$SILOS"); do
    start_silo "$n"
    waits+=("silo-$n:$((SILO_HTTP_PORT_BASE + n))")
  done
  for n in "${!GATEWAYS[@]}"; do
    start_gateway $((n + 1)) "${GATEWAYS[$n]}"
    waits+=("gateway-$((n + 1)):${GATEWAYS[$n]}")
  done
  wait_healthy "${waits[@]}"
}

# Gateways first, so no request lands on a silo that is going away.
stop_processes() {
  local f
  for f in "$CLUSTER_DIR"/gateway-*.pid; do [[ -e "$f" ]] && stop_pidfile "$f" & done
  wait
  for f in "$CLUSTER_DIR"/silo-*.pid; do [[ -e "$f" ]] && stop_pidfile "$f" & done
  wait
}

cmd_down() {
  [[ -d "$CLUSTER_DIR" ]] || return 0
  stop_processes
  "$ROOT/scripts/pg.sh" stop "$CLUSTER_DIR/pg"
  log "down"
}

cmd_stop_all() {
  [[ -d "$CLUSTER_DIR" ]] || return 0
  stop_processes
  log "silos and gateways stopped; PostgreSQL and $CLUSTER_DIR kept"
}

cmd_start_all() {
  local started=$SECONDS f
  [[ -d "$CLUSTER_DIR" ]] || die "no cluster in $CLUSTER_DIR (run up first)"
  for f in "$CLUSTER_DIR"/*.pid; do
    [[ -e "$f" ]] || continue
    alive "$f" && die "$(basename "$f" .pid) still runs; run stop-all first"
    rm -f "$f"
  done
  [[ -s "$CLUSTER_DIR/auth_secret" ]] || die "no auth_secret in $CLUSTER_DIR (run up first)"
  dll Rondevu.Silo >/dev/null
  dll Rondevu.Gateway >/dev/null
  "$ROOT/scripts/pg.sh" start "$CLUSTER_DIR/pg" "$PG_PORT" >/dev/null
  start_processes
  log "started again in $((SECONDS - started))s: $SILOS silos, ${#GATEWAYS[@]} gateways"
  for f in "${GATEWAYS[@]}"; do echo "http://127.0.0.1:$f"; done
}

cmd_status() {
  local n f state port
  echo "dir: $CLUSTER_DIR"
  if "$ROOT/scripts/pg.sh" status "$CLUSTER_DIR/pg" >/dev/null 2>&1; then
    echo "postgres: running ($(conn_string))"
  else
    echo "postgres: stopped"
  fi
  for n in $(seq 1 "$SILOS"); do
    port=$((SILO_HTTP_PORT_BASE + n))
    f="$CLUSTER_DIR/silo-$n.pid"
    if alive "$f"; then state="running pid $(cat "$f"), $(healthy "$port" && echo healthy || echo 'not healthy')"; else state=stopped; fi
    echo "silo-$n: $state (silo port $((SILO_PORT_BASE + n)), gateway port $((SILO_GATEWAY_PORT_BASE + n)), http $port)"
  done
  for n in "${!GATEWAYS[@]}"; do
    port="${GATEWAYS[$n]}"
    f="$CLUSTER_DIR/gateway-$((n + 1)).pid"
    if alive "$f"; then state="running pid $(cat "$f"), $(healthy "$port" && echo healthy || echo 'not healthy')"; else state=stopped; fi
    echo "gateway-$((n + 1)): $state (http://127.0.0.1:$port)"
  done
}

cmd_kill_silo() {
  local n f pid
  n="$(silo_number "${1:-}")"
  f="$CLUSTER_DIR/silo-$n.pid"
  alive "$f" || die "silo $n does not run"
  pid="$(cat "$f")"
  kill -KILL "$pid"
  while pid_alive "$pid"; do sleep 0.05; done
  rm -f "$f"
  echo "=== $(date -u +%FT%TZ) killed (SIGKILL)" >>"$CLUSTER_DIR/silo-$n.log"
  log "silo $n killed"
}

cmd_restart_silo() {
  local n
  n="$(silo_number "${1:-}")"
  stop_pidfile "$CLUSTER_DIR/silo-$n.pid"
  start_silo "$n"
  wait_healthy "silo-$n:$((SILO_HTTP_PORT_BASE + n))"
  log "silo $n running again"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  kill-silo) cmd_kill_silo "${2:-}" ;;
  restart-silo) cmd_restart_silo "${2:-}" ;;
  stop-all) cmd_stop_all ;;
  start-all) cmd_start_all ;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
