#!/usr/bin/env bash
# PostgreSQL storage benchmark and the graphile-worker peer (issue 11): one command, loopback only,
# every loop bounded in time and count. It starts its own private PostgreSQL and stops it at the end.
#   bench/pg_bench.sh                       # full run (about 15 minutes), results in bench/results/<stamp>/
#   BENCH_SECONDS=20 bench/pg_bench.sh      # shorter 60-s phases (NOT valid figures: the rule is >= 60 s)
#   BENCH_ONLY="pg1 peer" bench/pg_bench.sh # subset of: machine sqlite pg1 pg2 peer graphile
#   BENCH_BIN_DIR=build-x bench/pg_bench.sh # other binaries (default: Release built into build-pgbench/)
#   BENCH_STRACE=1 …                        # profile run: strace -c -f on jarip during the peer phases
#                                           # (slows jarip down: its figures are not valid then)
# Layout (as bench/run.sh): load generators (wrk, bench/pg_bench.py, the graphile-worker enqueuer) on
# core 0; the system under test on core 1: jarip (one or two nodes), jarip-sim, PostgreSQL (every backend
# inherits the postmaster's affinity), and graphile-worker's runner.
#
# Steps:
#   sqlite  jarip on SQLite: POST /v1/messages, 64 connections, BENCH_SECONDS, delivery to jarip-sim on;
#           end to end = the simulator's received count (as bench/run.sh "accept")
#   pg1     the same with storage.url on the private PostgreSQL, one node
#   pg2     the same, two nodes on one database, 32 connections to each
#   peer    jarip (PostgreSQL, one node), BENCH_JOBS messages each time: single accepts of inbox messages
#           (wrk, 64 connections) with the inbox drained, then the release timed to delivered; batched
#           accepts (1,000 per request, BENCH_BATCH_INFLIGHT at once) with the inbox drained, then the
#           release; the same batched to the simulator's providers (solapi and nhn drained), then the
#           release timed to delivered (the simulator's reports)
#   graphile graphile-worker 0.17.3 on the same PostgreSQL (its own database): BENCH_JOBS addJob() at
#           64 in flight, processed with its defaults; BENCH_JOBS via addJobs() of 1,000 at
#           BENCH_BATCH_INFLIGHT in flight, processed with its batching settings (localQueue)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_LOAD=${BENCH_SECONDS:-60}
JOBS=${BENCH_JOBS:-50000}
CONNS=${BENCH_CONNECTIONS:-64}
BATCH_INFLIGHT=${BENCH_BATCH_INFLIGHT:-16}
PEER_MAX_SECONDS=${BENCH_PEER_MAX_SECONDS:-240}   # bound of the single-accept phase of `peer`
PROCESS_MAX_SECONDS=${BENCH_PROCESS_MAX_SECONDS:-300}
ONLY=${BENCH_ONLY:-"machine sqlite pg1 pg2 peer graphile"}
LOAD_CPU=${BENCH_LOAD_CPU:-0}
SERVER_CPU=${BENCH_SERVER_CPU:-1}
JPORT=${BENCH_JARIP_PORT:-18180}     # node b on +1
SPORT=${BENCH_SIM_PORT:-19200}       # admin; providers on +1, +2, +3
PGPORT=${BENCH_PG_PORT:-15499}
BUILD=$ROOT/build-pgbench
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/results/$STAMP
mkdir -p "$OUT"
want() { [[ " $ONLY " == *" $1 "* ]]; }
log() { echo "[pgbench $(date +%H:%M:%S)] $*" | tee -a "$OUT/run.log" >&2; }
PY=(taskset -c "$LOAD_CPU" python3 "$ROOT/bench/pg_bench.py")

