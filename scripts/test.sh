#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit and integration tests (ctest), the
# same again under AddressSanitizer + UndefinedBehaviorSanitizer, and each fuzz target for a
# bounded time. Exit status 0 only when all pass.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --test
# Chromium and Node.js were just installed: the browser tests must run, not skip. (Not a JARIP_*
# name: jarip refuses environment variables that name no configuration key.)
export REQUIRE_BROWSER_TESTS=1
start=$(date +%s)
BUILD_DIR=build ./scripts/build.sh
(cd build && ctest --output-on-failure -j2 --timeout 900)
echo "tests: $(( $(date +%s) - start )) s so far"
if [[ ${JARIP_SKIP_SANITIZE:-} != 1 ]]; then ./scripts/sanitize.sh; fi
echo "tests: $(( $(date +%s) - start )) s so far"
if [[ ${JARIP_SKIP_FUZZ:-} != 1 ]]; then ./scripts/fuzz.sh "${JARIP_FUZZ_SECONDS:-20}"; fi
echo "all tests passed in $(( $(date +%s) - start )) s"
