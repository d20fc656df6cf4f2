#!/usr/bin/env bash
# The Docker Compose deployment (docker-compose.yml), the compose twin of scripts/cluster.sh:
#
#   scripts/compose.sh up               build and start everything; wait until every service is healthy
#                                       and the load balancer answers /health/ready; print its URL
#   scripts/compose.sh down             remove the project's containers, networks and volumes
#   scripts/compose.sh status           the services, their health, and the load balancer's readiness
#   scripts/compose.sh kill-silo N      docker kill silo N's container (SIGKILL)
#   scripts/compose.sh restart-silo N   restart silo N's container and wait until it is healthy
#   scripts/compose.sh stop-all         stop every container (the PostgreSQL volume stays)
#   scripts/compose.sh start-all        start them again on the same volume and wait as `up` does
#
# `up` installs docker.io and docker-compose with apt-get when missing, starts dockerd when it
# does not run, and, when the official base images can neither be found nor pulled, builds local
# stand-ins for them once (docker/standin/, from a Debian rootfs made with debootstrap).
#
# Environment (or .env beside docker-compose.yml; defaults in brackets):
#   COMPOSE_PROJECT_NAME [rondevu]  names the containers, network and volume: two projects can coexist
#   RONDEVU_PORT [3000]             the load balancer, published on 127.0.0.1 only
#   RONDEVU_SUBNET [172.30.0]       first three numbers of the project's /24 network
#   AUTH_SECRET                     64 hex chars; generated once per project (kept in STATE_DIR) if unset
#   GATEWAY_PORTS                   "P1,P2": also publish gateway 1 and 2 on 127.0.0.1:P1 and :P2
#   UP_TIMEOUT [300]                seconds `up`, `start-all` and `restart-silo` wait for health
#   STANDINS [auto]                 1: always use the stand-in base images; 0: never
#   STATE_DIR [${XDG_STATE_HOME:-$HOME/.local/state}/rondevu]  generated secrets, dockerd's log
# The gateway and limit settings of the README (RATE_LIMIT_*, CORS_ORIGINS, OFFER_*, MAX_*, ...)
# pass from the environment or .env to the containers.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/rondevu}"
UP_TIMEOUT="${UP_TIMEOUT:-300}"
SILOS=3
SERVICES=(postgres silo1 silo2 silo3 gateway1 gateway2 lb)
STANDIN_BASE=rondevu-standin/debian:bookworm

die() { echo "compose.sh: $*" >&2; exit 1; }
log() { echo "compose.sh: $*" >&2; }

# A value from the environment, else from .env, else the default.
setting() {
  local name="$1" default="$2" value
  if [[ -n "${!name:-}" ]]; then echo "${!name}"; return; fi
  value="$(sed -n "s/^[[:space:]]*$name=//p" "$ROOT/.env" 2>/dev/null | tail -n 1)"
  value="${value%\"}"; value="${value#\"}"
  echo "${value:-$default}"
}

PROJECT="$(setting COMPOSE_PROJECT_NAME rondevu)"
export COMPOSE_PROJECT_NAME="$PROJECT"
export RONDEVU_PORT="$(setting RONDEVU_PORT 3000)"
export RONDEVU_BIND=127.0.0.1
# Read before auth_secret exports AUTH_SECRET itself.
CONFIGURED_AUTH_SECRET="$(setting AUTH_SECRET "")"
URL="http://127.0.0.1:$RONDEVU_PORT"

