-- wrk script for bench/pg_bench.sh: POST /v1/messages of inbox messages (chain ["inbox"]) to customers
-- of the directory, each body exactly BENCH_MSG_BYTES bytes of JSON (default 300): the demo
-- order_shipped template, customer "bench-c<k>" for k in 0..BENCH_CUSTOMERS-1 (they must exist:
-- bench/pg_bench.py customers creates them), and metadata padding. Bodies are formatted once in
-- init() and replayed round-robin, as in bench/post_message.lua.
-- Bounds: wrk's -d (time) and BENCH_MAX_REQUESTS per thread (count: the thread stops after it).
-- done() writes a JSON summary to BENCH_OUT (the same fields as post_message.lua's).
local msg_bytes = tonumber(os.getenv("BENCH_MSG_BYTES") or "300")
local customers = tonumber(os.getenv("BENCH_CUSTOMERS") or "100")
local pool_size = tonumber(os.getenv("BENCH_POOL") or "5000")
local max_requests = tonumber(os.getenv("BENCH_MAX_REQUESTS") or "50000000")
local key = os.getenv("BENCH_API_KEY") or ""
local out_path = os.getenv("BENCH_OUT")

local thread_counter = 0
function setup(thread)
  thread:set("thread_index", thread_counter)
  thread_counter = thread_counter + 1
end

local function message(seq)
  local head = '{"recipient":{"customer_id":"bench-c' .. (seq % customers) .. '"},"template":"order_shipped",' ..
               '"channels":["inbox"],"vars":{"name":"김민수","order":"A-' .. string.format("%07d", seq % 10000000) ..
               '"},"metadata":{"ref":"'
  local tail = '"}}'
  local pad = msg_bytes - #head - #tail
  if pad < 0 then error("BENCH_MSG_BYTES too small") end
  return head .. string.rep("x", pad) .. tail
end

local requests = {}
local next_index = 1
local sent = 0

function init(args)
  local t = tonumber(thread_index or 0)
  local headers = {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}
  local seq = t * 10000000
  for i = 1, pool_size do
    requests[i] = wrk.format("POST", "/v1/messages", headers, message(seq))
    seq = seq + 1
  end
end

function request()
  sent = sent + 1
  if sent > max_requests then wrk.thread:stop() end
  local r = requests[next_index]
  next_index = next_index % #requests + 1
  return r
end

function done(summary, latency, requests_)
  if not out_path then return end
  local f = io.open(out_path, "w")
  local e = summary.errors
  f:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d},"batch":0,"msg_bytes":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, msg_bytes))
  f:close()
end
