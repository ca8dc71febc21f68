// The peer of bench/pg_bench.sh: graphile-worker (pinned in bench/package.json) on the same PostgreSQL,
// enqueuing and processing the same number of jobs as jarip is given messages.
//
//   node bench/graphile_bench.mjs --url postgres://… --step migrate
//   node bench/graphile_bench.mjs --url … --step enqueue-single --jobs 50000 --inflight 64
//   node bench/graphile_bench.mjs --url … --step enqueue-batch  --jobs 50000 --batch 1000 --inflight 16
//   node bench/graphile_bench.mjs --url … --step process --mode defaults|batching --jobs 50000
//
// Every step prints one JSON line (and writes it to --out). Bounds: an enqueue step adds exactly --jobs
// jobs; a process step stops after --jobs completions or --timeout seconds, whichever is first.
//
// The task ("noop") is an async function that returns at once: the job is fetched, locked, run and
// completed (its row deleted) by graphile-worker as usual, and nothing else happens. Its payload is
// the same 300-byte JSON body jarip receives per message, so both store the same bytes.
//
// Modes of `process` (graphile-worker's own documentation, worker.graphile.org/docs/performance):
//   defaults  run() with nothing but the connection string and the task: concurrentJobs 1,
//             maxPoolSize 10, no local queue, completions one by one.
//   batching  the settings of graphile-worker's published performance run: concurrentJobs 24,
//             maxPoolSize 25, localQueue { size: 500 }, completeJobBatchDelay 0, failJobBatchDelay 0.
import { performance } from "node:perf_hooks";
import { EventEmitter } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import pg from "pg";
import { makeWorkerUtils, run, Logger } from "graphile-worker";

function args() {
  const out = { jobs: 50000, inflight: 64, batch: 1000, timeout: 600, mode: "defaults", bytes: 300 };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i += 2) {
    const k = a[i].replace(/^--/, "");
    const v = a[i + 1];
    out[k] = ["jobs", "inflight", "batch", "timeout", "bytes"].includes(k) ? Number(v) : v;
  }
  if (!out.url || !out.step) {
    console.error("usage: graphile_bench.mjs --url URL --step migrate|enqueue-single|enqueue-batch|process|count …");
    process.exit(2);
  }
  return out;
}

const A = args();
const quiet = new Logger(() => () => {});