apt_install() {
  [[ $EUID -eq 0 ]] || die "$* missing, and not root to install it with apt-get"
  log "installing $* with apt-get"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_docker() {
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io
  if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
    apt_install docker-compose
  fi
  docker info >/dev/null 2>&1 && return 0
  [[ $EUID -eq 0 ]] || die "the Docker daemon does not run, and not root to start it"
  mkdir -p "$STATE_DIR"
  if [[ -d /run/systemd/system ]]; then
    systemctl start docker
  else
    log "starting dockerd (log: $STATE_DIR/dockerd.log)"
    setsid dockerd </dev/null >>"$STATE_DIR/dockerd.log" 2>&1 &
  fi
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && return 0; sleep 0.5; done
  die "dockerd did not start (log: $STATE_DIR/dockerd.log)"
}

# compose [--nice] ARGS: docker compose (v2) when there, else docker-compose (v1).
compose() {
  local files=(-f "$ROOT/docker-compose.yml") prefix=()
  if [[ "${1:-}" == --nice ]]; then prefix=(nice -n 10); shift; fi
  if [[ -n "${GATEWAY_PORTS:-}" ]]; then
    export GATEWAY1_PORT="${GATEWAY_PORTS%%,*}" GATEWAY2_PORT="${GATEWAY_PORTS##*,}"
    files+=(-f "$ROOT/docker/compose.gateway-ports.yml")
  fi
  if docker compose version >/dev/null 2>&1; then
    "${prefix[@]}" docker compose "${files[@]}" --project-directory "$ROOT" -p "$PROJECT" "$@"
  else
    "${prefix[@]}" docker-compose "${files[@]}" --project-directory "$ROOT" -p "$PROJECT" "$@"
  fi
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# Heavy builds yield the CPU to whatever else this machine does. The classic builder, because the
# stand-ins' builds need nothing more and work with any docker client against any daemon.
build() { DOCKER_BUILDKIT=0 nice -n 10 docker build -q "$@" >/dev/null; }

# A Debian rootfs imported as an image: the base of every stand-in.
build_standin_base() {
  have_image "$STANDIN_BASE" && return 0
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  local rootfs
  rootfs="$(mktemp -d)"
  log "building $STANDIN_BASE with debootstrap (once; about a minute)"
  nice -n 10 debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$rootfs.log" 2>&1 ||
    { tail -n 20 "$rootfs.log" >&2; rm -rf "$rootfs" "$rootfs.log"; die "debootstrap failed"; }
  tar -C "$rootfs" -c . | docker import - "$STANDIN_BASE" >/dev/null
  rm -rf "$rootfs" "$rootfs.log"
}

# The .NET stand-ins copy this machine's dotnet installation; the SDK one also its CA bundle
# (docker/standin/sdk.Dockerfile says why). The build context is a tar stream, so nothing is
# copied into the repository.
build_dotnet_standin() {
  local image="$1" dockerfile="$2"; shift 2
  local dotnet_root ca=/etc/ssl/certs/ca-certificates.crt
  dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")" || die "dotnet not found: the .NET stand-ins copy it"
  [[ -f "$ca" ]] || die "$ca not found (the ca-certificates package)"
  log "building stand-in $image"
  tar -c -C "$dotnet_root" --transform 's,^\.,dotnet,' "$@" \
    -C "$(dirname "$ca")" --transform 's,^ca-certificates\.crt$,host-ca.crt,' "$(basename "$ca")" \
    -C "$ROOT/docker/standin" "$dockerfile" |
    build -f "$dockerfile" -t "$image" -
}

build_standin() {
  local image="$1"
  have_image "$image" && return 0
  build_standin_base
  case "$image" in
    */dotnet-sdk:*) build_dotnet_standin "$image" sdk.Dockerfile . ;;
    */dotnet-aspnet:*) build_dotnet_standin "$image" aspnet.Dockerfile ./dotnet ./host ./shared ;;
    */postgres:*) log "building stand-in $image"; build -f "$ROOT/docker/standin/postgres.Dockerfile" -t "$image" "$ROOT/docker/standin" ;;
    */nginx:*) log "building stand-in $image"; build -f "$ROOT/docker/standin/nginx.Dockerfile" -t "$image" "$ROOT/docker/standin" ;;
  esac
}

# Each base image: the official one (variable unset or set by the caller) when it is here or can
# be pulled, else its stand-in.
choose_base_images() {
  local variable official standin mode="${STANDINS:-auto}"
  while read -r variable official standin; do
    [[ -n "${!variable:-}" ]] && continue
    if [[ "$mode" != 1 ]] && { have_image "$official" || timeout 120 docker pull -q "$official" >/dev/null 2>&1; }; then
      continue
    fi
    [[ "$mode" == 0 ]] && die "$official cannot be pulled (and STANDINS=0)"
    build_standin "$standin"
    export "$variable=$standin"
  done <<EOF
DOTNET_SDK_IMAGE mcr.microsoft.com/dotnet/sdk:10.0 rondevu-standin/dotnet-sdk:10.0
DOTNET_RUNTIME_IMAGE mcr.microsoft.com/dotnet/aspnet:10.0 rondevu-standin/dotnet-aspnet:10.0
POSTGRES_IMAGE postgres:17-alpine rondevu-standin/postgres:15
NGINX_IMAGE nginx:1.28-alpine rondevu-standin/nginx:1.22
EOF
}

# AUTH_SECRET from the environment or .env; else the one generated for this project by `up`
# (kept until `down`). Other commands create or recreate no container, so a placeholder serves
# them when there is none.
auth_secret() {
  local secret="$CONFIGURED_AUTH_SECRET" file="$STATE_DIR/$PROJECT.auth_secret"
  if [[ -z "$secret" && "${1:-}" == generate && ! -s "$file" ]]; then
    mkdir -p "$STATE_DIR"
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$file")
  fi
  [[ -n "$secret" ]] || secret="$(cat "$file" 2>/dev/null || echo unused)"
  export AUTH_SECRET="$secret"
}

