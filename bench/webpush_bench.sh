#!/usr/bin/env bash
# Web Push encryption micro-benchmark: jarip (bench/webpush_encrypt.cpp) and the npm package web-push
# (bench/webpush_node.mjs) in the same run, same payload size, each pinned to the same core in turn.
# Also checks interop both ways first: web-push/http_ece decrypts jarip's body and verifies its VAPID
# JWT; jarip decrypts a body web-push made.
#
#   bench/webpush_bench.sh [SECONDS_PER_CASE=20] [PAYLOAD_BYTES=300]
#
# Environment: WEBPUSH_BUILD_DIR (default build-webpush; configured RelWithDebInfo if missing),
# WEBPUSH_CPU (core to pin to, default 1). Installs bench/node_modules from package-lock.json if missing.
# Raw output: bench/results/<UTC stamp>-webpush/ (gitignored). Numbers: bench/notes-webpush.md.
set -euo pipefail

seconds="${1:-20}"
payload="${2:-300}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${WEBPUSH_BUILD_DIR:-$root/build-webpush}"
cpu="${WEBPUSH_CPU:-1}"
out="$root/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-webpush"
mkdir -p "$out"

if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -j2 -C "$build" jarip_channels jarip_text jarip_common >/dev/null
g++ -std=c++20 -O2 -DNDEBUG -I"$root/src" -o "$build/webpush_encrypt" "$root/bench/webpush_encrypt.cpp" \
  "$build/libjarip_channels.a" "$build/libjarip_text.a" "$build/libjarip_common.a" -lboost_json -lcrypto -lpthread
if [ ! -d "$root/bench/node_modules/web-push" ]; then
  (cd "$root/bench" && npm ci --no-audit --no-fund >/dev/null)
fi

{
  echo "date: $(date -u +%FT%TZ)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores online"
  echo "loadavg at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "openssl: $(openssl version)"
  echo "node: $(node --version)"
  echo "pinned to core $cpu; $seconds s per case; payload $payload bytes"
} | tee "$out/machine.txt"

echo "== interop"
"$build/webpush_encrypt" --sample "$out/jarip-sample.json"
node "$root/bench/webpush_node.mjs" --check "$out/jarip-sample.json" | tee "$out/interop.jsonl"
node "$root/bench/webpush_node.mjs" --sample "$out/webpush-sample.json"
"$build/webpush_encrypt" --decrypt "$out/webpush-sample.json" | tee -a "$out/interop.jsonl"

echo "== jarip (1 thread), web-push (1 process), jarip again"
taskset -c "$cpu" "$build/webpush_encrypt" "$seconds" "$payload" 1 | tee "$out/jarip-1.jsonl"
taskset -c "$cpu" node "$root/bench/webpush_node.mjs" "$seconds" "$payload" | tee "$out/web-push.jsonl"
taskset -c "$cpu" "$build/webpush_encrypt" "$seconds" "$payload" 1 request | tee "$out/jarip-2.jsonl"
echo "== jarip, 2 threads on both cores (shared with the rest of the machine)"
"$build/webpush_encrypt" "$seconds" "$payload" 2 request | tee "$out/jarip-2threads.jsonl"
echo "loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/machine.txt"

python3 - "$out" <<'PY'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
def rate(file, prefix):
    for line in (out / file).read_text().splitlines():
        r = json.loads(line)
        if r["case"].startswith(prefix): return r["ops_per_s"]
j1, j2 = rate("jarip-1.jsonl", "request"), rate("jarip-2.jsonl", "request")
jarip = min(j1, j2)
enc = [json.loads(l) for l in (out / "web-push.jsonl").read_text().splitlines()]
grd = next(r["ops_per_s"] for r in enc if r["case"].endswith("generateRequestDetails"))
only = next(r["ops_per_s"] for r in enc if r["case"].endswith("encrypt only"))
print(f"jarip request (encrypt + cached VAPID): {j1:.0f} and {j2:.0f} /s per core (lower: {jarip:.0f})")
print(f"web-push generateRequestDetails: {grd:.0f} /s -> jarip is {jarip / grd:.1f}x")
print(f"web-push encrypt only:           {only:.0f} /s -> jarip is {jarip / only:.1f}x")
print(f"goal: >= 5000 /s per core: {'met' if jarip >= 5000 else 'NOT met'}; >= 3x web-push: "
      f"{'met' if jarip >= 3 * grd else 'NOT met'} (generateRequestDetails), "
      f"{'met' if jarip >= 3 * only else 'NOT met'} (encrypt only)")
PY
echo "raw results: $out"
