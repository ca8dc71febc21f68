#include "notify/backoff.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <vector>

namespace jarip::notify {
namespace {

Backoff fixed(BackoffPolicy policy, double u) {
  return Backoff(policy, [u] { return u; });
}

TEST(Backoff, CeilingDoublesFromBaseUpToCap) {
  Backoff backoff = fixed({.base_ms = 100, .cap_ms = 1'000}, 0.0);
  std::vector<TimeMs> ceilings;
  for (int attempt = 0; attempt < 6; ++attempt) ceilings.push_back(backoff.ceiling_ms(attempt));
  EXPECT_EQ(ceilings, (std::vector<TimeMs>{100, 200, 400, 800, 1'000, 1'000}));
}

TEST(Backoff, HugeAndNegativeAttemptsStayInRange) {
  Backoff backoff = fixed({.base_ms = 1'000, .cap_ms = std::numeric_limits<TimeMs>::max()}, 0.5);
  EXPECT_EQ(backoff.ceiling_ms(-3), 1'000);
  EXPECT_EQ(backoff.ceiling_ms(1'000'000), std::numeric_limits<TimeMs>::max());
  EXPECT_GE(backoff.delay_ms(1'000'000), 0);
}

TEST(Backoff, DelaySpansZeroToCeilingInclusive) {
  BackoffPolicy policy{.base_ms = 100, .cap_ms = 10'000};
  EXPECT_EQ(fixed(policy, 0.0).delay_ms(3), 0);
  EXPECT_EQ(fixed(policy, 0.5).delay_ms(3), 400);  // ceiling 800, 801 slots
  EXPECT_EQ(fixed(policy, 0.999999999).delay_ms(3), 800);
}

TEST(Backoff, OutOfRangeRandomnessIsClamped) {
  BackoffPolicy policy{.base_ms = 100, .cap_ms = 10'000};
  EXPECT_EQ(fixed(policy, -1.0).delay_ms(0), 0);
  EXPECT_EQ(fixed(policy, 1.0).delay_ms(0), 100);
  EXPECT_EQ(fixed(policy, 7.0).delay_ms(0), 100);
}

TEST(Backoff, SeededIsDeterministicAndJittered) {
  BackoffPolicy policy{.base_ms = 1'000, .cap_ms = 60'000};
  Backoff a = Backoff::seeded(policy, 42);
  Backoff b = Backoff::seeded(policy, 42);
  Backoff c = Backoff::seeded(policy, 43);
  std::vector<TimeMs> from_a, from_b, from_c;
  for (int i = 0; i < 50; ++i) {
    from_a.push_back(a.delay_ms(4));
    from_b.push_back(b.delay_ms(4));
    from_c.push_back(c.delay_ms(4));
  }
  EXPECT_EQ(from_a, from_b);
  EXPECT_NE(from_a, from_c);
  for (TimeMs d : from_a) {
    EXPECT_GE(d, 0);
    EXPECT_LE(d, 16'000);
  }
  // Full jitter: draws spread over the interval rather than clustering at the ceiling.
  EXPECT_LT(*std::min_element(from_a.begin(), from_a.end()), 4'000);
  EXPECT_GT(*std::max_element(from_a.begin(), from_a.end()), 12'000);
}

TEST(Backoff, SeededMeanIsHalfTheCeiling) {
  Backoff backoff = Backoff::seeded({.base_ms = 1'000, .cap_ms = 1'000}, 7);
  double sum = 0;
  for (int i = 0; i < 10'000; ++i) sum += static_cast<double>(backoff.delay_ms(0));
  EXPECT_NEAR(sum / 10'000, 500.0, 15.0);
}

TEST(FitsDeadline, BoundaryIsInclusive) {
  EXPECT_TRUE(fits_deadline(1'000, 500, 1'500));
  EXPECT_FALSE(fits_deadline(1'000, 501, 1'500));
  EXPECT_TRUE(fits_deadline(1'000, 0, 1'000));
  EXPECT_FALSE(fits_deadline(1'001, 0, 1'000)) << "already past the deadline";
}

TEST(FitsDeadline, NoOverflow) {
  constexpr TimeMs kMax = std::numeric_limits<TimeMs>::max();
  EXPECT_FALSE(fits_deadline(kMax - 10, 100, kMax - 5));
  EXPECT_TRUE(fits_deadline(0, kMax, kMax));
  EXPECT_FALSE(fits_deadline(1, kMax, kMax));
  EXPECT_TRUE(fits_deadline(std::numeric_limits<TimeMs>::min(), 10, kMax));
  EXPECT_TRUE(fits_deadline(1'000, -50, 1'000)) << "a negative delay means now";
}

}  // namespace
}  // namespace jarip::notify
