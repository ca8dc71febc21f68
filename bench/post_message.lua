-- wrk script: POST /v1/messages (or /v1/messages/batch with BENCH_BATCH=N) with fixed-size bodies.
-- Every message is exactly BENCH_MSG_BYTES bytes of JSON (default 300): the demo order_shipped
-- template, a distinct 010 number per message, and metadata padding. Requests are formatted once in
-- init() from a pool and replayed round-robin, so the load generator spends no time building them.
-- Bounds: wrk's -d (time) and BENCH_MAX_REQUESTS per thread (count; the thread stops after it).
-- done() writes a JSON summary to BENCH_OUT.
local msg_bytes = tonumber(os.getenv("BENCH_MSG_BYTES") or "300")
local batch = tonumber(os.getenv("BENCH_BATCH") or "0")
local pool_size = tonumber(os.getenv("BENCH_POOL") or (batch > 0 and "8" or "5000"))
local max_requests = tonumber(os.getenv("BENCH_MAX_REQUESTS") or "50000000")
local key = os.getenv("BENCH_API_KEY") or ""
local out_path = os.getenv("BENCH_OUT")

local thread_counter = 0
function setup(thread)
  thread:set("thread_index", thread_counter)
  thread_counter = thread_counter + 1
end

local function message(seq)
  local phone = string.format("010-%04d-%04d", 1000 + math.floor(seq / 10000) % 9000, seq % 10000)
  local head = '{"recipient":{"phone":"' .. phone .. '"},"template":"order_shipped",' ..
               '"vars":{"name":"김민수","order":"A-' .. string.format("%07d", seq % 10000000) .. '"},' ..
               '"metadata":{"ref":"'
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
    local body, path
    if batch > 0 then
      local parts = {}
      for j = 1, batch do
        parts[j] = message(seq); seq = seq + 1
      end
      body = '{"messages":[' .. table.concat(parts, ",") .. ']}'
      path = "/v1/messages/batch"
    else
      body = message(seq); seq = seq + 1
      path = "/v1/messages"
    end
    requests[i] = wrk.format("POST", path, headers, body)
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
    '"latency_us":{"min":%d,"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d},"batch":%d,"msg_bytes":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, batch, msg_bytes))
  f:close()
end
