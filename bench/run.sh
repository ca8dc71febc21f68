#!/usr/bin/env bash
# jarip benchmark suite: one command, loopback only, every loop bounded in time and count.
#   bench/run.sh                      # full run (about 12 minutes), results in bench/results/<stamp>/
#   BENCH_SECONDS=20 bench/run.sh     # shorter load phases (NOT valid figures: the rule is >= 60 s)
#   BENCH_ONLY="accept batch" …       # subset: machine ceilings accept fsync batch e2e failover rss email
# Layout: load generator (wrk, failover.py) on core 0; jarip and jarip-sim (and the ceilings) on core 1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_LOAD=${BENCH_SECONDS:-60}
SECONDS_SHORT=${BENCH_SHORT_SECONDS:-15}
CONNS=${BENCH_CONNECTIONS:-64}
BATCH_CONNS=${BENCH_BATCH_CONNECTIONS:-16}
ONLY=${BENCH_ONLY:-"machine ceilings rss accept fsync batch failover tuned email"}
LOAD_CPU=${BENCH_LOAD_CPU:-0}
SERVER_CPU=${BENCH_SERVER_CPU:-1}
JPORT=${BENCH_JARIP_PORT:-18080}
SPORT=${BENCH_SIM_PORT:-19100}      # admin; providers on +1, +2, +3
BPORT=${BENCH_BEAST_PORT:-18090}
BUILD=$ROOT/build-bench
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/results/$STAMP
mkdir -p "$OUT"
ln -sfn "$STAMP" "$ROOT/bench/results/latest"
want() { [[ " $ONLY " == *" $1 "* ]]; }
log() { echo "[bench $(date +%H:%M:%S)] $*" | tee -a "$OUT/run.log" >&2; }

