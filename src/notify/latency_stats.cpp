#include "notify/latency_stats.hpp"

#include <algorithm>
#include <cmath>

namespace jarip::notify {
namespace {

std::vector<TimeMs> make_bounds() {
  // Whole milliseconds, each about 2^(1/4) times the previous, at least 1 ms apart.
  std::vector<TimeMs> bounds{0, 1};
  while (bounds.back() < 120'000) {
    TimeMs next = std::llround(static_cast<double>(bounds.back()) * 1.189207115002721);
    bounds.push_back(std::max(bounds.back() + 1, next));
  }
  return bounds;
}

std::size_t bucket_of(TimeMs latency_ms) {
  auto bounds = LatencyStats::bucket_bounds();
  return static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), latency_ms) - bounds.begin());
}

}  // namespace

std::span<const TimeMs> LatencyStats::bucket_bounds() {
  static const std::vector<TimeMs> bounds = make_bounds();
  return bounds;
}

LatencyStats::LatencyStats(LatencyWindowConfig config)
    : slice_ms_(std::max<TimeMs>(1, config.window_ms / std::max(1, config.slices))),
      slices_(static_cast<std::size_t>(std::max(1, config.slices))) {}

void LatencyStats::record(TimeMs now_ms, TimeMs latency_ms, bool success) {
  latency_ms = std::max<TimeMs>(0, latency_ms);
  std::int64_t index = now_ms / slice_ms_;
  Slice& slice = slices_[static_cast<std::size_t>(index % static_cast<std::int64_t>(slices_.size()))];
  if (slice.index != index) {
    slice.index = index;
    slice.counts.assign(bucket_bounds().size() + 1, 0);
    slice.successes = slice.failures = 0;
    slice.max_ms = 0;
  }
  ++slice.counts[bucket_of(latency_ms)];
  ++(success ? slice.successes : slice.failures);
  slice.max_ms = std::max(slice.max_ms, latency_ms);
}

LatencyStats::Merged LatencyStats::merge(TimeMs now_ms) const {
  std::int64_t current = now_ms / slice_ms_;
  std::int64_t oldest = current - static_cast<std::int64_t>(slices_.size()) + 1;
  Merged merged;
  merged.counts.assign(bucket_bounds().size() + 1, 0);
  for (const Slice& slice : slices_) {
    if (slice.index < oldest || slice.index > current) continue;
    for (std::size_t i = 0; i < slice.counts.size(); ++i) merged.counts[i] += slice.counts[i];
    merged.successes += slice.successes;
    merged.failures += slice.failures;
    merged.max_ms = std::max(merged.max_ms, slice.max_ms);
  }
  return merged;
}

std::optional<TimeMs> LatencyStats::quantile(const Merged& merged, double q) {
  std::uint64_t total = merged.successes + merged.failures;
  if (total == 0) return std::nullopt;
  q = std::clamp(q, 0.0, 1.0);
  // Nearest rank: the smallest latency with at least q of the samples at or below it.
  auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total))));
  auto bounds = bucket_bounds();
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < merged.counts.size(); ++i) {
    seen += merged.counts[i];
    if (seen < rank) continue;
    return i < bounds.size() ? std::min(bounds[i], merged.max_ms) : merged.max_ms;
  }
  return merged.max_ms;
}

std::optional<TimeMs> LatencyStats::percentile(TimeMs now_ms, double q) const {
  return quantile(merge(now_ms), q);
}

LatencySummary LatencyStats::summary(TimeMs now_ms) const {
  Merged merged = merge(now_ms);
  LatencySummary summary;
  summary.successes = merged.successes;
  summary.failures = merged.failures;
  summary.count = merged.successes + merged.failures;
  if (summary.count == 0) return summary;
  summary.success_ratio = static_cast<double>(merged.successes) / static_cast<double>(summary.count);
  summary.p50_ms = *quantile(merged, 0.5);
  summary.p99_ms = *quantile(merged, 0.99);
  summary.max_ms = merged.max_ms;
  return summary;
}

}  // namespace jarip::notify
