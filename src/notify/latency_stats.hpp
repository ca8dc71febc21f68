// Recent latency and success rate of one provider, for routing decisions and the console: p50/p99
// over the last window_ms, not since start-up, so a provider that slowed down a minute ago shows it.
//
// Latencies fall into fixed log-scale buckets (0 ms, then about 19 % apart from 1 ms to a little
// over 2 min), kept per time slice; a query merges the slices still inside the window. A percentile
// is therefore the upper bound of its bucket (never more than the largest latency seen): within one
// bucket width, in constant memory. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/clock.hpp"

namespace jarip::notify {

struct LatencySummary {
  std::uint64_t count = 0;  // successes + failures
  std::uint64_t successes = 0;
  std::uint64_t failures = 0;
  double success_ratio = 1.0;  // 1.0 with no data
  TimeMs p50_ms = 0;           // 0 with no data
  TimeMs p99_ms = 0;
  TimeMs max_ms = 0;
};

struct LatencyWindowConfig {
  TimeMs window_ms = 60'000;
  int slices = 12;  // the window slides in steps of window_ms / slices
};

class LatencyStats {
 public:
  explicit LatencyStats(LatencyWindowConfig config = {});

  // Negative latencies count as 0; latencies beyond the last bucket land in an overflow bucket.
  void record(TimeMs now_ms, TimeMs latency_ms, bool success);

  // The q-quantile (0 < q <= 1) of latencies recorded in (now_ms - window_ms, now_ms];
  // nullopt with no data.
  std::optional<TimeMs> percentile(TimeMs now_ms, double q) const;
  LatencySummary summary(TimeMs now_ms) const;

  // Upper bounds (ms, inclusive) of the buckets, ascending; the overflow bucket follows the last.
  static std::span<const TimeMs> bucket_bounds();

 private:
  struct Slice {
    std::int64_t index = -1;
    std::vector<std::uint32_t> counts;  // bucket_bounds().size() + 1 entries
    std::uint64_t successes = 0;
    std::uint64_t failures = 0;
    TimeMs max_ms = 0;
  };
  struct Merged {
    std::vector<std::uint64_t> counts;
    std::uint64_t successes = 0;
    std::uint64_t failures = 0;
    TimeMs max_ms = 0;
  };

  Merged merge(TimeMs now_ms) const;
  static std::optional<TimeMs> quantile(const Merged& merged, double q);

  TimeMs slice_ms_;
  std::vector<Slice> slices_;
};

}  // namespace jarip::notify