# ---- tools and build ----------------------------------------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v python3 >/dev/null || need+=(python3)
command -v curl >/dev/null || need+=(curl)
command -v node >/dev/null || need+=(nodejs)
if ((${#need[@]})); then log "installing ${need[*]}"; apt-get install -y "${need[@]}" >"$OUT/apt.log" 2>&1; fi
PGBIN=$(pg_config --bindir 2>/dev/null || true)
[[ -x $PGBIN/initdb ]] || PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x $PGBIN/initdb ]] || { log "PostgreSQL server binaries not found (apt-get install postgresql-15)"; exit 1; }

if [[ -z ${BENCH_BIN_DIR:-} ]]; then
  log "building Release into $BUILD"
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DJARIP_TESTS=OFF >"$OUT/cmake.log" 2>&1
  ninja -C "$BUILD" jarip jarip-sim >"$OUT/build.log" 2>&1
fi
JARIP=${BENCH_BIN_DIR:-$BUILD}/jarip
SIM=${BENCH_BIN_DIR:-$BUILD}/jarip-sim
if want graphile && [[ ! -d bench/node_modules/graphile-worker ]]; then
  log "npm ci in bench/ (graphile-worker, pg, web-push as pinned in bench/package-lock.json)"
  (cd bench && npm ci --no-audit --no-fund) >"$OUT/npm.log" 2>&1
fi

# ---- processes ----------------------------------------------------------------------------------
PIDS=()
PGDATA=$OUT/pg/data
PG_STARTED=0
stop_servers() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
cleanup() {
  [[ -n ${STRACE_PID:-} ]] && { kill -INT "$STRACE_PID" 2>/dev/null || true; wait "$STRACE_PID" 2>/dev/null || true; }
  stop_servers
  if ((PG_STARTED)); then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >>"$OUT/pg/ctl.log" 2>&1 || true
    PG_STARTED=0
  fi
}
trap cleanup EXIT INT TERM

PSQL=("$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -X -q)
sql() { "${PSQL[@]}" -d "${2:-jarip}" -Atc "$1"; }
PSQL_CMD="$PGBIN/psql -h 127.0.0.1 -p $PGPORT -U postgres -X -q -d jarip"

start_pg() {  # a private cluster in $OUT/pg, loopback only, fsync and synchronous_commit on (defaults)
  mkdir -p "$OUT/pg"
  chown postgres:postgres "$OUT/pg"
  runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres -E UTF8 --locale=C >"$OUT/pg/initdb.log" 2>&1
  cat >>"$PGDATA/postgresql.auto.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$OUT/pg'
max_connections = 200
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.max = 1000
pg_stat_statements.track = 'all'
log_min_messages = 'warning'
EOF
  taskset -c "$SERVER_CPU" runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -l "$OUT/pg/server.log" -w -t 60 start \
    >"$OUT/pg/ctl.log" 2>&1
  PG_STARTED=1
  sql "CREATE EXTENSION pg_stat_statements" postgres
  PG_PID=$(head -n 1 "$PGDATA/postmaster.pid")
  log "PostgreSQL $(sql 'SHOW server_version' postgres) on 127.0.0.1:$PGPORT, pinned to core $SERVER_CPU (postmaster $PG_PID); fsync=$(sql 'SHOW fsync' postgres) synchronous_commit=$(sql 'SHOW synchronous_commit' postgres) shared_buffers=$(sql 'SHOW shared_buffers' postgres)"
}
fresh_db() {  # fresh_db NAME
  sql "DROP DATABASE IF EXISTS $1 WITH (FORCE)" postgres
  sql "CREATE DATABASE $1" postgres
}
pg_cpu() {  # CPU seconds of the whole cluster so far: live processes + reaped children
  local pm=$PG_PID
  { cat "/proc/$pm/stat"; for c in $(pgrep -P "$pm"); do cat "/proc/$c/stat" 2>/dev/null || true; done; } |
    awk -v hz="$(getconf CLK_TCK)" '{ s += $14 + $15 } NR == 1 { s += $16 + $17 } END { printf "%.2f\n", s / hz }'
}
proc_cpu() {  # CPU seconds of one process (all threads)
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0
}
stmt_stats() {  # stmt_stats FILE: pg_stat_statements of the jarip database, heaviest first
  sql "SELECT calls, round(total_exec_time::numeric, 1) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms, rows,
              regexp_replace(left(query, 160), '\s+', ' ', 'g')
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '${2:-jarip}'
       ORDER BY calls DESC LIMIT 60" postgres >"$1" || true
}
stmt_reset() { sql "SELECT pg_stat_statements_reset()" postgres >/dev/null || true; }

# ---- configuration: the demo configs on private ports ---------------------------------------------
LINK_SECRET=5f1c9a7e2b00000000000000000000000000000000000000000000000000beef
node_config() {  # node_config FILE PORT DATA_DIR [STORAGE_URL]
  sed -e "s/^port = 8080/port = $2/" \
      -e "s#^data_dir = .*#data_dir = \"$3\"${4:+\\nurl = \"$4\"}#" \
      -e "s#127.0.0.1:9101#127.0.0.1:$((SPORT + 1))#" -e "s#127.0.0.1:9102#127.0.0.1:$((SPORT + 2))#" \
      -e "s#127.0.0.1:9103#127.0.0.1:$((SPORT + 3))#" -e 's/^level = "info"/level = "warn"/' \
      config/jarip.demo.toml >"$1"
  printf '\n[public]\nlink_secret = "%s"\n' "$LINK_SECRET" >>"$1"
}
PGURL="postgresql://postgres@127.0.0.1:$PGPORT/jarip"
node_config "$OUT/jarip-sqlite.toml" "$JPORT" "$OUT/data-sqlite"
node_config "$OUT/jarip-pg-a.toml" "$JPORT" "$OUT/data-a" "$PGURL"
node_config "$OUT/jarip-pg-b.toml" "$((JPORT + 1))" "$OUT/data-b" "$PGURL"
python3 - "$OUT/sim.json" "$SPORT" "$JPORT" <<'PY'
import json, sys
path, sport, jport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = json.load(open("config/sim.demo.json"))
c["admin_port"] = sport
c["solapi"]["port"] = sport + 1
c["nhn"]["alimtalk_port"], c["nhn"]["sms_port"] = sport + 2, sport + 3
for p in ("solapi", "nhn"):   # reports go to node a (a load balancer would pick any live node)
    c[p]["webhook_url"] = c[p]["webhook_url"].replace("127.0.0.1:8080", "127.0.0.1:%d" % jport)
json.dump(c, open(path, "w"), indent=1, ensure_ascii=False)
PY
A_URL=http://127.0.0.1:$JPORT
B_URL=http://127.0.0.1:$((JPORT + 1))
SIM_URL=http://127.0.0.1:$SPORT

start_stack() {  # start_stack TAG sqlite|pg1|pg2: fresh database, API key, sim, then the node(s)
  local tag=$1 kind=$2 cfgs=()
  stop_servers
  rm -rf "$OUT/data-sqlite" "$OUT/data-a" "$OUT/data-b"
  mkdir -p "$OUT/data-sqlite" "$OUT/data-a" "$OUT/data-b"
  case $kind in
    sqlite) cfgs=("$OUT/jarip-sqlite.toml") ;;
    pg1) fresh_db jarip; cfgs=("$OUT/jarip-pg-a.toml") ;;
    pg2) fresh_db jarip; cfgs=("$OUT/jarip-pg-a.toml" "$OUT/jarip-pg-b.toml") ;;
  esac
  KEY=$("$JARIP" keys create --name bench --config "${cfgs[0]}" 2>>"$OUT/$tag.jarip-a.log" | tail -n 1)
  taskset -c "$SERVER_CPU" "$SIM" --config "$OUT/sim.json" --seed 1 >"$OUT/$tag.sim.log" 2>&1 &
  SIM_PID=$!; PIDS+=($SIM_PID)
  NODE_PIDS=()
  local i=0
  for cfg in "${cfgs[@]}"; do
    local name; name=$([[ $i == 0 ]] && echo a || echo b)
    taskset -c "$SERVER_CPU" "$JARIP" serve --config "$cfg" >>"$OUT/$tag.jarip-$name.log" 2>&1 &
    NODE_PIDS+=($!); PIDS+=($!)
    i=$((i + 1))
  done
  NODES=$A_URL; [[ $kind == pg2 ]] && NODES="$A_URL,$B_URL"
  for _ in $(seq 1 150); do
    local ok=1
    for u in ${NODES//,/ }; do curl -fs "$u/readyz" >/dev/null 2>&1 || ok=0; done
    curl -fs "$SIM_URL/_sim/health" >/dev/null 2>&1 || ok=0
    ((ok)) && return 0
    sleep 0.1
  done
  log "stack '$tag' did not become ready (see $tag.jarip-*.log)"; return 1
}