# ---- tools and build ----------------------------------------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v strace >/dev/null || need+=(strace)
command -v python3 >/dev/null || need+=(python3)
command -v curl >/dev/null || need+=(curl)
if ((${#need[@]})); then log "installing ${need[*]}"; apt-get install -y "${need[@]}" >"$OUT/apt.log" 2>&1; fi

if [[ -z ${BENCH_BIN_DIR:-} ]]; then
  log "building Release into $BUILD"
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DJARIP_TESTS=OFF >"$OUT/cmake.log" 2>&1
  cmake --build "$BUILD" -j2 --target jarip jarip-sim jarip_asio >"$OUT/build.log" 2>&1
fi
mkdir -p "$BUILD/bench"
ASIO_DEFS="-DBOOST_ASIO_SEPARATE_COMPILATION -DBOOST_BEAST_SEPARATE_COMPILATION -DBOOST_ASIO_NO_DEPRECATED -DBOOST_ASIO_DISABLE_CONCEPTS"
if [[ ! -x $BUILD/bench/ceiling_beast || bench/ceiling_beast.cpp -nt $BUILD/bench/ceiling_beast ]]; then
  g++ -std=c++20 -O2 -DNDEBUG $ASIO_DEFS -o "$BUILD/bench/ceiling_beast" bench/ceiling_beast.cpp \
    "$BUILD/libjarip_asio.a" -lssl -lcrypto -lpthread
fi
if [[ ! -x $BUILD/bench/ceiling_sqlite || bench/ceiling_sqlite.cpp -nt $BUILD/bench/ceiling_sqlite ]]; then
  g++ -std=c++20 -O2 -DNDEBUG -o "$BUILD/bench/ceiling_sqlite" bench/ceiling_sqlite.cpp -lsqlite3
fi
JARIP=${BENCH_BIN_DIR:-$BUILD}/jarip   # BENCH_BIN_DIR: test the scripts with other binaries
SIM=${BENCH_BIN_DIR:-$BUILD}/jarip-sim

# ---- configuration: the demo configs on private ports and a private data dir ----------------------
source bench/demo_configs.sh

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
trap cleanup EXIT INT TERM

metric() {  # metric NAME: sum of a jarip /metrics family
  curl -fs "http://127.0.0.1:$JPORT/metrics" | awk -v n="$1" '$1==n || index($1, n"{")==1 {s+=$2} END {printf "%.0f\n", s}'
}
# Messages the providers accepted so far: the first (top-level) "accepted" of /_sim/stats. No
# Python here: it is sampled once a second and must stay cheap on a busy 2-core machine.
sim_accepted() { curl -fs --max-time 2 "http://127.0.0.1:$SPORT/_sim/stats" | grep -o '"accepted":[0-9]*' | head -n 1 | cut -d: -f2; }

start_stack() {  # fresh data dir, API key, sim then jarip on SERVER_CPU
  local tag=$1
  cleanup
  rm -rf "$DATA"; mkdir -p "$DATA"
  KEY=$("$JARIP" keys create --name bench --config "$OUT/jarip.toml" 2>>"$OUT/$tag.jarip.log" | tail -n 1)
  taskset -c "$SERVER_CPU" "$SIM" --config "$OUT/sim.json" --seed 1 >"$OUT/$tag.sim.log" 2>&1 &
  SIM_PID=$!; PIDS+=($SIM_PID)
  env ${SERVER_ENV:-} taskset -c "$SERVER_CPU" "$JARIP" serve --config "$OUT/jarip.toml" >>"$OUT/$tag.jarip.log" 2>&1 &
  JARIP_PID=$!; PIDS+=($JARIP_PID)
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$JPORT/readyz" >/dev/null 2>&1 && curl -fs "http://127.0.0.1:$SPORT/_sim/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "stack '$tag' did not become ready (see $tag.jarip.log)"; return 1
}

run_wrk() {  # run_wrk TAG URL CONNS SECONDS [BATCH]
  local tag=$1 url=$2 conns=$3 secs=$4 batch=${5:-0}
  BENCH_OUT="$OUT/$tag.wrk.json" BENCH_API_KEY=${KEY:-none} BENCH_BATCH=$batch \
    taskset -c "$LOAD_CPU" wrk -t2 -c"$conns" -d"${secs}s" --timeout 10s --latency \
    -s bench/post_message.lua "$url" >"$OUT/$tag.wrk.txt" 2>&1
}

sample_sim() {  # sample_sim FILE SECONDS: one line per second "epoch_s accepted_at_providers", bounded
  local file=$1 n=$2
  for _ in $(seq 1 "$n"); do
    echo "$(date +%s.%N) $(sim_accepted || echo NA)" >>"$file"
    sleep 1
  done
}

# ---- machine ------------------------------------------------------------------------------------
if want machine; then
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "command: ${BENCH_BIN_DIR:+BENCH_BIN_DIR=$BENCH_BIN_DIR }BENCH_SECONDS=$SECONDS_LOAD BENCH_ONLY=\"$ONLY\" bench/run.sh"
    echo "binaries: $JARIP ($(stat -c %y "$JARIP" | cut -d. -f1))"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null) ($(git status --porcelain | wc -l) uncommitted changes)"
    lscpu | grep -E "^(Model name|CPU\(s\)|Thread|Core|Socket)"
    echo "memory: $(free -m | awk '/Mem:/ {print $2" MB"}')"
    echo "kernel: $(uname -r)"
    echo "disk: $(findmnt -n -o SOURCE,FSTYPE -T "$OUT")"
    echo "sqlite: $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || true) (lib $(python3 -c 'import sqlite3; print(sqlite3.sqlite_version)'))"
    echo "loadavg at start: $(cat /proc/loadavg)"
    dd if=/dev/zero of="$OUT/dd.tmp" bs=4k count=2000 oflag=dsync conv=notrunc 2>&1 | tail -1 | sed 's/^/dsync 4k x2000: /'
    rm -f "$OUT/dd.tmp"
  } >"$OUT/machine.txt"
  log "machine: $(grep 'Model name' "$OUT/machine.txt" | sed 's/  */ /g'); $(grep loadavg "$OUT/machine.txt")"
fi

# ---- idle RSS -----------------------------------------------------------------------------------
if want rss; then
  start_stack rss
  sleep 5
  grep -E "VmRSS|VmHWM" /proc/$JARIP_PID/status >"$OUT/rss.txt"
  log "idle jarip: $(tr '\n' ' ' <"$OUT/rss.txt")"
fi

# ---- ceiling: bare Beast ------------------------------------------------------------------------
if want ceilings; then
  cleanup
  taskset -c "$SERVER_CPU" "$BUILD/bench/ceiling_beast" "$BPORT" 1 & PIDS+=($!)
  sleep 0.5
  log "ceiling_beast: wrk -c$CONNS ${SECONDS_LOAD}s, same 300-byte POST bodies"
  KEY=none run_wrk ceiling_beast "http://127.0.0.1:$BPORT" "$CONNS" "$SECONDS_LOAD"
  cleanup
fi

# ---- durable accept, single messages, delivery running (also the end-to-end measurement) ---------
if want accept; then
  start_stack accept
  c0=$(metric jarip_store_commits); a0=$(metric jarip_messages_accepted_total)
  sample_sim "$OUT/accept.sim_samples.txt" $((SECONDS_LOAD + 2)) &
  SAMPLER=$!
  log "accept: POST /v1/messages, wrk -c$CONNS ${SECONDS_LOAD}s"
  run_wrk accept "http://127.0.0.1:$JPORT" "$CONNS" "$SECONDS_LOAD"
  t_end=$(date +%s.%N)
  c1=$(metric jarip_store_commits); a1=$(metric jarip_messages_accepted_total)
  wait $SAMPLER || true
  echo "{\"commits\":$((c1 - c0)),\"accepted\":$((a1 - a0))}" >"$OUT/accept.store.json"
  # Drain: wait (at most 180 s) until the providers have received every accepted message.
  log "accept: draining delivery (<= 180 s)"
  for i in $(seq 1 180); do
    got=$(sim_accepted || echo 0); echo "$(date +%s.%N) $got" >>"$OUT/accept.drain_samples.txt"
    ((got >= a1)) && break
    sleep 1
  done
  curl -fs "http://127.0.0.1:$SPORT/_sim/received?summary=1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({k:d[k] for k in ("total","distinct","ids_with_duplicates")}))' >"$OUT/accept.sim_summary.json"
  curl -fs "http://127.0.0.1:$SPORT/_sim/stats" >"$OUT/accept.sim_stats.json"
  curl -fs "http://127.0.0.1:$JPORT/metrics" >"$OUT/accept.metrics.txt"
  grep -E "VmRSS|VmHWM" /proc/$JARIP_PID/status >"$OUT/accept.rss.txt"
fi

# ---- fsync count against group commits (shorter run under strace) --------------------------------
if want fsync; then
  start_stack fsync
  timeout $((SECONDS_SHORT + 30)) strace -f -c -e trace=fsync,fdatasync -p "$JARIP_PID" -o "$OUT/fsync.strace.txt" 2>"$OUT/fsync.strace.log" &
  STRACE=$!
  sleep 2   # attached to every thread before the first counted commit
  c0=$(metric jarip_store_commits)
  log "fsync: strace -f -c attached, wrk -c$CONNS ${SECONDS_SHORT}s"
  run_wrk fsync "http://127.0.0.1:$JPORT" "$CONNS" "$SECONDS_SHORT"
  sleep 1
  c1=$(metric jarip_store_commits)
  kill -INT $STRACE 2>/dev/null || true; wait $STRACE 2>/dev/null || true
  echo "{\"commits\":$((c1 - c0))}" >"$OUT/fsync.store.json"
fi

# ---- batch endpoint -----------------------------------------------------------------------------
if want batch; then
  start_stack batch
  c0=$(metric jarip_store_commits); a0=$(metric jarip_messages_accepted_total)
  log "batch: POST /v1/messages/batch x1000, wrk -c$BATCH_CONNS ${SECONDS_LOAD}s"
  run_wrk batch "http://127.0.0.1:$JPORT" "$BATCH_CONNS" "$SECONDS_LOAD" 1000
  c1=$(metric jarip_store_commits); a1=$(metric jarip_messages_accepted_total)
  echo "{\"commits\":$((c1 - c0)),\"accepted\":$((a1 - a0))}" >"$OUT/batch.store.json"
  curl -fs "http://127.0.0.1:$SPORT/_sim/stats" >"$OUT/batch.sim_stats.json"
fi

# ---- ceiling: raw SQLite at jarip's group sizes ---------------------------------------------------
if want ceilings; then
  cleanup
  for tag in accept batch; do
    g=64
    [[ -s $OUT/$tag.store.json ]] && g=$(python3 -c "import json; d=json.load(open('$OUT/$tag.store.json')); print(max(1, round(d['accepted']/max(1,d['commits']))))")
    rm -rf "$OUT/sqlite-ceiling"; mkdir -p "$OUT/sqlite-ceiling"
    log "ceiling_sqlite: batch $g (jarip's mean group in '$tag'), ${SECONDS_LOAD}s"
    taskset -c "$SERVER_CPU" "$BUILD/bench/ceiling_sqlite" "$OUT/sqlite-ceiling/c.db" "$g" "$SECONDS_LOAD" >"$OUT/ceiling_sqlite.$tag.json"
  done
  rm -rf "$OUT/sqlite-ceiling"
fi

# ---- experiment: the same accept run with glibc's malloc trim threshold raised (no code change) ----
# perf showed jarip's store writer thread spending most of its time in madvise → TLB flush: glibc
# shrinking the thread's arena after each group commit and faulting the pages back in on the next.
if want tuned; then
  SERVER_ENV="GLIBC_TUNABLES=glibc.malloc.trim_threshold=268435456"   # for jarip serve only
  start_stack accept_tuned
  SERVER_ENV=
  c0=$(metric jarip_store_commits); a0=$(metric jarip_messages_accepted_total)
  log "accept (GLIBC_TUNABLES trim_threshold=256MiB): wrk -c$CONNS ${SECONDS_LOAD}s"
  run_wrk accept_tuned "http://127.0.0.1:$JPORT" "$CONNS" "$SECONDS_LOAD"
  c1=$(metric jarip_store_commits); a1=$(metric jarip_messages_accepted_total)
  echo "{\"commits\":$((c1 - c0)),\"accepted\":$((a1 - a0))}" >"$OUT/accept_tuned.store.json"
  grep -E "VmRSS|VmHWM" /proc/$JARIP_PID/status >"$OUT/accept_tuned.rss.txt"
fi

# ---- failover -----------------------------------------------------------------------------------
if want failover; then
  for mode in down timeout error; do
    start_stack "failover-$mode"
    log "failover: solapi '$mode'"
    taskset -c "$LOAD_CPU" python3 bench/failover.py --jarip "http://127.0.0.1:$JPORT" --sim "http://127.0.0.1:$SPORT" \
      --key "$KEY" --mode "$mode" --error-rate 0.5 --rate "${BENCH_FAILOVER_RATE:-200}" --before 5 --after 10 --settle 8 \
      --out "$OUT/failover-$mode.json" >"$OUT/failover-$mode.txt" 2>&1 || log "failover $mode failed (see failover-$mode.txt)"
  done
fi
cleanup

# ---- email into a private Postfix (issue 9): bench/email_bench.py, its own Postfix and jarip ------
# Not pinned (Postfix's daemons need the cores too); pool sizes 1 and BENCH_SMTP_POOL (8).
if want email; then
  log "email: bench/email_bench.py, ${BENCH_EMAIL_MESSAGES:-5000} messages into Postfix, pool 1 and ${BENCH_SMTP_POOL:-8}"
  BENCH_BIN_DIR=${BENCH_BIN_DIR:-$BUILD} python3 bench/email_bench.py --out "$OUT/email" >"$OUT/email.txt" 2>&1 \
    || log "email failed or found missing/duplicate messages (see email.txt)"
  log "email: $(grep -E '^(skip|verdict):' "$OUT/email.txt" | tail -n 1)"
fi

python3 bench/summarize.py "$OUT" | tee "$OUT/summary.md"
