#include "notify/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace jarip::notify {
namespace {

constexpr TimeMs kStart = 1'700'000'000'000;

TEST(TokenBucket, StartsFullAndGrantsUpToBurst) {
  TokenBucket bucket(10.0, 5, kStart);
  EXPECT_EQ(bucket.available(kStart), 5u);
  EXPECT_EQ(bucket.try_take(kStart, 3), 3u);
  EXPECT_EQ(bucket.try_take(kStart, 3), 2u) << "partial grant";
  EXPECT_EQ(bucket.try_take(kStart, 1), 0u);
}

TEST(TokenBucket, RefillsAtRateAndCapsAtBurst) {
  TokenBucket bucket(10.0, 5, kStart);  // one token per 100 ms
  ASSERT_EQ(bucket.try_take(kStart, 5), 5u);
  EXPECT_EQ(bucket.try_take(kStart + 99, 1), 0u);
  EXPECT_EQ(bucket.try_take(kStart + 100, 1), 1u);
  EXPECT_EQ(bucket.available(kStart + 100 + 60'000), 5u);
}

TEST(TokenBucket, NextAvailableIsExactlyEnough) {
  TokenBucket bucket(3.0, 4, kStart);  // 333.33… ms per token: a rounding trap
  ASSERT_EQ(bucket.try_take(kStart, 4), 4u);
  TimeMs now = kStart;
  for (int i = 0; i < 100; ++i) {
    TimeMs at = bucket.next_available_ms(now, 2);
    ASSERT_GT(at, now);
    EXPECT_LT(bucket.available(at - 1), 2u) << "not before";
    ASSERT_EQ(bucket.try_take(at, 2), 2u) << "but at it, at step " << i;
    now = at;
  }
  // 200 tokens at 3/s take 66.67 s.
  EXPECT_NEAR(static_cast<double>(now - kStart), 66'667.0, 2.0);
}

TEST(TokenBucket, NextAvailableIsNowWhenTokensAreThere) {
  TokenBucket bucket(1.0, 10, kStart);
  EXPECT_EQ(bucket.next_available_ms(kStart, 10), kStart);
}

TEST(TokenBucket, RequestAboveBurstWaitsForBurst) {
  TokenBucket bucket(10.0, 5, kStart);
  ASSERT_EQ(bucket.try_take(kStart, 5), 5u);
  EXPECT_EQ(bucket.next_available_ms(kStart, 50), kStart + 500);
  EXPECT_EQ(bucket.try_take(kStart + 500, 50), 5u);
}

TEST(TokenBucket, SlowRates) {
  TokenBucket bucket(0.5, 1, kStart);  // one token every 2 s
  ASSERT_EQ(bucket.try_take(kStart, 1), 1u);
  EXPECT_EQ(bucket.next_available_ms(kStart, 1), kStart + 2'000);
  EXPECT_EQ(bucket.try_take(kStart + 1'999, 1), 0u);
  EXPECT_EQ(bucket.try_take(kStart + 2'000, 1), 1u);
}

TEST(TokenBucket, SustainedRateOverAMinute) {
  TokenBucket bucket(50.0, 10, kStart);
  std::uint64_t granted = 0;
  for (TimeMs t = kStart; t < kStart + 60'000; t += 7) granted += bucket.try_take(t, 3);
  // The burst plus 60 s at 50/s.
  EXPECT_NEAR(static_cast<double>(granted), 10 + 3'000, 1);
}

TEST(TokenBucket, ClockGoingBackwardsGrantsNothingExtra) {
  TokenBucket bucket(10.0, 2, kStart);
  ASSERT_EQ(bucket.try_take(kStart, 2), 2u);
  EXPECT_EQ(bucket.try_take(kStart - 5'000, 1), 0u);
  EXPECT_EQ(bucket.next_available_ms(kStart - 5'000, 1), kStart + 100);
  EXPECT_EQ(bucket.try_take(kStart + 100, 1), 1u);
}

TEST(TokenBucket, LongIdleDoesNotOverflow) {
  TokenBucket bucket(1'000'000.0, 100, 0);
  ASSERT_EQ(bucket.try_take(0, 100), 100u);
  EXPECT_EQ(bucket.try_take(std::numeric_limits<TimeMs>::max() / 2, 1'000), 100u);
}

}  // namespace
}  // namespace jarip::notify
