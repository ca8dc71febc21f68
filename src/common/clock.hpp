// Time is injected so that breakers, backoff, leases, quiet hours and expiry are tested with a fake
// clock instead of sleeps. All times are milliseconds since the Unix epoch (UTC).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace jarip {

using TimeMs = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimeMs now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimeMs start = 1'700'000'000'000) : now_(start) {}
  TimeMs now_ms() const override { return now_.load(); }
  void advance_ms(TimeMs delta) { now_ += delta; }
  void set_ms(TimeMs t) { now_ = t; }

 private:
  std::atomic<TimeMs> now_;
};

}  // namespace jarip
