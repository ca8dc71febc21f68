#include "notify/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace jarip::notify {
namespace {

constexpr std::int64_t kMicro = 1'000'000;

}  // namespace

TokenBucket::TokenBucket(double rate_per_second, std::uint32_t burst, TimeMs now_ms)
    : per_ms_(std::max<std::int64_t>(1, std::llround(rate_per_second * kMicro / 1000.0))),
      capacity_(static_cast<std::int64_t>(std::max<std::uint32_t>(burst, 1)) * kMicro),
      tokens_(capacity_),
      last_ms_(now_ms) {}

std::int64_t TokenBucket::refilled(TimeMs now_ms) const {
  // A clock stepping backwards adds nothing rather than taking tokens away.
  TimeMs elapsed = std::max<TimeMs>(0, now_ms - last_ms_);
  std::int64_t missing = capacity_ - tokens_;
  if (elapsed >= missing / per_ms_ + 1) return capacity_;
  return tokens_ + elapsed * per_ms_;
}

std::uint32_t TokenBucket::try_take(TimeMs now_ms, std::uint32_t n) {
  tokens_ = refilled(now_ms);
  last_ms_ = std::max(last_ms_, now_ms);
  auto granted = static_cast<std::uint32_t>(std::min<std::int64_t>(n, tokens_ / kMicro));
  tokens_ -= static_cast<std::int64_t>(granted) * kMicro;
  return granted;
}

TimeMs TokenBucket::next_available_ms(TimeMs now_ms, std::uint32_t n) const {
  std::int64_t need = std::min<std::int64_t>(static_cast<std::int64_t>(n) * kMicro, capacity_);
  std::int64_t have = refilled(now_ms);
  if (have >= need) return now_ms;
  TimeMs from = std::max(now_ms, last_ms_);
  return from + (need - have + per_ms_ - 1) / per_ms_;
}

std::uint32_t TokenBucket::available(TimeMs now_ms) const {
  return static_cast<std::uint32_t>(refilled(now_ms) / kMicro);
}

}  // namespace jarip::notify
