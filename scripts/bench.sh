#!/usr/bin/env bash
# The standard benchmark set: builds Release, starts its own single-process server (free ports,
# AUTH_SECRET set), runs bench/Rondevu.Bench against it, stops it, optionally does the same against the
# local cluster (scripts/cluster.sh), and writes docs/BENCHMARKS.md.
#
#   scripts/bench.sh            the full standard set (about 15 minutes on 2 cores, plus any wait for load)
#   QUICK=1 scripts/bench.sh    a few seconds per run and small K: checks that everything works
#
# Environment (defaults in brackets):
#   OUT [docs/BENCHMARKS.md]     the report; its "analysis" section (between the markers) is kept
#   WORK [mktemp]                logs, results.jsonl and profiles; kept afterwards
#   DURATION [20]                measured seconds of each handshake run (WARMUP [15] before: long enough for
#                                tiered JIT to settle on 2 busy cores; with 3 s the first run still pays for JIT)
#   PAIRS [16]                   handshake pairs
#   HANDSHAKE_RUNS [3]           pull handshake runs; the report shows each and takes the median
#   HAMMER_CONCURRENCY ["16 32 64"]  /health is hammered at each; the best is the ceiling
#   DISCOVERY_OFFERS ["100 100000"]  K for the discovery runs (each in a fresh topic, same server)
#   MEMORY_OFFERS [100000]       K for the memory run (on a freshly started server)
#   IDLE_WAIT [200]              seconds the memory run's offers then sit idle before the last heap dump (0: skip;
#                                needs dotnet-gcdump)
#   FILL_TIMEOUT [900]           seconds a discovery/memory fill may take; past it, what was created is measured
#   CLUSTER [auto]               auto: run the cluster section when scripts/cluster.sh exists; 0: skip
#   LOAD_MAX [1.0] LOAD_WAIT [900]  wait (polling every 30 s, at most LOAD_WAIT s) for the 1-min load to drop
#   PROFILE [auto]               auto: when a target is missed and dotnet-trace/dotnet-counters are on PATH
#                                (or in ~/.dotnet/tools), profile the server during an extra handshake run
#   NO_BUILD [0]                 1: use the existing Release build
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
QUICK="${QUICK:-0}"
OUT="${OUT:-$ROOT/docs/BENCHMARKS.md}"
WORK="${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/rondevu-bench.XXXXXX")}"
quick() { [[ "$QUICK" == 1 ]] && echo "$2" || echo "$1"; } # quick FULL QUICK: the default for the full set, or for QUICK=1
DURATION="${DURATION:-$(quick 20 4)}"
WARMUP="${WARMUP:-$(quick 15 1)}"
PAIRS="${PAIRS:-16}"
HANDSHAKE_RUNS="${HANDSHAKE_RUNS:-$(quick 3 1)}"
HAMMER_CONCURRENCY="${HAMMER_CONCURRENCY:-$(quick "16 32 64" 32)}"
HAMMER_DURATION="${HAMMER_DURATION:-$(quick 10 3)}"
DISCOVERY_OFFERS="${DISCOVERY_OFFERS:-$(quick "100 100000" "100 2000")}"
DISCOVERY_DURATION="${DISCOVERY_DURATION:-$(quick 10 3)}"
MEMORY_OFFERS="${MEMORY_OFFERS:-$(quick 100000 5000)}"
SETTLE="${SETTLE:-$(quick 10 3)}"
IDLE_WAIT="${IDLE_WAIT:-$(quick 200 0)}"
FILL_TIMEOUT="${FILL_TIMEOUT:-900}"
CLUSTER="${CLUSTER:-auto}"
LOAD_MAX="${LOAD_MAX:-1.0}"
LOAD_WAIT="${LOAD_WAIT:-$(quick 900 0)}"
PROFILE="${PROFILE:-auto}"
DOTNET="${DOTNET:-dotnet}"

export PATH="$PATH:$HOME/.dotnet/tools" # dotnet-gcdump / dotnet-trace, when installed as global tools
mkdir -p "$WORK"
chmod 755 "$WORK" # PostgreSQL of the cluster runs as another user and must reach CLUSTER_DIR below
RESULTS="$WORK/results.jsonl"
for file in "$RESULTS" "$WORK/commands.txt" "$WORK/loads.txt" "$WORK/meta.txt"; do : >"$file"; done

