#!/usr/bin/env bash
# Static checks of docker-compose.yml that need no Docker engine and no network beyond the
# package registries:
#   1. Compose itself parses, interpolates and validates the file (`docker compose config`, or
#      the standalone `docker-compose`, installed with apt-get when neither exists).
#   2. dclint (npm) checks it against the Compose JSON schema and lint rules (.dclintrc);
#      installed once into DCLINT_DIR.
#   3. Everything the file references exists: Dockerfiles, their ignore files, the nginx config.
# Exits non-zero on the first failure.
#
# Environment: DCLINT_DIR [${XDG_CACHE_HOME:-$HOME/.cache}/rondevu/dclint], SKIP_DCLINT [0].
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMPOSE_FILE="$ROOT/docker-compose.yml"
DCLINT_VERSION=3.1.0
DCLINT_DIR="${DCLINT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rondevu/dclint}"

die() { echo "validate-compose: $*" >&2; exit 1; }
log() { echo "validate-compose: $*" >&2; }

cd "$ROOT"

# Interpolation needs the values .env would give; placeholders unless the caller set them.
export AUTH_SECRET="${AUTH_SECRET:-0000000000000000000000000000000000000000000000000000000000000000}"

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  if ! command -v docker-compose >/dev/null 2>&1; then
    [[ $EUID -eq 0 ]] || die "neither 'docker compose' nor 'docker-compose' found, and not root to install it"
    log "installing docker-compose with apt-get"
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y docker-compose >&2
  fi
  compose=(docker-compose)
fi
log "${compose[*]} config"
"${compose[@]}" -f "$COMPOSE_FILE" --project-directory "$ROOT" config -q || die "compose rejected docker-compose.yml"

if [[ "${SKIP_DCLINT:-0}" != 1 ]]; then
  if [[ ! -x "$DCLINT_DIR/node_modules/.bin/dclint" ]]; then
    command -v npm >/dev/null 2>&1 || die "npm is needed to install dclint (or set SKIP_DCLINT=1)"
    log "installing dclint $DCLINT_VERSION into $DCLINT_DIR"
    mkdir -p "$DCLINT_DIR"
    npm install --prefix "$DCLINT_DIR" --no-audit --no-fund --loglevel=error "dclint@$DCLINT_VERSION" >&2
  fi
  log "dclint"
  "$DCLINT_DIR/node_modules/.bin/dclint" "$COMPOSE_FILE" || die "dclint found errors"
fi

for file in docker/silo.Dockerfile docker/gateway.Dockerfile .dockerignore docker/nginx.conf docker/healthcheck.sh \
  docker/compose.gateway-ports.yml; do
  [[ -f "$file" ]] || die "missing $file"
done
# Every file a Dockerfile COPYs from the build context must exist.
for dockerfile in docker/*.Dockerfile; do
  while read -r source; do
    [[ -e "$source" ]] || die "$dockerfile copies $source, which does not exist"
  done < <(awk '$1 == "COPY" && $0 !~ /--from=/ { for (i = 2; i < NF; i++) if ($i !~ /^--/) print $i }' "$dockerfile")
done
log "ok"
