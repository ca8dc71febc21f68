#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/fuzz_*.cpp) with clang 14 + ASan + UBSan in build-fuzz/ and runs
# each one for SECONDS_PER_TARGET seconds (default 20) from its seed corpus, fuzz/corpus/<target>/.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
#
# The corpus is copied to a temporary directory first, so a run never changes the repository.
# Reproducers of known findings, fuzz/crashes/<target>/*, are replayed after fuzzing with
# JARIP_FUZZ_STRICT=1 (fuzz/fuzz_support.hpp): one that still crashes fails its target (see
# fuzz/crashes/README.md).
# A target fails when the fuzzer reports anything (crash, sanitizer report, failed invariant, leak,
# timeout > 10 s per input, > 2 GiB RSS); the crashing input is kept in build-fuzz/fuzz-artifacts/.
# Prints the executions per target and ends with "N passed, N failed"; exits 1 when any failed.
#
# Environment: JARIP_FUZZ_BUILD_DIR (default build-fuzz), JARIP_FUZZ_JOBS (targets run at once,
# default: number of CPUs), JARIP_FUZZ_TARGETS (space-separated subset, default: all).
set -euo pipefail

seconds="${1:-20}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: $0 [SECONDS_PER_TARGET]" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${JARIP_FUZZ_BUILD_DIR:-$root/build-fuzz}"
jobs="${JARIP_FUZZ_JOBS:-$(nproc)}"
cxx=clang++-14

# --- toolchain ------------------------------------------------------------------------------------
have_toolchain() {
  command -v "$cxx" >/dev/null 2>&1 &&
    compgen -G "/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null
}
if ! have_toolchain; then
  echo "== installing clang-14 and libclang-rt-14-dev"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo -n); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends clang-14 libclang-rt-14-dev >/dev/null
  have_toolchain || { echo "clang-14 with libFuzzer is still missing" >&2; exit 1; }
fi
for symbolizer in /usr/lib/llvm-14/bin/llvm-symbolizer /usr/bin/llvm-symbolizer-14; do
  if [ -x "$symbolizer" ]; then export ASAN_SYMBOLIZER_PATH="$symbolizer"; break; fi
done

# --- build ----------------------------------------------------------------------------------------
start=$(date +%s)
if [ ! -f "$build/build.ninja" ] || ! grep -q '^JARIP_FUZZ:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DJARIP_FUZZ=ON -DJARIP_TESTS=OFF >/dev/null
fi
cmake --build "$build" --target jarip_fuzz
built=$(date +%s)
echo "== fuzz build: $((built - start)) s"

# --- targets --------------------------------------------------------------------------------------
if [ -n "${JARIP_FUZZ_TARGETS:-}" ]; then
  read -r -a targets <<<"$JARIP_FUZZ_TARGETS"
else
  targets=()
  for src in "$root"/fuzz/fuzz_*.cpp; do targets+=("$(basename "$src" .cpp)"); done
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/jarip-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
artifacts="$build/fuzz-artifacts"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Runs one target; writes "<status> <execs> <note>" to $work/<target>/result, its log beside it.
run_target() {
  local t="$1" bin="$build/$1" dir="$work/$1"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  local log="$dir/log"
  if [ ! -x "$bin" ]; then
    echo "FAIL 0 not built" >"$dir/result"
    return
  fi
  if [ -d "$root/fuzz/corpus/$t" ]; then cp -R "$root/fuzz/corpus/$t/." "$dir/corpus/"; fi

  local rc=0
  "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$log" 2>&1 || rc=$?
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  [ -n "$execs" ] || execs=0
  if [ "$rc" -ne 0 ]; then
    mkdir -p "$artifacts/$t"
    cp "$dir"/artifacts/* "$artifacts/$t/" 2>/dev/null || true
    cp "$log" "$artifacts/$t/log"
    echo "FAIL $execs exit $rc, input kept in $artifacts/$t/" >"$dir/result"
    return
  fi

  # Known findings: each reproducer must run clean, with the known-finding invariants on.
  local repro failing=()
  for repro in "$root/fuzz/crashes/$t"/*; do
    [ -f "$repro" ] || continue
    case "$repro" in *.md) continue ;; esac
    if ! JARIP_FUZZ_STRICT=1 "$bin" -timeout=10 -rss_limit_mb=2048 "$repro" >"$dir/replay.log" 2>&1; then
      failing+=("$(basename "$repro")")
      { echo "==== fuzz/crashes/$t/$(basename "$repro")"; cat "$dir/replay.log"; } >>"$log.replay"
    fi
  done
  if [ "${#failing[@]}" -gt 0 ]; then
    mv "$log.replay" "$log"
    echo "FAIL $execs known finding not fixed: fuzz/crashes/$t/{$(IFS=,; echo "${failing[*]}")}" >"$dir/result"
  else
    echo "PASS $execs" >"$dir/result"
  fi
}

echo "== fuzzing ${#targets[@]} targets, ${seconds} s each, ${jobs} at a time"
running=0
for t in "${targets[@]}"; do
  run_target "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

passed=0
failed=0
for t in "${targets[@]}"; do
  read -r status execs note <"$work/$t/result" || { status=FAIL; execs=0; note="no result"; }
  printf '%-24s %s %10s execs%s\n' "$t" "$status" "$execs" "${note:+  ($note)}"
  if [ "$status" = PASS ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    if [ -f "$work/$t/log" ]; then
      echo "---- $t: end of log"
      # The sanitizer's or libFuzzer's report, with the stack.
      grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant failed|known finding|^====' "$work/$t/log" | head -n 20 || true
      grep -E '^ +#[0-9]+ ' "$work/$t/log" | grep -v -E 'libFuzzer|fuzzer::|libc|_start|sanitizer|raise|abort|pthread_kill' | head -n 12 || true
      echo "----"
    fi
  fi
done
echo "== total time: $(($(date +%s) - start)) s (build $((built - start)) s)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