log() { echo "bench.sh: $*" >&2; }
die() { log "$*"; exit 1; }
meta() { echo "$1=$2" >>"$WORK/meta.txt"; }

GATEWAY_DIR="$ROOT/Rondevu.Gateway/bin/Release/net10.0"
BENCH_DLL="$ROOT/bench/Rondevu.Bench/bin/Release/net10.0/Rondevu.Bench.dll"

# ---- build -------------------------------------------------------------------------------------
if [[ "${NO_BUILD:-0}" != 1 ]]; then
  log "building Release"
  { "$DOTNET" build Rondevu.Gateway -c Release -nologo -v q && "$DOTNET" build bench/Rondevu.Bench -c Release -nologo -v q; } \
    >"$WORK/build.log" 2>&1 || { tail -n 30 "$WORK/build.log" >&2; die "build failed (log: $WORK/build.log)"; }
fi
[[ -f "$GATEWAY_DIR/Rondevu.Gateway.dll" && -f "$BENCH_DLL" ]] || die "not built; run without NO_BUILD=1"

# ---- helpers -----------------------------------------------------------------------------------
port_free() { ! ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

# Ports are drawn below the kernel's ephemeral range (ip_local_port_range), which outgoing connections
# use: a port that is free now but inside it can be taken by a client socket before the server binds it.
PORT_LO=20000
PORT_HI="$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
((PORT_HI > PORT_LO + 2000)) || { PORT_LO=10000; PORT_HI=20000; }

# free_port [N]: a free TCP port P on 127.0.0.1 such that P..P+N are all free too (random, so concurrent
# scripts rarely collide).
free_port() {
  local p i
  for _ in $(seq 1 200); do
    p=$((PORT_LO + RANDOM % (PORT_HI - PORT_LO - 10)))
    for ((i = 0; i <= ${1:-0}; i++)); do port_free $((p + i)) || continue 2; done
    echo "$p"; return
  done
  die "no free port found"
}

load1() { cut -d' ' -f1 /proc/loadavg; }

note_load() { echo "$1 $(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/loads.txt"; }

wait_for_quiet() { # until the 1-min load is at most LOAD_MAX, polling every 30 s for LOAD_WAIT s at most
  local start=$SECONDS
  until awk -v l="$(load1)" -v m="$LOAD_MAX" 'BEGIN { exit !(l <= m) }'; do
    if ((SECONDS - start >= LOAD_WAIT)); then
      log "1-min load still $(load1) after $((SECONDS - start))s; going on (noted in the report)"
      break
    fi
    log "1-min load $(load1) > $LOAD_MAX: waiting (${LOAD_WAIT}s at most)"
    sleep 30
  done
  meta load_waited_s "$((SECONDS - start))"
  meta load_at_start "$(cut -d' ' -f1-3 /proc/loadavg)"
}

SERVER_PID=""
SERVER_URL=""
AUTH_SECRET="${AUTH_SECRET:-$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')}"
export AUTH_SECRET
# The gateway's abuse limits count per client IP, and the load generator is one IP: off for benchmarks.
export RATE_LIMIT_REGISTER="${RATE_LIMIT_REGISTER:-0}" RATE_LIMIT_WRITES="${RATE_LIMIT_WRITES:-0}" RATE_LIMIT_PEER="${RATE_LIMIT_PEER:-0}"
SERVER_ENV=""

# Starts the single-process server (in-memory silo) from its output folder, so that its
# appsettings.json applies, as it would in a deployment.
start_server() {
  local name="$1" port silo gw
  port="$(free_port)"; silo="$(free_port)"; gw="$(free_port)"
  # Not in a session of its own: Linux's autogroup scheduler shares the CPU equally between sessions, which
  # capped the server at one core while the load generator spun on the other (half the throughput).
  (cd "$GATEWAY_DIR" && exec env PORT="$port" HOST=127.0.0.1 Orleans__SiloPort="$silo" Orleans__GatewayPort="$gw" $SERVER_ENV \
    "$DOTNET" Rondevu.Gateway.dll) </dev/null >"$WORK/$name.log" 2>&1 &
  SERVER_PID=$!
  SERVER_URL="http://127.0.0.1:$port"
  echo "(cd Rondevu.Gateway/bin/Release/net10.0 && PORT=$port HOST=127.0.0.1 Orleans__SiloPort=$silo Orleans__GatewayPort=$gw $SERVER_ENV" \
    "RATE_LIMIT_REGISTER=$RATE_LIMIT_REGISTER RATE_LIMIT_WRITES=$RATE_LIMIT_WRITES RATE_LIMIT_PEER=$RATE_LIMIT_PEER AUTH_SECRET=<64 hex> dotnet Rondevu.Gateway.dll)  # $name" >>"$WORK/commands.txt"
  for _ in $(seq 1 240); do
    if curl -fsS --max-time 2 "$SERVER_URL/health" >/dev/null 2>&1; then
      log "$name: server pid $SERVER_PID on $SERVER_URL"
      return
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 30 "$WORK/$name.log" >&2; die "server exited (log: $WORK/$name.log)"; }
    sleep 0.5
  done
  die "server not healthy after 120s (log: $WORK/$name.log)"
}

stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

CLUSTER_STARTED=0
export CLUSTER_DIR="$WORK/cluster"
cleanup() {
  stop_server
  if [[ $CLUSTER_STARTED == 1 ]]; then "$ROOT/scripts/cluster.sh" down >>"$WORK/cluster.log" 2>&1 || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# bench LABEL ARGS...: one run of the bench tool; its JSON line goes to results.jsonl.
bench() {
  local label="$1"; shift
  note_load "$label"
  echo "dotnet bench/Rondevu.Bench/bin/Release/net10.0/Rondevu.Bench.dll $* --label $label" >>"$WORK/commands.txt"
  log "run $label"
  "$DOTNET" "$BENCH_DLL" "$@" --label "$label" --json "$RESULTS" | tee -a "$WORK/bench-output.txt"
}

# ---- machine -----------------------------------------------------------------------------------
{
  echo "\$ nproc"; nproc
  echo "\$ free -h"; free -h
  echo "\$ grep -m1 'model name' /proc/cpuinfo"; grep -m1 'model name' /proc/cpuinfo || echo "(no model name)"
  echo "\$ uname -sr"; uname -sr
  echo "\$ dotnet --version"; "$DOTNET" --version
} >"$WORK/machine.txt" 2>&1
meta date "$(date -u +%FT%TZ)"
meta commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
meta quick "$QUICK"
meta pairs "$PAIRS"
meta duration "$DURATION"

wait_for_quiet

# ---- single process ----------------------------------------------------------------------------
start_server server
for c in $HAMMER_CONCURRENCY; do
  bench "ceiling-c$c" hammer --route /health --concurrency "$c" --duration "$HAMMER_DURATION" --warmup 2 --url "$SERVER_URL" --pid "$SERVER_PID"
done
# Repeated: consecutive runs of the same build differ by up to ±15% on this shared 2-core machine; the report takes the median.
for i in $(seq 1 "$HANDSHAKE_RUNS"); do
  bench "handshake-run$i" handshake --pairs "$PAIRS" --duration "$DURATION" --warmup "$WARMUP" --url "$SERVER_URL" --pid "$SERVER_PID"
done
bench handshake-push handshake --push --pairs "$PAIRS" --duration "$DURATION" --warmup "$WARMUP" --url "$SERVER_URL" --pid "$SERVER_PID"
for k in $DISCOVERY_OFFERS; do
  bench "discovery-$k" discovery --offers "$k" --duration "$DISCOVERY_DURATION" --batch 100 --fill-timeout "$FILL_TIMEOUT" \
    --url "$SERVER_URL" --pid "$SERVER_PID"
done
stop_server

# Memory on a fresh server, so that earlier runs' garbage and offers don't blur the difference.
# Heap figures come from dotnet-gcdump, which forces a full GC: RSS can't show what an idle server no longer holds.
gcdump() { # PID NAME -> the total GC heap bytes after a forced full GC; the types report in WORK/NAME.types.txt
  timeout 300 dotnet-gcdump collect -p "$1" -o "$WORK/$2.gcdump" >"$WORK/gcdump.log" 2>&1 &&
    timeout 300 dotnet-gcdump report "$WORK/$2.gcdump" >"$WORK/$2.types.txt" 2>/dev/null &&
    awk '/GC Heap bytes/ { gsub(",", "", $1); print $1; exit }' "$WORK/$2.types.txt"
}
for k in $MEMORY_OFFERS; do
  start_server "server-memory-$k"
  before_hook=()
  if command -v dotnet-gcdump >/dev/null 2>&1; then
    # After the run's warm-up, so that JIT, pools and first activations are in the baseline.
    printf 'set -u\n%s\nWORK=%q\necho "heap_before_bytes_%s=$(gcdump %s memory-%s-before || echo error)" >>"$WORK/meta.txt"\n' \
      "$(declare -f gcdump)" "$WORK" "$k" "$SERVER_PID" "$k" >"$WORK/heap-before-$k.sh"
    before_hook=(--before-command "bash '$WORK/heap-before-$k.sh'")
  fi
  bench "memory-$k" memory --offers "$k" --settle "$SETTLE" --batch 100 --fill-timeout "$FILL_TIMEOUT" --url "$SERVER_URL" --pid "$SERVER_PID" \
    "${before_hook[@]}"
  # What the live objects are: a heap dump (it forces a full GC first), types by total size.
  if command -v dotnet-gcdump >/dev/null 2>&1; then
    echo "dotnet-gcdump collect -p <server pid>; dotnet-gcdump report   # after memory-$k" >>"$WORK/commands.txt"
    if heap="$(gcdump "$SERVER_PID" "memory-$k")"; then
      meta "rss_after_gcdump_kb_$k" "$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")"
      meta "heap_after_bytes_$k" "$heap"
      {
        echo "# live managed heap after memory-$k (dotnet-gcdump; it forces a full GC): $(sed -n 1p "$WORK/memory-$k.types.txt" | tr -s ' ')"
        echo "# types by total bytes = average object size × count (the dump is lossy on large heaps, so totals are a lower bound)"
        printf '%14s %10s  %s\n' "total bytes" "count" "type"
        awk 'NR > 4 { b = $1; c = $2; gsub(",", "", b); gsub(",", "", c); if (b + 0 > 0 && c + 0 > 0) { $1 = ""; $2 = ""; sub(/^ +/, ""); printf "%14d %10d  %s\n", b * c, c, substr($0, 1, 140) } }' \
          "$WORK/memory-$k.types.txt" | sort -n -r | head -n 40 || true
      } >"$WORK/profile-4-memory-$k-types.txt"
    fi
    # Offers nobody touches: their grains are collected after two idle minutes (OfferGrain's CollectionAgeLimit)
    # and the collector runs once a minute, so by IDLE_WAIT only their stored state and index entries remain.
    if [[ "$IDLE_WAIT" -gt 0 ]]; then
      echo "sleep $IDLE_WAIT; dotnet-gcdump collect -p <server pid>   # idle offers collected, after memory-$k" >>"$WORK/commands.txt"
      sleep "$IDLE_WAIT"
      meta "heap_idle_bytes_$k" "$(gcdump "$SERVER_PID" "memory-$k-idle" || echo error)"
      meta "idle_wait_s" "$IDLE_WAIT"
    fi
  fi
  stop_server
