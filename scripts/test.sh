#!/usr/bin/env bash
# Runs every test of the solution on a fresh machine: installs what the tests need when it is
# missing, builds once, runs all test projects, and ends with one line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

has_postgres() {
  command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET 10 SDK is required (https://dot.net): dotnet was not found on PATH" >&2
  exit 1
fi
has_postgres || { echo "Installing PostgreSQL…"; apt_install postgresql; }
command -v chromium >/dev/null 2>&1 || { echo "Installing Chromium…"; apt_install chromium; }
# The compose test lints docker-compose.yml with dclint, which scripts/validate-compose.sh installs from npm.
command -v npm >/dev/null 2>&1 || { echo "Installing npm…"; apt_install npm; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet build Rondevu.sln -c Release -nologo -v quiet 2>&1 | tail -n 3 || status=$?
if [ "$status" != 0 ]; then
  echo "0 passed, 1 failed (the build failed)"
  exit 1
fi
# One project at a time: the browser, cluster and compose suites start real processes and time real
# handshakes, and on two cores they should not compete with each other. The compose suite installs
# and starts Docker itself (scripts/compose.sh up).
for project in tests/Rondevu.Tests tests/Rondevu.BrowserTests tests/Rondevu.ClusterTests tests/Rondevu.ComposeTests; do
  dotnet test "$project" -c Release --no-build -nologo 2>&1 | tee -a "$log" || status=$?
done

# Sum the runner's per-assembly summaries, e.g. "Passed!  - Failed: 0, Passed: 57, Skipped: 0, Total: 57".
sum() { grep -oE "$1: +[0-9]+" "$log" | awk '{ s += $2 } END { print s + 0 }'; }
passed=$(sum Passed)
failed=$(sum Failed)
skipped=$(sum Skipped)
if [ "$passed" = 0 ] && [ "$failed" = 0 ]; then
  failed=1   # no summary at all means the run itself broke
fi
line="$passed passed, $failed failed"
[ "$skipped" != 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$status" = 0 ] && [ "$failed" = 0 ]
