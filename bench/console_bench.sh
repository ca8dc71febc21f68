#!/usr/bin/env bash
# Console and status page under load (issue 10): one command, loopback only, every loop bounded.
#   bench/console_bench.sh                      # idle 20 s, 60 s under load, idle 20 s, control 60 s (~3 min)
#   BENCH_SECONDS=20 bench/console_bench.sh     # shorter load (a trial: NOT valid, the rule is >= 60 s)
#   BENCH_BIN_DIR=build-lead …                  # use these binaries instead of building build-bench
#   BENCH_CONTROL=0 BENCH_KEEP_DATA=1 …         # no control run; keep the load phase's database
# Builds and configures like bench/run.sh (Release in build-bench/, the demo configs on private ports,
# a private data dir), then:
#   1. idle:  bench/console_probe.py for BENCH_IDLE_SECONDS (20) with nothing else running: GET /status,
#             /status.json, /status/banner.js, /status/feed.atom, /console/api/board (viewer's cookie),
#             each BENCH_PROBE_RATE (20) per second, open loop, keep-alive connections; plus /status on
#             a new connection each time; and the live stream GET /console/api/events held open.
#   2. load:  the same probes while wrk runs run.sh's accept phase (POST /v1/messages, 64 connections,
#             bench/post_message.lua, BENCH_SECONDS), starting 2 s after wrk and ending 2 s before it.
#   3. after: idle again for BENCH_IDLE_SECONDS, same stack, its database now holding the load's messages.
#   4. control: the same wrk run alone on a fresh stack (the accept rate without the probes;
#             BENCH_CONTROL=0 skips it).
# Layout as run.sh: wrk, the probe and the samplers on core 0; jarip and jarip-sim on core 1.
# Results: bench/results/<stamp>-console/ (results.json, summary.md; raw probe samples in *.probe.json).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_LOAD=${BENCH_SECONDS:-60}
SECONDS_IDLE=${BENCH_IDLE_SECONDS:-20}
RATE=${BENCH_PROBE_RATE:-20}
CONNS=${BENCH_CONNECTIONS:-64}
LOAD_CPU=${BENCH_LOAD_CPU:-0}
SERVER_CPU=${BENCH_SERVER_CPU:-1}
JPORT=${BENCH_JARIP_PORT:-18180}    # not run.sh's 18080, so the two can run side by side
SPORT=${BENCH_SIM_PORT:-19200}      # admin; providers on +1, +2, +3
BUILD=$ROOT/build-bench
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/results/$STAMP-console
mkdir -p "$OUT"
log() { echo "[console-bench $(date +%H:%M:%S)] $*" | tee -a "$OUT/run.log" >&2; }
((SECONDS_LOAD >= 8)) || { echo "BENCH_SECONDS must be >= 8" >&2; exit 2; }
((SECONDS_LOAD <= 600 && SECONDS_IDLE <= 600)) || { echo "at most 600 s per phase" >&2; exit 2; }
VALID=true; ((SECONDS_LOAD >= 60)) || VALID=false