done

# ---- profile (only when a single-process target is missed) ----------------------------------------
# The report mode prints the missed single-process targets, one per line.
missed="$("$DOTNET" "$BENCH_DLL" report --results "$WORK" --check 2>/dev/null | paste -sd';' - || true)"
meta missed_single "$missed"
if [[ -n "$missed" && "$PROFILE" != 0 ]]; then
  log "targets missed ($missed): profiling the server during a handshake run"
  # perf resolves JIT-compiled frames through /tmp/perf-PID.map; W^X double mapping would hide them.
  SERVER_ENV="DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0"
  start_server server-profile
  SERVER_ENV=""
  prof_s=$((DURATION < 30 ? DURATION : 30))
  bench profile-load handshake --pairs "$PAIRS" --duration $((prof_s + 10)) --warmup "$WARMUP" --url "$SERVER_URL" --pid "$SERVER_PID" >"$WORK/profile-load.txt" 2>&1 &
  load_pid=$!
  sleep $((WARMUP + 5))
  if command -v perf >/dev/null 2>&1 && perf record -F 99 -g -o "$WORK/perf-probe.data" -- true >/dev/null 2>&1; then
    echo "perf record -F 499 -g -p <server pid> -- sleep $prof_s   # during the handshake load above" >>"$WORK/commands.txt"
    perf record -F 499 -g -p "$SERVER_PID" -o "$WORK/perf.data" -- sleep "$prof_s" >"$WORK/perf-record.log" 2>&1 || true
    wait "$load_pid" || true
    perf_top() { # FILE LINES EXCLUDE TITLE [perf report options]: the report less comments, padding and lines matching EXCLUDE
      local file="$1" lines="$2" exclude="$3"; echo "# $4" >"$WORK/$file"; shift 4
      perf report -i "$WORK/perf.data" --stdio -g none "$@" 2>/dev/null | grep -v -e '^#' -e '^$' |
        sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//; s/[[:space:]]+$//' | grep -v -E "$exclude" | cut -c1-220 | head -n "$lines" >>"$WORK/$file" || true
    }
    perf_top profile-1-dso.txt 12 '^$' "where the server's CPU goes, by binary (perf report --sort dso)" --no-children --sort dso
    perf_top profile-2-self.txt 40 '^$' "hottest functions, self time (perf report --no-children --sort dso,symbol)" --no-children --sort dso,symbol
    # Thread-pool and async plumbing is at the top of every inclusive profile and tells nothing.
    perf_top profile-3-inclusive.txt 45 \
      '\] 0x[0-9a-f]+$|ThreadPoolWorkQueue|ExecutionContext|AsyncMethodBuilderCore|AsyncStateMachineBox|ExecuteWithThreadLocal|TaskSchedulerAwaitTaskContinuation|WorkItemGroup::Execute|start_thread|PortableThreadPool|::Start\(|RunContinuations|RunTaskFromWorkItemGroup' \
      "frames with the most CPU below them, inclusive (perf report --children; thread-pool and async plumbing left out)" --children --sort symbol --percent-limit 1
  elif command -v dotnet-trace >/dev/null 2>&1; then
    echo "dotnet-trace collect -p <server pid> --profile dotnet-sampled-thread-time --duration 00:00:00:$prof_s" >>"$WORK/commands.txt"
    dotnet-trace collect -p "$SERVER_PID" --profile dotnet-sampled-thread-time --duration "00:00:00:$prof_s" \
      -o "$WORK/handshake.nettrace" >"$WORK/trace-collect.log" 2>&1 || true
    wait "$load_pid" || true
    dotnet-trace report "$WORK/handshake.nettrace" topN -n 40 >"$WORK/profile-2-self.txt" 2>&1 || true
    dotnet-trace report "$WORK/handshake.nettrace" topN -n 40 --inclusive >"$WORK/profile-3-inclusive.txt" 2>&1 || true
  else
    wait "$load_pid" || true
    meta profile "neither perf nor dotnet-trace is available"
  fi
  stop_server
  # The same handshake run with logging at Warning: what per-request logging costs.
  SERVER_ENV="Logging__LogLevel__Default=Warning"
  start_server server-quiet-logs
  SERVER_ENV=""
  bench handshake-quiet-logs handshake --pairs "$PAIRS" --duration "$DURATION" --warmup "$WARMUP" --url "$SERVER_URL" --pid "$SERVER_PID"
  stop_server
