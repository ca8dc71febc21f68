#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and runs jarip with the provider simulator
# (jarip-sim) on loopback, a demo API key, and the demo template. Ctrl-C stops both.
# DEMO_STOP_AFTER_S=N stops after N seconds (used to check this script on a fresh machine).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
BUILD_TYPE=Release BUILD_DIR=build-demo TARGETS="jarip jarip-sim" ./scripts/build.sh -DJARIP_TESTS=OFF

data=.jarip-data
mkdir -p "$data"
if [[ ! -s $data/demo-api-key ]]; then
  ./build-demo/jarip keys create --name demo --config config/jarip.demo.toml | tail -n 1 > "$data/demo-api-key"
fi
key=$(cat "$data/demo-api-key")
# The console's first owner, with a password made here and kept beside the data (a demo only: a real
# server's owner is made with `jarip operators create` and a password of the merchant's choosing).
if [[ ! -s $data/demo-console-password ]]; then
  head -c 12 /dev/urandom | base64 | tr -d '/+=' > "$data/demo-console-password"
  ./build-demo/jarip operators create --email owner@demo.local --role owner --config config/jarip.demo.toml \
    < "$data/demo-console-password" >/dev/null
fi
console_password=$(cat "$data/demo-console-password")

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

./build-demo/jarip-sim --config config/sim.demo.json > "$data/sim.log" 2>&1 &
pids+=($!)
./build-demo/jarip serve --config config/jarip.demo.toml 2> >(tee -a "$data/jarip.log" >&2) &
pids+=($!)

for _ in $(seq 1 50); do
  curl -fs http://127.0.0.1:8080/readyz >/dev/null 2>&1 && break
  sleep 0.2
done

cat <<MSG

  jarip is running on http://127.0.0.1:8080 with the provider simulator (admin: http://127.0.0.1:9100).
  Demo API key: $key

  Operator console: http://127.0.0.1:8080/console/   (owner@demo.local / $console_password)
  Public status page: http://127.0.0.1:8080/status   (banner: http://127.0.0.1:8080/status/banner.js)

  Send an order notice (AlimTalk first, SMS if AlimTalk fails):
    curl -s -H "Authorization: Bearer $key" --json '{"recipient":{"phone":"010-1234-5678"},"template":"order_shipped","vars":{"name":"김민수","order":"A-1001"}}' http://127.0.0.1:8080/v1/messages

  Watch it:   curl -s -H "Authorization: Bearer $key" http://127.0.0.1:8080/v1/messages/ID
  Channels:   curl -s -H "Authorization: Bearer $key" http://127.0.0.1:8080/v1/channels
  Kakao down: curl -s --json '{"provider":"*","channel":"alimtalk","mode":"down"}' http://127.0.0.1:9100/_sim/faults
  Recover:    curl -s -X DELETE http://127.0.0.1:9100/_sim/faults

MSG

# One message right away, so the first thing a newcomer sees is a delivery with its timeline.
id=$(curl -s -H "Authorization: Bearer $key" --json '{"recipient":{"phone":"010-1234-5678"},"template":"order_shipped","vars":{"name":"김민수","order":"A-1001"}}' http://127.0.0.1:8080/v1/messages | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
sleep 1
echo "  First message $id:"
curl -s -H "Authorization: Bearer $key" "http://127.0.0.1:8080/v1/messages/$id"
echo
echo

if [[ -n ${DEMO_STOP_AFTER_S:-} ]]; then
  sleep "$DEMO_STOP_AFTER_S"
  curl -s -H "Authorization: Bearer $key" "http://127.0.0.1:8080/v1/messages/$id" | grep -q '"status":"delivered"'
  echo "demo: message delivered; stopping"
  exit 0
fi
wait "${pids[1]}"
