#include "notify/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

namespace jarip::notify {

Backoff::Backoff(BackoffPolicy policy, UniformSource uniform) : policy_(policy), uniform_(std::move(uniform)) {}

Backoff Backoff::seeded(BackoffPolicy policy, std::uint64_t seed) {
  // shared_ptr keeps the engine alive in the copyable std::function.
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return Backoff(policy, [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); });
}

TimeMs Backoff::ceiling_ms(int attempt) const {
  TimeMs ceiling = policy_.base_ms;
  for (int i = 0; i < attempt && ceiling < policy_.cap_ms; ++i) {
    // Doubling stops at the cap, so it never gets near overflow.
    ceiling = ceiling > policy_.cap_ms / 2 ? policy_.cap_ms : ceiling * 2;
  }
  return std::min(ceiling, policy_.cap_ms);
}

TimeMs Backoff::delay_ms(int attempt) {
  TimeMs ceiling = ceiling_ms(attempt);
  double u = std::clamp(uniform_(), 0.0, std::nextafter(1.0, 0.0));
  // (ceiling + 1) buckets so that the ceiling itself can be drawn.
  double scaled = std::floor(u * (static_cast<double>(ceiling) + 1.0));
  // Compared in double first: a ceiling near INT64_MAX does not survive the round trip.
  if (scaled >= static_cast<double>(ceiling)) return ceiling;
  return static_cast<TimeMs>(scaled);
}

bool fits_deadline(TimeMs now_ms, TimeMs delay_ms, TimeMs deadline_ms) {
  TimeMs start = 0;
  // An attempt time past the end of TimeMs is past every deadline.
  if (__builtin_add_overflow(now_ms, std::max<TimeMs>(0, delay_ms), &start)) return false;
  return start <= deadline_ms;
}

}  // namespace jarip::notify