metric() {  # metric URL NAME: sum of a jarip /metrics family
  curl -fs "$1/metrics" | awk -v n="$2" '$1==n || index($1, n"{")==1 {s+=$2} END {printf "%.0f\n", s}'
}
cpu_snapshot() {  # cpu_snapshot FILE LABEL: CPU seconds of jarip node(s), sim and PostgreSQL
  local line="$2 t=$(date +%s.%N) sim=$(proc_cpu "$SIM_PID")"
  local i=0
  for p in "${NODE_PIDS[@]}"; do line+=" jarip$i=$(proc_cpu "$p")"; i=$((i + 1)); done
  [[ $PG_STARTED == 1 ]] && line+=" pg=$(pg_cpu)"
  echo "$line loadavg=$(cut -d' ' -f1 /proc/loadavg)" >>"$1"
}

STRACE_PID=
strace_on() {  # strace_on TAG: with BENCH_STRACE=1, count jarip's system calls (every thread) until strace_off
  [[ ${BENCH_STRACE:-0} == 1 ]] || return 0
  timeout 900 strace -c -f -p "${NODE_PIDS[0]}" -o "$OUT/$1.strace.txt" 2>"$OUT/$1.strace.log" &
  STRACE_PID=$!
  sleep 1
}
strace_off() {
  [[ -n $STRACE_PID ]] || return 0
  kill -INT "$STRACE_PID" 2>/dev/null || true; wait "$STRACE_PID" 2>/dev/null || true
  STRACE_PID=
}