fi

# ---- cluster ------------------------------------------------------------------------------------
psql_tables() { psql -h 127.0.0.1 -p "$1" -U postgres -d rondevu -tAc "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables ORDER BY relname"; }
psql_stats() {
  psql -h 127.0.0.1 -p "$1" -U postgres -d rondevu -tAc \
    "SELECT sum(xact_commit), sum(tup_inserted+tup_updated+tup_deleted) FROM pg_stat_database WHERE datname='rondevu'"
}

if [[ "$CLUSTER" != 0 && -x "$ROOT/scripts/cluster.sh" ]]; then
  note_load cluster-up
  gw1="$(free_port)"; gw2="$(free_port)"
  while [[ "$gw2" == "$gw1" ]]; do gw2="$(free_port)"; done
  export GATEWAY_PORTS="$gw1,$gw2"
  PG_PORT="$(free_port)"
  # Silo N uses BASE+N of each range: one free block of 9 ports after BASE, split in three.
  base="$(free_port 9)"
  SILO_PORT_BASE="$base" SILO_GATEWAY_PORT_BASE=$((base + 3)) SILO_HTTP_PORT_BASE=$((base + 6)) SILOS=3
  export PG_PORT SILO_PORT_BASE SILO_GATEWAY_PORT_BASE SILO_HTTP_PORT_BASE SILOS
  echo "CLUSTER_DIR=$CLUSTER_DIR GATEWAY_PORTS=$GATEWAY_PORTS PG_PORT=$PG_PORT OWN_SESSIONS=0 scripts/cluster.sh up" >>"$WORK/commands.txt"
  log "starting the cluster (3 silos, 2 gateways, PostgreSQL on $PG_PORT)"
  CLUSTER_STARTED=1
  if OWN_SESSIONS=0 "$ROOT/scripts/cluster.sh" up >"$WORK/cluster-up.txt" 2>"$WORK/cluster.log"; then
    urls="$(grep '^http' "$WORK/cluster-up.txt" | paste -sd, -)"
    pids="$(cat "$CLUSTER_DIR"/gateway-*.pid "$CLUSTER_DIR"/silo-*.pid 2>/dev/null | paste -sd, -)"
    pg_port="$(sed -n 's/.*Port=\([0-9]*\).*/\1/p' "$CLUSTER_DIR/connection_string" 2>/dev/null || true)"
    pg_port="${pg_port:-$PG_PORT}"
    meta cluster "up"
    meta cluster_urls "$urls"
    # Idle baseline: what the cluster writes on its own (membership heartbeats, reminders) in as long as a run.
    idle_s=$(((WARMUP > 10 ? WARMUP : 10) + DURATION))
    sleep 5
    meta pg_idle_before "$(psql_stats "$pg_port" || echo error)"
    sleep "$idle_s"
    meta pg_idle_after "$(psql_stats "$pg_port" || echo error)"
    meta pg_idle_seconds "$idle_s"
    # Statistics reach pg_stat_database when a backend flushes them (at most ~10 s after it goes idle).
    sleep 12
    meta pg_before "$(psql_stats "$pg_port" || echo error)"
    psql_tables "$pg_port" >"$WORK/pg-tables-before.txt" 2>/dev/null || true
    # A fresh cluster activates every grain type for the first time: a longer warm-up.
    bench cluster-handshake handshake --pairs "$PAIRS" --duration "$DURATION" --warmup $((WARMUP > 10 ? WARMUP : 10)) --url "$urls" --pid "$pids" ||
      meta cluster "run failed"
    sleep 12
    meta pg_after "$(psql_stats "$pg_port" || echo error)"
    psql_tables "$pg_port" >"$WORK/pg-tables-after.txt" 2>/dev/null || true
    # table|inserted|updated|deleted during the run
    awk -F'|' 'NR == FNR { i[$1] = $2; u[$1] = $3; d[$1] = $4; next } { printf "%s|%d|%d|%d\n", $1, $2 - i[$1], $3 - u[$1], $4 - d[$1] }' \
      "$WORK/pg-tables-before.txt" "$WORK/pg-tables-after.txt" >"$WORK/pg-tables.txt" 2>/dev/null || true
    meta pg_settle_s 12
  else
    meta cluster "unavailable: scripts/cluster.sh up failed: $(tail -n 3 "$WORK/cluster.log" | tr '\n' ' ')"
  fi
  "$ROOT/scripts/cluster.sh" down >>"$WORK/cluster.log" 2>&1 || true
  CLUSTER_STARTED=0
elif [[ "$CLUSTER" == 0 ]]; then
  meta cluster "skipped (CLUSTER=0)"
else
  meta cluster "unavailable: scripts/cluster.sh not found"
fi

# ---- report -------------------------------------------------------------------------------------
meta load_at_end "$(cut -d' ' -f1-3 /proc/loadavg)"
"$DOTNET" "$BENCH_DLL" report --results "$WORK" --out "$OUT"
log "wrote $OUT (raw results in $WORK)"