# ---- tools and build (as run.sh) ----------------------------------------------------------------
need=()
for t in wrk python3 curl taskset; do command -v $t >/dev/null || need+=($t); done
if ((${#need[@]})); then log "installing ${need[*]}"; apt-get install -y "${need[@]}" >"$OUT/apt.log" 2>&1; fi
if [[ -z ${BENCH_BIN_DIR:-} ]]; then
  log "building Release into $BUILD"
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DJARIP_TESTS=OFF >"$OUT/cmake.log" 2>&1
  cmake --build "$BUILD" -j2 --target jarip jarip-sim >"$OUT/build.log" 2>&1
fi
BIN=${BENCH_BIN_DIR:-$BUILD}
[[ $BIN == /* ]] || BIN=$ROOT/$BIN
JARIP=$BIN/jarip
SIM=$BIN/jarip-sim

# ---- configuration: the demo configs on private ports and a private data dir (as run.sh) ----------
source bench/demo_configs.sh

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
trap cleanup EXIT INT TERM

metric() {  # metric NAME: sum of a jarip /metrics family
  curl -fs --max-time 2 "http://127.0.0.1:$JPORT/metrics" | awk -v n="$1" '$1==n || index($1, n"{")==1 {s+=$2} END {printf "%.0f\n", s}'
}
cpu_ticks() {  # cpu_ticks PID: utime+stime in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}
core_busy() {  # core_busy: "cpuN busy total" for every core, from /proc/stat
  awk '/^cpu[0-9]/ {t=0; for (i=2;i<=NF;i++) t+=$i; print $1, t-$5-$6, t}' /proc/stat
}
snapshot() {  # snapshot TAG: CPU of jarip, the sim and each core, for the phase accounting
  echo "$1 $(date +%s.%N) jarip=$(cpu_ticks "$JARIP_PID") sim=$(cpu_ticks "$SIM_PID") $(core_busy | tr '\n' ' ')" >>"$OUT/cpu.txt"
}
others() {  # the busiest processes on the machine right now (what else was running)
  echo "== $1 $(date -u +%H:%M:%S) loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
  ps -eo pcpu,psr,etime,comm --sort=-pcpu | head -n 12
}

# ---- machine ------------------------------------------------------------------------------------
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "command: ${BENCH_BIN_DIR:+BENCH_BIN_DIR=$BENCH_BIN_DIR }BENCH_SECONDS=$SECONDS_LOAD bench/console_bench.sh"
  echo "valid: $VALID (load phase $SECONDS_LOAD s; the rule is >= 60 s)"
  echo "binaries: $JARIP ($(stat -c %y "$JARIP" | cut -d. -f1)), build type $(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BIN/CMakeCache.txt" 2>/dev/null || echo unknown)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null) ($(git status --porcelain | wc -l) uncommitted changes)"
  echo "nproc: $(nproc)"
  lscpu | grep -E "^(Model name|CPU\(s\)|Thread|Core|Socket)"
  echo "memory: $(free -m | awk '/Mem:/ {print $2" MB"}')"
  echo "kernel: $(uname -r)"
  echo "loadavg at start: $(cat /proc/loadavg)"
  echo "layout: wrk, probe, samplers on core $LOAD_CPU; jarip and jarip-sim on core $SERVER_CPU"
  echo "probe: $RATE req/s per URL, open loop, keep-alive; idle ${SECONDS_IDLE}s, under load $((SECONDS_LOAD - 4))s"
} >"$OUT/machine.txt"
others start >"$OUT/others.txt"
log "machine: $(grep 'Model name' "$OUT/machine.txt" | sed 's/  */ /g'); $(grep loadavg "$OUT/machine.txt")"

# ---- stack: API key, viewer operator, sim then jarip on SERVER_CPU, sign in -----------------------
start_stack() {  # start_stack TAG: fresh data dir; sets KEY, COOKIE, JARIP_PID, SIM_PID
  local tag=$1
  cleanup
  rm -rf "$DATA"; mkdir -p "$DATA"
  KEY=$("$JARIP" keys create --name bench --config "$OUT/jarip.toml" 2>>"$OUT/$tag.jarip.log" | tail -n 1)
  OP_EMAIL=viewer@bench.test
  OP_PASSWORD="console-bench-$(date +%s)-password"
  echo "$OP_PASSWORD" | "$JARIP" operators create --email "$OP_EMAIL" --role viewer --name "Bench Viewer" \
    --config "$OUT/jarip.toml" >>"$OUT/$tag.jarip.log" 2>&1
  taskset -c "$SERVER_CPU" "$SIM" --config "$OUT/sim.json" --seed 1 >"$OUT/$tag.sim.log" 2>&1 &
  SIM_PID=$!; PIDS+=($SIM_PID)
  taskset -c "$SERVER_CPU" "$JARIP" serve --config "$OUT/jarip.toml" >>"$OUT/$tag.jarip.log" 2>&1 &
  JARIP_PID=$!; PIDS+=($JARIP_PID)
  local ready=0
  for _ in $(seq 1 100); do
    if curl -fs "http://127.0.0.1:$JPORT/readyz" >/dev/null 2>&1 && curl -fs "http://127.0.0.1:$SPORT/_sim/health" >/dev/null 2>&1; then
      ready=1; break
    fi
    sleep 0.1
  done
  ((ready)) || { log "stack '$tag' did not become ready (see $tag.jarip.log)"; exit 1; }
  # The status page answers 503 until its first snapshot: wait for it (at most 30 s).
  for _ in $(seq 1 300); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$JPORT/status.json") == 200 ]] && break
    sleep 0.1
  done
  COOKIE=$(curl -s --max-time 10 -D - -o "$OUT/$tag.login.json" -H 'Content-Type: application/json' \
    --data "{\"email\":\"$OP_EMAIL\",\"password\":\"$OP_PASSWORD\"}" "http://127.0.0.1:$JPORT/console/api/login" |
    tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(jarip_console=[^;]*\).*/\1/p' | head -n 1)
  [[ -n $COOKIE ]] || { log "login failed: $(cat "$OUT/$tag.login.json")"; exit 1; }
  [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "http://127.0.0.1:$JPORT/console/api/board") == 200 ]] ||
    { log "GET /console/api/board with the cookie did not answer 200"; exit 1; }
  log "stack '$tag' ready (jarip $JARIP_PID, sim $SIM_PID), signed in as $OP_EMAIL"
}
run_wrk() {  # run_wrk TAG: run.sh's accept phase (same wrk, connections, Lua, duration), in the background
  BENCH_OUT="$OUT/$1.wrk.json" BENCH_API_KEY=$KEY BENCH_BATCH=0 \
    taskset -c "$LOAD_CPU" wrk -t2 -c"$CONNS" -d"${SECONDS_LOAD}s" --timeout 10s --latency \
    -s bench/post_message.lua "http://127.0.0.1:$JPORT" >"$OUT/$1.wrk.txt" 2>&1 &
  WRK=$!
}
start_stack main

probe() {  # probe PHASE SECONDS
  taskset -c "$LOAD_CPU" python3 bench/console_probe.py --base "http://127.0.0.1:$JPORT" --cookie "$COOKIE" \
    --seconds "$2" --rate "$RATE" --sse --phase "$1" --out "$OUT/$1.probe.json"
}

# ---- 1. idle baseline ---------------------------------------------------------------------------
sleep 2
snapshot idle_start
log "idle: probing ${SECONDS_IDLE}s"
probe idle "$SECONDS_IDLE" | tee "$OUT/idle.probe.txt"
snapshot idle_end

# ---- 2. under the accept load (run.sh's accept phase: same wrk, connections, Lua, duration) ------
a0=$(metric jarip_messages_accepted_total); c0=$(metric jarip_store_commits)
snapshot load_start
log "load: wrk -c$CONNS ${SECONDS_LOAD}s POST /v1/messages (bench/post_message.lua), probing from +2 s for $((SECONDS_LOAD - 4))s"
run_wrk load
(
  # accepted messages about once a second while wrk runs (bounded by count too); the time is taken
  # after the answer, which is closer to when the count was read
  for _ in $(seq 1 $((SECONDS_LOAD + 5))); do
    kill -0 $WRK 2>/dev/null || break
    v=$(metric jarip_messages_accepted_total || echo NA)
    echo "$(date +%s.%N) $v"
    sleep 1
  done
) >"$OUT/load.accept_samples.txt" &
SAMPLER=$!
sleep 2
snapshot probe_start
probe load $((SECONDS_LOAD - 4)) | tee "$OUT/load.probe.txt"
snapshot probe_end
others "under load (just after the probe)" >>"$OUT/others.txt"
wait $WRK || log "wrk exited non-zero (see load.wrk.txt)"
snapshot load_end
a1=$(metric jarip_messages_accepted_total); c1=$(metric jarip_store_commits)
wait $SAMPLER || true
echo "{\"accepted\":$((a1 - a0)),\"commits\":$((c1 - c0))}" >"$OUT/load.store.json"
curl -fs "http://127.0.0.1:$JPORT/metrics" >"$OUT/load.metrics.txt" || true
grep -E "VmRSS|VmHWM" /proc/$JARIP_PID/status >"$OUT/load.rss.txt" || true

# ---- 3. idle again, after the load: the same stack, its tables now full ----------------------------
# Tells the cost of the data (what the server scans) from the cost of the load itself.
sleep 5
snapshot after_start
log "after: probing ${SECONDS_IDLE}s, idle, $((a1 - a0)) messages more in the database"
probe after "$SECONDS_IDLE" | tee "$OUT/after.probe.txt"
snapshot after_end

# ---- 4. control: the same accept load without the probes, on a fresh stack (BENCH_CONTROL=0: skip) --
if [[ ${BENCH_CONTROL:-1} == 1 ]]; then
  start_stack control
  log "control: wrk -c$CONNS ${SECONDS_LOAD}s without the probes"
  run_wrk control
  wait $WRK || log "control wrk exited non-zero (see control.wrk.txt)"
fi
echo "loadavg at end: $(cat /proc/loadavg)" >>"$OUT/machine.txt"
others end >>"$OUT/others.txt"
cleanup
du -sh "$DATA" >"$OUT/data_size.txt" 2>/dev/null || true
# The database (hundreds of MB) is removed unless BENCH_KEEP_DATA=1 (with BENCH_CONTROL=0 it is the
# load phase's: e.g. to time the board's queries on it afterwards).
[[ ${BENCH_KEEP_DATA:-0} == 1 ]] || rm -rf "$DATA"

python3 bench/console_summarize.py "$OUT" | tee "$OUT/summary.md"
log "results in $OUT"