// The same body as bench/post_message.lua's message(seq): 300 bytes of JSON.
function payload(seq) {
  const phone = `010-${String(1000 + (Math.floor(seq / 10000) % 9000)).padStart(4, "0")}-${String(seq % 10000).padStart(4, "0")}`;
  const head = `{"recipient":{"phone":"${phone}"},"template":"order_shipped","vars":{"name":"김민수","order":"A-${String(seq % 10000000).padStart(7, "0")}"},"metadata":{"ref":"`;
  const tail = '"}}';
  const pad = A.bytes - Buffer.byteLength(head) - tail.length;
  return JSON.parse(head + "x".repeat(Math.max(0, pad)) + tail);
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function report(obj) {
  const u = process.cpuUsage();
  const line = JSON.stringify({ ...obj, node_cpu_s: (u.user + u.system) / 1e6 });
  console.log(line);
  if (A.out) writeFileSync(A.out, line + "\n");
}

async function countJobs(client) {
  const r = await client.query("SELECT count(*)::int AS n FROM graphile_worker._private_jobs");
  return r.rows[0].n;
}

async function withClient(fn) {
  const c = new pg.Client({ connectionString: A.url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function migrate() {
  const utils = await makeWorkerUtils({ connectionString: A.url, logger: quiet });
  await utils.migrate();
  await utils.release();
  await withClient((c) => c.query("DELETE FROM graphile_worker._private_jobs"));
  const version = JSON.parse(readFileSync(new URL("./node_modules/graphile-worker/package.json", import.meta.url))).version;
  report({ step: "migrate", graphile_worker: version, pg: JSON.parse(readFileSync(new URL("./node_modules/pg/package.json", import.meta.url))).version, node: process.version });
}

// enqueue-single: --jobs addJob() calls, --inflight at a time, each on its own pooled connection (a pool
// as large as the number in flight: graphile-worker's own helper, nothing batched).
// enqueue-batch: addJobs() of --batch jobs each, --inflight at a time.
async function enqueue(batched) {
  const pool = new pg.Pool({ connectionString: A.url, max: A.inflight });
  const utils = await makeWorkerUtils({ pgPool: pool, logger: quiet });
  // Open every connection before the clock starts, as wrk's connections are open before it counts.
  const warm = await Promise.all(Array.from({ length: A.inflight }, () => pool.connect()));
  warm.forEach((c) => c.release());
  const per = batched ? A.batch : 1;
  const requests = Math.ceil(A.jobs / per);
  const latencies = [];
  let next = 0;
  let errors = 0;
  let added = 0;
  const t0 = performance.now();
  async function lane() {
    for (;;) {
      const r = next++;
      if (r >= requests) return;
      const first = r * per;
      const n = Math.min(per, A.jobs - first);
      const s = performance.now();
      try {
        if (batched) {
          const specs = [];
          for (let i = 0; i < n; i++) specs.push({ identifier: "noop", payload: payload(first + i) });
          const jobs = await utils.addJobs(specs);
          added += jobs.length;
        } else {
          await utils.addJob("noop", payload(first));
          added += 1;
        }
      } catch (e) {
        errors++;
        if (errors <= 3) console.error("enqueue error:", e.message);
      }
      latencies.push(performance.now() - s);
    }
  }
  await Promise.all(Array.from({ length: Math.min(A.inflight, requests) }, lane));
  const secs = (performance.now() - t0) / 1000;
  await utils.release();
  await pool.end();
  latencies.sort((a, b) => a - b);
  const queued = await withClient(countJobs);
  report({
    step: batched ? "enqueue-batch" : "enqueue-single", jobs: A.jobs, added, errors, inflight: A.inflight,
    batch: per, seconds: secs, jobs_per_s: added / secs, requests,
    latency_ms: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] },
    queued_after: queued,
  });
}

async function processJobs() {
  const backlog = await withClient(countJobs);
  const events = new EventEmitter();
  let done = 0;
  let failed = 0;
  let firstStart = null;
  let lastSuccess = null;
  let resolveAll;
  const all = new Promise((r) => (resolveAll = r));
  events.on("job:start", () => {
    if (firstStart === null) firstStart = performance.now();
  });
  events.on("job:success", () => {
    done++;
    lastSuccess = performance.now();
    if (done >= A.jobs) resolveAll();
  });
  events.on("job:error", () => failed++);
  const base = {
    connectionString: A.url,
    logger: quiet,
    noHandleSignals: true,
    events,
    taskList: { noop: async () => {} },
  };
  const options =
    A.mode === "batching"
      ? {
          ...base,
          preset: {
            worker: {
              concurrentJobs: 24, maxPoolSize: 25, localQueue: { size: 500 }, completeJobBatchDelay: 0,
              failJobBatchDelay: 0,
            },
          },
        }
      : base;
  const t0 = performance.now();
  const runner = await run(options);
  const timer = setTimeout(resolveAll, A.timeout * 1000);
  await all;
  clearTimeout(timer);
  const tasksDone = performance.now();
  // A completion is durable when its row is gone (batched completions commit after the task returns):
  // the clock stops when the queue table is empty (polled every 20 ms, at most --timeout seconds).
  let left = -1;
  const poller = new pg.Client({ connectionString: A.url });
  await poller.connect();
  const deadline = performance.now() + A.timeout * 1000;
  for (;;) {
    left = await countJobs(poller);
    if (left === 0 || performance.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const empty = performance.now();
  await poller.end();
  await runner.stop();
  const secs = (empty - t0) / 1000;
  report({
    step: "process", mode: A.mode, backlog, jobs: A.jobs, completed: done, failed, left_in_queue: left,
    seconds: secs, jobs_per_s: done / secs,
    seconds_first_start: firstStart === null ? null : (firstStart - t0) / 1000,
    seconds_tasks_done: (tasksDone - t0) / 1000,
    seconds_last_success: lastSuccess === null ? null : (lastSuccess - t0) / 1000,
    settings: options.preset ? options.preset.worker : { concurrentJobs: 1, maxPoolSize: 10, localQueue: "off", completeJobBatchDelay: -1 },
  });
}

try {
  if (A.step === "migrate") await migrate();
  else if (A.step === "enqueue-single") await enqueue(false);
  else if (A.step === "enqueue-batch") await enqueue(true);
  else if (A.step === "process") await processJobs();
  else if (A.step === "count") report({ step: "count", jobs: await withClient(countJobs) });
  else throw new Error("unknown step " + A.step);
  process.exit(0);
} catch (e) {
  console.error(e);
  process.exit(1);
}
