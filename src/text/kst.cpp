#include "text/kst.hpp"

#include <cinttypes>
#include <cstdio>

namespace jarip::text {
namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Days since 1970-01-01 → proleptic Gregorian date (Howard Hinnant's civil_from_days).
void civil_from_days(std::int64_t days, std::int64_t& year, int& month, int& day) {
  days += 719468;
  const std::int64_t era = floor_div(days, 146097);
  const std::int64_t day_of_era = days - era * 146097;
  const std::int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t mp = (5 * day_of_year + 2) / 153;
  day = static_cast<int>(day_of_year - (153 * mp + 2) / 5 + 1);
  month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
}

// UTC time → (days since the epoch, ms into that UTC day) without multiplying back, so that no
// TimeMs, INT64_MIN and INT64_MAX included, overflows.
void split_days(TimeMs time, std::int64_t& days, TimeMs& ms_of_day) {
  days = time / kDayMs;
  ms_of_day = time % kDayMs;
  if (ms_of_day < 0) {
    ms_of_day += kDayMs;
    --days;
  }
}

}  // namespace

// The offset is added after splitting into days, for the same reason.
KstTime to_kst(TimeMs time) {
  std::int64_t days;
  TimeMs ms_of_day;
  split_days(time, days, ms_of_day);
  ms_of_day += kKstOffsetMs;
  if (ms_of_day >= kDayMs) {
    ms_of_day -= kDayMs;
    ++days;
  }
  KstTime kst;
  civil_from_days(days, kst.year, kst.month, kst.day);
  kst.hour = static_cast<int>(ms_of_day / 3'600'000);
  kst.minute = static_cast<int>(ms_of_day / 60'000 % 60);
  kst.second = static_cast<int>(ms_of_day / 1000 % 60);
  kst.millisecond = static_cast<int>(ms_of_day % 1000);
  return kst;
}

TimeMs kst_ms_of_day(TimeMs time) {
  std::int64_t days;
  TimeMs ms_of_day;
  split_days(time, days, ms_of_day);
  ms_of_day += kKstOffsetMs;
  return ms_of_day >= kDayMs ? ms_of_day - kDayMs : ms_of_day;
}

std::string format_kst(TimeMs time) {
  const KstTime t = to_kst(time);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d+09:00", t.year, t.month, t.day,
                t.hour, t.minute, t.second);
  return buffer;
}

}  // namespace jarip::text
