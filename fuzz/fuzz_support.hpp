// Shared by the fuzz targets: invariant checks that abort (so libFuzzer records the input as a
// crash) and name the invariant, and "known findings" — invariants that the code under test is
// known to break today (fuzz/crashes/README.md). Those are checked only when JARIP_FUZZ_STRICT=1,
// so that a known bug does not stop every fuzzing run in its first seconds; scripts/fuzz.sh replays
// their reproducers in strict mode, and a target stays failed until its finding is fixed.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace jarip::fuzz {

inline bool strict_mode() {
  static const bool strict = [] {
    const char* v = std::getenv("JARIP_FUZZ_STRICT");
    return v != nullptr && std::string_view(v) == "1";
  }();
  return strict;
}

}  // namespace jarip::fuzz

#define JARIP_FUZZ_FAIL(kind, condition)                                                                   \
  do {                                                                                                     \
    std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, kind, #condition);                         \
    std::abort();                                                                                          \
  } while (0)

// An invariant: a violation is a crash. (A macro named check: include this header last.)
#define check(condition)                                                   \
  do {                                                                     \
    if (!(condition)) JARIP_FUZZ_FAIL("invariant failed", condition);      \
  } while (0)

// An invariant the code is known to break (see fuzz/crashes/README.md): a crash only in strict mode.
#define known_finding(condition)                                                                 \
  do {                                                                                           \
    if (jarip::fuzz::strict_mode() && !(condition)) JARIP_FUZZ_FAIL("known finding", condition); \
  } while (0)