run_wrk() {  # run_wrk TAG URL CONNS THREADS SECONDS SCRIPT [MAX_PER_THREAD]
  local tag=$1 url=$2 conns=$3 threads=$4 secs=$5 script=$6 max=${7:-50000000}
  BENCH_OUT="$OUT/$tag.wrk.json" BENCH_API_KEY=$KEY BENCH_MAX_REQUESTS=$max \
    taskset -c "$LOAD_CPU" wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s --latency \
    -s "$script" "$url" >"$OUT/$tag.wrk.txt" 2>&1
}

# ---- machine ------------------------------------------------------------------------------------
if want machine; then
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "command: ${BENCH_BIN_DIR:+BENCH_BIN_DIR=$BENCH_BIN_DIR }BENCH_SECONDS=$SECONDS_LOAD BENCH_JOBS=$JOBS BENCH_ONLY=\"$ONLY\" bench/pg_bench.sh"
    echo "binaries: $JARIP ($(stat -c %y "$JARIP" | cut -d. -f1))"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null) ($(git status --porcelain | wc -l) uncommitted changes; src/store: $(git diff --stat HEAD -- src/store | tail -n 1))"
    lscpu | grep -E "^(Model name|CPU\(s\)|Thread|Core|Socket)"
    echo "memory: $(free -m | awk '/Mem:/ {print $2" MB"}')"
    echo "kernel: $(uname -r)"
    echo "disk: $(findmnt -n -o SOURCE,FSTYPE -T "$OUT")"
    echo "postgresql: $("$PGBIN/postgres" --version)"
    echo "node: $(node --version 2>/dev/null); graphile-worker $(node -p 'require("./bench/node_modules/graphile-worker/package.json").version' 2>/dev/null); pg $(node -p 'require("./bench/node_modules/pg/package.json").version' 2>/dev/null)"
    echo "loadavg at start: $(cat /proc/loadavg)"
    dd if=/dev/zero of="$OUT/dd.tmp" bs=4k count=2000 oflag=dsync conv=notrunc 2>&1 | tail -1 | sed 's/^/dsync 4k x2000: /'
    rm -f "$OUT/dd.tmp"
  } >"$OUT/machine.txt"
  log "machine: $(grep 'Model name' "$OUT/machine.txt" | sed 's/  */ /g'); $(grep loadavg "$OUT/machine.txt")"
fi

if want pg1 || want pg2 || want peer || want graphile; then start_pg; fi

