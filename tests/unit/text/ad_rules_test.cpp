#include "text/ad_rules.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "vector_file.hpp"

namespace jarip::text {
namespace {

using testing::read_vectors;
using testing::words;

TEST(TextAdRules, FormatVectors) {
  for (const auto& row : read_vectors("ad_format.tsv", 4)) {
    SCOPED_TRACE(row.where());
    const auto expected = words(row.cells[3], 2);
    auto formatted = apply_ad_format_sms(row.cells[0], row.cells[1], row.cells[2]);
    if (expected[0] == "error") {
      ASSERT_FALSE(formatted.ok());
      EXPECT_EQ(formatted.error().code, expected[1]);
      EXPECT_EQ(formatted.error().field, expected[2]);
      continue;
    }
    ASSERT_TRUE(formatted.ok()) << formatted.error().message;
    EXPECT_EQ(*formatted, row.cells[3].substr(3));
    EXPECT_EQ(formatted->rfind(kAdPrefix, 0), 0u);
    auto again = apply_ad_format_sms(*formatted, row.cells[1], row.cells[2]);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *formatted) << "not idempotent";
  }
}

// Test-side parser for "YYYY-MM-DDTHH:MM:SS.mmmZ" (days_from_civil, Howard Hinnant), kept apart
// from the code under test so the two cannot share a mistake.
TimeMs parse_utc(const std::string& s) {
  int y, mo, d, h, mi, sec, ms;
  EXPECT_EQ(std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &y, &mo, &d, &h, &mi, &sec, &ms), 7) << s;
  y -= mo <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const long long yoe = y - era * 400;
  const long long doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const long long days = era * 146097 + doe - 719468;
  return ((days * 24 + h) * 60 + mi) * 60'000LL + sec * 1000LL + ms;
}

TEST(TextAdRules, KstVectors) {
  for (const auto& row : read_vectors("kst.tsv", 4)) {
    SCOPED_TRACE(row.where());
    const TimeMs t = parse_utc(row.cells[0]);
    EXPECT_EQ(format_kst(t), row.cells[1]);
    EXPECT_EQ(in_ad_quiet_hours(t), row.cells[2] == "yes");
    const TimeMs next = next_ad_send_time(t);
    EXPECT_EQ(next, row.cells[3] == "same" ? t : parse_utc(row.cells[3])) << format_kst(next);
    EXPECT_FALSE(in_ad_quiet_hours(next));
  }
}

// Every minute of a day, both sides of midnight UTC: the quiet-hour answer matches the KST hour,
// and the next send time is the first minute that is not quiet.
TEST(TextAdRules, QuietHoursEveryMinute) {
  const TimeMs start = parse_utc("2024-06-01T00:00:00.000Z");
  for (TimeMs t = start; t < start + 2 * kDayMs; t += 60'000) {
    const int hour = to_kst(t).hour;
    ASSERT_EQ(in_ad_quiet_hours(t), hour >= 21 || hour < 8) << format_kst(t);
    TimeMs expected = t;
    while (in_ad_quiet_hours(expected)) expected += 60'000;
    ASSERT_EQ(next_ad_send_time(t), expected) << format_kst(t);
  }
}

TEST(TextAdRules, ExtremeTimesDoNotOverflow) {
  const TimeMs max = std::numeric_limits<TimeMs>::max();
  const TimeMs min = std::numeric_limits<TimeMs>::min();
  EXPECT_GE(next_ad_send_time(max), max - 1);  // saturates
  EXPECT_FALSE(format_kst(max).empty());
  EXPECT_FALSE(format_kst(min).empty());
  EXPECT_GE(next_ad_send_time(min), min);
}

}  // namespace
}  // namespace jarip::text
