// Exponential backoff with "full jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter"):
// delay = uniform(0, min(cap, base × 2^attempt)). Spreading retries over the whole interval keeps a
// provider that just recovered from being hit by every queued retry at the same instant.
//
// Randomness is injected so that tests (and replays) are deterministic.
#pragma once

#include <cstdint>
#include <functional>

#include "common/clock.hpp"

namespace jarip::notify {

struct BackoffPolicy {
  TimeMs base_ms = 1'000;
  TimeMs cap_ms = 300'000;
};

class Backoff {
 public:
  // Returns a value in [0, 1); values outside are clamped.
  using UniformSource = std::function<double()>;

  // REQUIRES: 0 < policy.base_ms <= policy.cap_ms; uniform is callable.
  Backoff(BackoffPolicy policy, UniformSource uniform);
  // Deterministic from seed: the same seed gives the same delays.
  static Backoff seeded(BackoffPolicy policy, std::uint64_t seed);

  // min(cap, base × 2^attempt). attempt counts retries already made: 0 before the first retry.
  // Negative attempts are treated as 0; large ones saturate at the cap without overflow.
  TimeMs ceiling_ms(int attempt) const;

  // A delay drawn uniformly from [0, ceiling_ms(attempt)], both ends included.
  TimeMs delay_ms(int attempt);

 private:
  BackoffPolicy policy_;
  UniformSource uniform_;
};

// Whether an attempt after `delay_ms` from `now_ms` starts no later than `deadline_ms` (the last
// instant an attempt may start, e.g. a message's expiry). Overflow-safe for any inputs.
bool fits_deadline(TimeMs now_ms, TimeMs delay_ms, TimeMs deadline_ms);

}  // namespace jarip::notify