# ---- durable accept + end to end, one node on SQLite, one and two nodes on PostgreSQL --------------
accept_e2e() {  # accept_e2e TAG KIND
  local tag=$1 kind=$2
  start_stack "$tag" "$kind"
  [[ $kind != sqlite ]] && stmt_reset
  local c0 a0
  c0=$(metric "$A_URL" jarip_store_commits); [[ $kind == pg2 ]] && c0=$((c0 + $(metric "$B_URL" jarip_store_commits)))
  cpu_snapshot "$OUT/$tag.cpu.txt" before
  "${PY[@]}" e2e --url "$NODES" --sim "$SIM_URL" --seconds $((SECONDS_LOAD + 2)) --drain-max 180 \
    --out "$OUT/$tag.e2e.json" >/dev/null 2>"$OUT/$tag.e2e.log" &
  local sampler=$!
  log "$tag: POST /v1/messages, ${CONNS} connections over $(echo "$NODES" | tr ',' ' ' | wc -w) node(s), ${SECONDS_LOAD}s, delivery to jarip-sim on"
  if [[ $kind == pg2 ]]; then
    run_wrk "$tag-a" "$A_URL" $((CONNS / 2)) 1 "$SECONDS_LOAD" bench/post_message.lua &
    local w1=$!
    run_wrk "$tag-b" "$B_URL" $((CONNS / 2)) 1 "$SECONDS_LOAD" bench/post_message.lua
    wait $w1
  else
    run_wrk "$tag" "$A_URL" "$CONNS" 2 "$SECONDS_LOAD" bench/post_message.lua
  fi
  cpu_snapshot "$OUT/$tag.cpu.txt" load_end
  local c1; c1=$(metric "$A_URL" jarip_store_commits); [[ $kind == pg2 ]] && c1=$((c1 + $(metric "$B_URL" jarip_store_commits)))
  echo "{\"commits\":$((c1 - c0))}" >"$OUT/$tag.store.json"
  log "$tag: waiting for delivery (<= 180 s)"
  wait $sampler || true
  cpu_snapshot "$OUT/$tag.cpu.txt" drained
  [[ $kind != sqlite ]] && stmt_stats "$OUT/$tag.statements.txt"
  for u in ${NODES//,/ }; do curl -fs "$u/metrics" >>"$OUT/$tag.metrics.txt"; done
  log "$tag: $(python3 -c "
import json,sys
e=json.load(open('$OUT/$tag.e2e.json'))
w=[json.load(open(f)) for f in sys.argv[1:]]
acc=e['accepted']; secs=max(x['duration_us'] for x in w)/1e6
print(f\"accepted {acc:,} = {acc/secs:,.0f} msg/s; p99 {max(x['latency_us']['p99'] for x in w)/1000:.1f} ms; non-2xx {sum(x['errors']['status'] for x in w)}; received during load {e['received_per_s_during_load'] or 0:,.0f}/s; all received after {e['all_received_after_s']} s; sim {e['sim']}\")
" "$OUT/$tag"*.wrk.json)"
}
if want sqlite; then accept_e2e sqlite sqlite; fi
if want pg1; then accept_e2e pg1 pg1; fi
if want pg2; then accept_e2e pg2 pg2; fi

# ---- the peer comparison, jarip side: single and batched accepts, processing -----------------------
process_backlog() {  # process_backlog TAG PROVIDERS EXPECT [SIM]
  local tag=$1 providers=$2 expect=$3 sim=${4:-}
  cpu_snapshot "$OUT/$tag.cpu.txt" before_release
  stmt_reset
  strace_on "$tag"
  log "$tag: releasing $providers; timing $expect messages to delivered (<= ${PROCESS_MAX_SECONDS}s)"
  "${PY[@]}" process --url "$NODES" --key "$KEY" --providers "$providers" --expect "$expect" --psql "$PSQL_CMD" \
    ${sim:+--sim "$sim"} --timeout "$PROCESS_MAX_SECONDS" --out "$OUT/$tag.process.json" >/dev/null 2>"$OUT/$tag.process.log" || true
  strace_off
  cpu_snapshot "$OUT/$tag.cpu.txt" processed
  stmt_stats "$OUT/$tag.statements.txt"
  log "$tag: $(python3 -c "
import json; d=json.load(open('$OUT/$tag.process.json'))
print(f\"{d['delivered_rows']:,} of {d['backlog_rows']:,} delivered in {d['seconds']} s = {d['msg_per_s'] or 0:,.0f} msg/s\")" 2>/dev/null || echo 'process failed')"
}
if want peer; then
  # 1. single accepts of inbox messages with the inbox drained, then processing
  start_stack peer-single pg1
  "${PY[@]}" customers --url "$A_URL" --key "$KEY" --n 100 --out "$OUT/peer.customers.json" >/dev/null
  "${PY[@]}" drain --url "$A_URL" --key "$KEY" --providers inbox --action post >/dev/null
  stmt_reset
  a0=$(metric "$A_URL" jarip_messages_accepted_total); c0=$(metric "$A_URL" jarip_store_commits)
  cpu_snapshot "$OUT/peer-single.cpu.txt" before
  strace_on peer-single
  log "peer-single: $JOBS inbox messages by POST /v1/messages, wrk -c$CONNS (at most ${PEER_MAX_SECONDS}s), inbox drained"
  # wrk's duration is its -d whatever its threads did: the watcher times the run to $JOBS accepted
  # (/metrics every 0.1 s), then stops wrk with SIGINT (wrk still prints its summary and latencies).
  BENCH_OUT="$OUT/peer-single.wrk.json" BENCH_API_KEY=$KEY BENCH_MAX_REQUESTS=$((JOBS / 2)) \
    "${PY[@]}" watch --url "$A_URL" --expect "$JOBS" --timeout "$PEER_MAX_SECONDS" --out "$OUT/peer-single.watch.json" -- \
    wrk -t2 -c"$CONNS" -d"${PEER_MAX_SECONDS}s" --timeout 10s --latency -s bench/post_inbox.lua "$A_URL" \
    >"$OUT/peer-single.wrk.txt" 2>&1
  strace_off
  cpu_snapshot "$OUT/peer-single.cpu.txt" accepted
  a1=$(metric "$A_URL" jarip_messages_accepted_total); c1=$(metric "$A_URL" jarip_store_commits)
  echo "{\"accepted\":$((a1 - a0)),\"commits\":$((c1 - c0))}" >"$OUT/peer-single.store.json"
  stmt_stats "$OUT/peer-single.accept.statements.txt"
  log "peer-single: $(python3 -c "
import json; w=json.load(open('$OUT/peer-single.wrk.json')); s=json.load(open('$OUT/peer-single.store.json')); v=json.load(open('$OUT/peer-single.watch.json'))
print(f\"{v['expect']:,} accepted in {v['seconds_to_expect']:.2f} s = {v['msg_per_s']:,.0f} msg/s ({s['accepted']:,} in all); p99 {w['latency_us']['p99']/1000:.1f} ms; non-2xx {w['errors']['status']}; {s['commits']} commits\")")"
  process_backlog peer-single-process inbox $((a1 - a0))

  # 2. batched accepts of inbox messages with the inbox drained, then processing
  start_stack peer-batch pg1
  "${PY[@]}" customers --url "$A_URL" --key "$KEY" --n 100 >/dev/null
  "${PY[@]}" drain --url "$A_URL" --key "$KEY" --providers inbox --action post >/dev/null
  stmt_reset
  c0=$(metric "$A_URL" jarip_store_commits)
  cpu_snapshot "$OUT/peer-batch.cpu.txt" before
  strace_on peer-batch
  log "peer-batch: $JOBS inbox messages by POST /v1/messages/batch x1000, $BATCH_INFLIGHT in flight, inbox drained"
  "${PY[@]}" batch --url "$A_URL" --key "$KEY" --messages "$JOBS" --batch 1000 --inflight "$BATCH_INFLIGHT" --kind inbox \
    --timeout "$PEER_MAX_SECONDS" --out "$OUT/peer-batch.batch.json" >/dev/null
  strace_off
  cpu_snapshot "$OUT/peer-batch.cpu.txt" accepted
  c1=$(metric "$A_URL" jarip_store_commits); echo "{\"commits\":$((c1 - c0))}" >"$OUT/peer-batch.store.json"
  stmt_stats "$OUT/peer-batch.accept.statements.txt"
  log "peer-batch: $(python3 -c "
import json; d=json.load(open('$OUT/peer-batch.batch.json'))
print(f\"{d['accepted']:,} accepted in {d['seconds']:.1f} s = {d['msg_per_s']:,.0f} msg/s; statuses {d['statuses']}; p99 {d['latency_ms']['p99']} ms per request\")")"
  got=$(python3 -c "import json; print(json.load(open('$OUT/peer-batch.batch.json'))['accepted'])")
  process_backlog peer-batch-process inbox "$got"

  # 3. the same backlog to the simulator (the demo chain alimtalk → sms, both providers drained)
  start_stack peer-sim pg1
  "${PY[@]}" drain --url "$A_URL" --key "$KEY" --providers solapi,nhn --action post >/dev/null
  log "peer-sim: $JOBS messages to phones by POST /v1/messages/batch x1000, $BATCH_INFLIGHT in flight, solapi and nhn drained"
  "${PY[@]}" batch --url "$A_URL" --key "$KEY" --messages "$JOBS" --batch 1000 --inflight "$BATCH_INFLIGHT" --kind phone \
    --timeout "$PEER_MAX_SECONDS" --out "$OUT/peer-sim.batch.json" >/dev/null
  got=$(python3 -c "import json; print(json.load(open('$OUT/peer-sim.batch.json'))['accepted'])")
  process_backlog peer-sim-process solapi,nhn "$got" "$SIM_URL"
  curl -fs "$SIM_URL/_sim/received?summary=1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({k:d.get(k) for k in ("total","distinct","ids_with_duplicates")}))' \
    >"$OUT/peer-sim.sim_summary.json" || true
  stop_servers
fi

# ---- the peer: graphile-worker on the same PostgreSQL -----------------------------------------------
if want graphile; then
  stop_servers
  fresh_db graphile
  GURL="postgres://postgres@127.0.0.1:$PGPORT/graphile"
  G=(node "$ROOT/bench/graphile_bench.mjs" --url "$GURL")
  taskset -c "$LOAD_CPU" "${G[@]}" --step migrate --out "$OUT/graphile.migrate.json" >/dev/null
  gsnap() { echo "$1 t=$(date +%s.%N) pg=$(pg_cpu) loadavg=$(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/graphile.cpu.txt"; }
  for mode in defaults batching; do
    if [[ $mode == defaults ]]; then
      log "graphile: $JOBS addJob() at $CONNS in flight"
      stmt_reset; gsnap "enqueue-single-before"
      taskset -c "$LOAD_CPU" "${G[@]}" --step enqueue-single --jobs "$JOBS" --inflight "$CONNS" \
        --out "$OUT/graphile.enqueue-single.json" >/dev/null 2>>"$OUT/graphile.log"
      gsnap "enqueue-single-after"; stmt_stats "$OUT/graphile.enqueue-single.statements.txt" graphile
    else
      log "graphile: $JOBS by addJobs() of 1000, $BATCH_INFLIGHT in flight"
      stmt_reset; gsnap "enqueue-batch-before"
      taskset -c "$LOAD_CPU" "${G[@]}" --step enqueue-batch --jobs "$JOBS" --batch 1000 --inflight "$BATCH_INFLIGHT" \
        --out "$OUT/graphile.enqueue-batch.json" >/dev/null 2>>"$OUT/graphile.log"
      gsnap "enqueue-batch-after"; stmt_stats "$OUT/graphile.enqueue-batch.statements.txt" graphile
    fi
    log "graphile: processing the backlog with '$mode' (runner pinned to core $SERVER_CPU, <= ${PROCESS_MAX_SECONDS}s)"
    stmt_reset; gsnap "process-$mode-before"
    taskset -c "$SERVER_CPU" "${G[@]}" --step process --mode "$mode" --jobs "$JOBS" --timeout "$PROCESS_MAX_SECONDS" \
      --out "$OUT/graphile.process-$mode.json" >/dev/null 2>>"$OUT/graphile.log" &
    GPID=$!
    wait $GPID || log "graphile process $mode failed (see graphile.log)"
    gsnap "process-$mode-after"; stmt_stats "$OUT/graphile.process-$mode.statements.txt" graphile
    log "graphile: $(cat "$OUT/graphile.enqueue-$([[ $mode == defaults ]] && echo single || echo batch).json" | cut -c1-220)"
    log "graphile: $(cut -c1-260 "$OUT/graphile.process-$mode.json")"
  done
fi
cleanup
python3 bench/pg_summarize.py "$OUT" | tee "$OUT/summary.md"
