// A token bucket per provider (or per sender number): the provider's documented request rate with
// a burst allowance. It never drops: when tokens run out the caller asks next_available_ms() and
// waits, so that excess load becomes queueing delay instead of provider 429s.
//
// Tokens are kept in integer micro-tokens so that a wait computed by next_available_ms() is always
// enough for the following try_take() (no floating-point shortfall).
// Not thread-safe.
#pragma once

#include <cstdint>

#include "common/clock.hpp"

namespace jarip::notify {

class TokenBucket {
 public:
  // Starts full. REQUIRES: rate_per_second >= 0.001, burst >= 1.
  TokenBucket(double rate_per_second, std::uint32_t burst, TimeMs now_ms);

  // Takes up to n whole tokens; returns how many were granted (0..n).
  std::uint32_t try_take(TimeMs now_ms, std::uint32_t n);

  // The earliest time at which try_take(·, n) grants all n; now_ms if it would now. n above the
  // burst is treated as the burst, since more can never be available at once.
  TimeMs next_available_ms(TimeMs now_ms, std::uint32_t n) const;

  // Whole tokens available at now_ms.
  std::uint32_t available(TimeMs now_ms) const;

 private:
  std::int64_t refilled(TimeMs now_ms) const;  // micro-tokens at now_ms, without storing

  std::int64_t per_ms_;    // micro-tokens added per millisecond
  std::int64_t capacity_;  // micro-tokens
  std::int64_t tokens_;    // micro-tokens at last_ms_
  TimeMs last_ms_;
};

}  // namespace jarip::notify