# "SERVICE ID" for each container of the project, from Docker's labels: one docker call instead
# of one compose run per service.
containers() {
  docker ps -a --filter "label=com.docker.compose.project=$PROJECT" \
    --format '{{.Label "com.docker.compose.service"}} {{.ID}}'
}

container() { containers | awk -v s="$1" '$1 == s { print $2; exit }'; }

# "SERVICE STATE" for each container: its health, else running or its status (exited, ...).
states() {
  local ids
  ids="$(containers | awk '{ print $2 }')"
  [[ -n "$ids" ]] || return 0
  # shellcheck disable=SC2086
  docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}} {{if .State.Running}}{{if .State.Health}}{{.State.Health.Status}}{{else}}running{{end}}{{else}}{{.State.Status}}{{end}}' $ids
}

health() { states | awk -v s="$1" '$1 == s { print $2; found = 1; exit } END { if (!found) print "missing" }'; }

ready() { curl -fsS --max-time 3 "$URL/health/ready" >/dev/null 2>&1; }

wait_healthy() {
  local deadline=$((SECONDS + UP_TIMEOUT)) pending service state
  local now
  while :; do
    pending=()
    now="$(states)"
    for service in "$@"; do
      state="$(awk -v s="$service" '$1 == s { print $2; exit }' <<<"$now")"
      [[ "$state" == healthy ]] || pending+=("$service:${state:-missing}")
    done
    [[ ${#pending[@]} -eq 0 ]] && return 0
    if ((SECONDS >= deadline)); then
      compose logs --tail 30 >&2 || true
      die "not healthy after ${UP_TIMEOUT}s: ${pending[*]}"
    fi
    sleep 0.5
  done
}

wait_ready() {
  wait_healthy "${SERVICES[@]}"
  local deadline=$((SECONDS + UP_TIMEOUT))
  until ready; do
    ((SECONDS < deadline)) || die "$URL/health/ready does not answer 200 after ${UP_TIMEOUT}s"
    sleep 1
  done
}

silo_number() {
  [[ "${1:-}" =~ ^[0-9]+$ && "$1" -ge 1 && "$1" -le "$SILOS" ]] || die "silo number must be 1..$SILOS"
  echo "$1"
}

cmd_up() {
  local started=$SECONDS
  ensure_docker
  command -v curl >/dev/null 2>&1 || apt_install curl
  auth_secret generate
  choose_base_images
  log "building the app images"
  # One service per image; one build at a time on a small machine.
  compose --nice build migrate >&2
  compose --nice build gateway1 >&2
  log "starting project $PROJECT"
  compose up -d --no-build >&2
  wait_ready
  log "up in $((SECONDS - started))s"
  echo "$URL"
}

cmd_down() {
  docker info >/dev/null 2>&1 || return 0
  compose down --volumes --remove-orphans --timeout 35 >&2
  rm -f "$STATE_DIR/$PROJECT.auth_secret"
  log "down: project $PROJECT removed"
}

cmd_status() {
  local service
  echo "project: $PROJECT"
  for service in migrate "${SERVICES[@]}"; do
    echo "$service: $(health "$service")"
  done
  echo "load balancer: $URL ($(ready && echo ready || echo 'not ready'))"
}

cmd_kill_silo() {
  local n id
  n="$(silo_number "${1:-}")"
  id="$(container "silo$n")"
  [[ -n "$id" && "$(docker inspect -f '{{.State.Running}}' "$id")" == true ]] || die "silo $n does not run"
  docker kill "$id" >/dev/null
  while [[ "$(docker inspect -f '{{.State.Running}}' "$id")" == true ]]; do sleep 0.1; done
  log "silo $n killed"
}

cmd_restart_silo() {
  local n
  n="$(silo_number "${1:-}")"
  compose restart -t 35 "silo$n" >&2
  wait_healthy "silo$n"
  log "silo $n running again"
}

cmd_stop_all() {
  compose stop -t 35 >&2
  log "every container stopped; the PostgreSQL volume kept"
}

cmd_start_all() {
  local started=$SECONDS
  ensure_docker
  [[ -n "$(container postgres)" ]] || die "project $PROJECT has no containers (run up first)"
  # Compose starts nothing after a dependency that turned unhealthy on the way; once it recovers,
  # starting again starts the rest.
  until compose start >&2; do
    ((SECONDS - started < UP_TIMEOUT)) || die "services did not start within ${UP_TIMEOUT}s"
    log "not every service started; starting the rest"
    sleep 5
  done
  wait_ready
  log "started again in $((SECONDS - started))s"
  echo "$URL"
}

cd "$ROOT"
# Every compose command interpolates the whole file, and the file requires AUTH_SECRET.
auth_secret
case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  kill-silo) cmd_kill_silo "${2:-}" ;;
  restart-silo) cmd_restart_silo "${2:-}" ;;
  stop-all) cmd_stop_all ;;
  start-all) cmd_start_all ;;
  *) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
