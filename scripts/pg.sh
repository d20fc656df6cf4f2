#!/usr/bin/env bash
# A private PostgreSQL for tests and the local cluster.
#
#   scripts/pg.sh start DIR PORT   init (first time) and start on 127.0.0.1:PORT; prints the
#                                  Npgsql connection string as the last line of stdout
#   scripts/pg.sh stop DIR         stop it (no-op when not running)
#   scripts/pg.sh status DIR       exit 0 when running
#
# Authentication is `trust` for loopback and the socket: this is a throwaway test server
# bound to 127.0.0.1 only. Never point it at data you care about.
#
# Environment: PG_USER (default rondevu-pg) is the system user that owns and runs the server
# when this script runs as root (PostgreSQL refuses to run as root); PG_DATABASE (default
# rondevu) is the database that is created.
set -euo pipefail

PG_USER="${PG_USER:-rondevu-pg}"
PG_DATABASE="${PG_DATABASE:-rondevu}"

die() { echo "pg.sh: $*" >&2; exit 1; }
log() { echo "pg.sh: $*" >&2; }

# Prints the directory holding initdb and pg_ctl, or nothing.
find_bindir() {
  local d
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then echo "$d"; return; fi
  done
}

ensure_postgres() {
  BINDIR="$(find_bindir)"
  [[ -n "$BINDIR" ]] && return
  [[ $EUID -eq 0 ]] || die "PostgreSQL (initdb, pg_ctl) not found and not root to install it"
  log "installing PostgreSQL with apt-get"
  # The Debian package would otherwise create and start a cluster of its own on port 5432.
  mkdir -p /etc/postgresql-common
  grep -qs '^create_main_cluster *= *false' /etc/postgresql-common/createcluster.conf ||
    echo 'create_main_cluster = false' >>/etc/postgresql-common/createcluster.conf
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
  BINDIR="$(find_bindir)"
  [[ -n "$BINDIR" ]] || die "PostgreSQL installed but initdb/pg_ctl still not found"
}

ensure_user() {
  if [[ $EUID -ne 0 ]]; then RUN=(); return; fi
  if ! id -u "$PG_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER"
  fi
  RUN=(runuser -u "$PG_USER" --)
}

# psql/pg_isready from the same installation when present; Debian's wrappers otherwise.
tool() {
  if [[ -x "$BINDIR/$1" ]]; then echo "$BINDIR/$1"; else command -v "$1" || die "$1 not found"; fi
}

paths() {
  [[ -n "${1:-}" ]] || die "DIR is required"
  if [[ "${2:-}" == create ]]; then mkdir -p "$1"; elif [[ ! -d "$1" ]]; then DIR="$1"; DATA="$1/data"; return; fi
  DIR="$(cd "$1" && pwd -P)"
  DATA="$DIR/data"
  SOCK="$DIR/run"
  LOGFILE="$DIR/postgres.log"
}

is_running() { [[ -f "$DATA/PG_VERSION" ]] && "${RUN[@]}" "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

conn_string() { echo "Host=127.0.0.1;Port=$1;Database=$PG_DATABASE;Username=postgres"; }

cmd_start() {
  local port="${2:-}"
  [[ "$port" =~ ^[0-9]+$ ]] || die "usage: pg.sh start DIR PORT"
  ensure_postgres
  ensure_user
  paths "$1" create

  if [[ $EUID -eq 0 ]]; then
    chown "$PG_USER" "$DIR"
    # Every parent must be traversable by the server user. A private parent (mktemp -d makes 0700) gets
    # search permission only (o+x): PostgreSQL can pass through it, nobody can list it.
    local parent="$DIR"
    while ! runuser -u "$PG_USER" -- test -x "$DIR" && [[ "$parent" != / ]]; do
      parent="$(dirname "$parent")"
      if ! runuser -u "$PG_USER" -- test -x "$parent"; then
        log "granting search permission (o+x) on $parent so that $PG_USER can reach $DIR"
        chmod o+x "$parent"
      fi
    done
    runuser -u "$PG_USER" -- test -x "$DIR" || die "$DIR is not reachable by user $PG_USER (check parent directory permissions)"
  fi

  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    log "initdb $DATA"
    rm -rf "$DATA"
    "${RUN[@]}" "$BINDIR/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      --no-instructions >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
  fi
  "${RUN[@]}" mkdir -p "$SOCK"

  if is_running; then
    local running_port
    running_port="$(sed -n 4p "$DATA/postmaster.pid")"
    [[ "$running_port" == "$port" ]] || die "already running in $DIR on port $running_port, not $port"
    log "already running on 127.0.0.1:$port"
  else
    if [[ $EUID -eq 0 ]]; then touch "$LOGFILE"; chown "$PG_USER" "$LOGFILE"; fi
    # fsync stays on: cluster tests kill processes and expect acknowledged writes to survive.
    "${RUN[@]}" "$BINDIR/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$SOCK' -c fsync=on -c max_connections=300 -c timezone=UTC" \
      start >/dev/null || { tail -20 "$LOGFILE" >&2; die "PostgreSQL did not start (log: $LOGFILE)"; }
  fi

  for _ in $(seq 1 100); do
    "$(tool pg_isready)" -q -h 127.0.0.1 -p "$port" -U postgres && break
    sleep 0.1
  done

  local psql
  psql="$(tool psql)"
  if [[ "$("$psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'")" != 1 ]]; then
    "$psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE \"$PG_DATABASE\"" >&2 ||
      # Two callers may race to create it; losing that race is fine.
      "$psql" -h 127.0.0.1 -p "$port" -U postgres -d "$PG_DATABASE" -tAc 'SELECT 1' >/dev/null
  fi
  conn_string "$port"
}

cmd_stop() {
  BINDIR="$(find_bindir)"
  [[ -n "$BINDIR" ]] || exit 0
  ensure_user
  paths "$1"
  if is_running; then
    "${RUN[@]}" "$BINDIR/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
    log "stopped"
  fi
}

cmd_status() {
  BINDIR="$(find_bindir)"
  [[ -n "$BINDIR" ]] || exit 1
  ensure_user
  paths "$1"
  if is_running; then conn_string "$(sed -n 4p "$DATA/postmaster.pid")"; else echo "not running" >&2; exit 1; fi
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  status) shift; cmd_status "$@" ;;
  *) echo "usage: $0 start DIR PORT | stop DIR | status DIR" >&2; exit 2 ;;
esac
