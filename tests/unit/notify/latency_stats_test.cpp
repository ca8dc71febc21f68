#include "notify/latency_stats.hpp"

#include <gtest/gtest.h>

namespace jarip::notify {
namespace {

constexpr TimeMs kStart = 1'700'000'000'000;

TEST(LatencyStats, BucketsAreLogScaleAndCoverTwoMinutes) {
  auto bounds = LatencyStats::bucket_bounds();
  ASSERT_GT(bounds.size(), 40u);
  EXPECT_EQ(bounds[0], 0);
  EXPECT_EQ(bounds[1], 1);
  EXPECT_GE(bounds.back(), 120'000);
  for (std::size_t i = 1; i < bounds.size(); ++i) {
    ASSERT_GT(bounds[i], bounds[i - 1]);
    if (bounds[i - 1] >= 20) {
      EXPECT_LT(static_cast<double>(bounds[i]) / static_cast<double>(bounds[i - 1]), 1.21) << i;
    }
  }
}

TEST(LatencyStats, EmptyWindow) {
  LatencyStats stats;
  EXPECT_FALSE(stats.percentile(kStart, 0.5).has_value());
  LatencySummary summary = stats.summary(kStart);
  EXPECT_EQ(summary.count, 0u);
  EXPECT_DOUBLE_EQ(summary.success_ratio, 1.0);
}

TEST(LatencyStats, PercentilesWithinOneBucket) {
  LatencyStats stats;
  // 1..1000 ms, once each: p50 = 500, p99 = 990.
  for (TimeMs latency = 1; latency <= 1'000; ++latency) stats.record(kStart, latency, true);
  TimeMs p50 = *stats.percentile(kStart, 0.5);
  TimeMs p99 = *stats.percentile(kStart, 0.99);
  EXPECT_GE(p50, 500);
  EXPECT_LE(p50, 500 * 1.2);
  EXPECT_GE(p99, 990);
  EXPECT_LE(p99, 1'000) << "never above the largest latency seen";
  EXPECT_EQ(*stats.percentile(kStart, 1.0), 1'000);
}

TEST(LatencyStats, TailShowsInP99NotP50) {
  LatencyStats stats;
  for (int i = 0; i < 980; ++i) stats.record(kStart, 40, true);
  for (int i = 0; i < 20; ++i) stats.record(kStart, 5'000, false);
  LatencySummary summary = stats.summary(kStart);
  EXPECT_EQ(summary.count, 1'000u);
  EXPECT_EQ(summary.successes, 980u);
  EXPECT_EQ(summary.failures, 20u);
  EXPECT_DOUBLE_EQ(summary.success_ratio, 0.98);
  EXPECT_LE(summary.p50_ms, 48);
  EXPECT_GE(summary.p50_ms, 40);
  EXPECT_GE(summary.p99_ms, 5'000);
  EXPECT_EQ(summary.max_ms, 5'000);
}

TEST(LatencyStats, OldSlicesLeaveTheWindow) {
  LatencyStats stats({.window_ms = 60'000, .slices = 12});  // 5 s slices
  stats.record(kStart, 3'000, false);
  stats.record(kStart + 30'000, 10, true);
  EXPECT_EQ(stats.summary(kStart + 30'000).count, 2u);
  // 60 s later the first slice is out, the second still in.
  LatencySummary later = stats.summary(kStart + 60'000);
  EXPECT_EQ(later.count, 1u);
  EXPECT_EQ(later.p99_ms, 10);
  EXPECT_DOUBLE_EQ(later.success_ratio, 1.0);
  EXPECT_EQ(stats.summary(kStart + 95'000).count, 0u);
}

TEST(LatencyStats, ReusedSliceStartsEmpty) {
  LatencyStats stats({.window_ms = 10'000, .slices = 2});
  stats.record(kStart, 5'000, true);
  stats.record(kStart + 10'000, 7, true);  // same ring position, new time slice
  LatencySummary summary = stats.summary(kStart + 10'000);
  EXPECT_EQ(summary.count, 1u);
  EXPECT_EQ(summary.max_ms, 7);
}

TEST(LatencyStats, OutOfRangeLatencies) {
  LatencyStats stats;
  stats.record(kStart, -5, true);
  stats.record(kStart, 10'000'000, true);
  EXPECT_EQ(*stats.percentile(kStart, 0.5), 0);
  EXPECT_EQ(*stats.percentile(kStart, 1.0), 10'000'000) << "overflow bucket reports the max seen";
}

}  // namespace
}  // namespace jarip::notify
