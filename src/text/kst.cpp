#include "text/kst.hpp"

#include <optional>

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

std::optional<TimeMs> parse_rfc3339(const std::string& s) {
  // Strictly "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)": a lenient parser would turn a typo such as
  // 2026-02-31 into some other day instead of an error.
  auto digits = [&](std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, sec;
  if (!digits(0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(5, 2, mo) || s[7] != '-' || !digits(8, 2, d) ||
      (s[10] != 'T' && s[10] != 't') || !digits(11, 2, h) || s[13] != ':' || !digits(14, 2, mi) || s[16] != ':' ||
      !digits(17, 2, sec)) {
    return std::nullopt;
  }
  static const int days_in_month[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month[mo - 1] + (mo == 2 && leap ? 1 : 0) || h > 23 || mi > 59 ||
      sec > 59) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  TimeMs frac_ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 3) frac_ms = frac_ms * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0 || n > 9) return std::nullopt;
    for (; n < 3; ++n) frac_ms *= 10;
  }
  TimeMs offset_min = 0;
  if (pos + 1 == s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    offset_min = 0;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    int oh, om;
    if (!digits(pos + 1, 2, oh) || !digits(pos + 4, 2, om) || oh > 23 || om > 59) return std::nullopt;
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  // Days from civil (Howard Hinnant's algorithm).
  int yy = y - (mo <= 2);
  const int era = (yy >= 0 ? yy : yy - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(yy - era * 400);
  const unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const long long days = era * 146097LL + static_cast<long long>(doe) - 719468;
  return ((days * 86400 + h * 3600 + mi * 60 + sec) - offset_min * 60) * 1000 + frac_ms;
}

std::string format_kst_ms(TimeMs time) {
  if (!time) return {};
  std::string s = format_kst(time);
  auto plus = s.rfind('+');
  if (plus == std::string::npos) return s;
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03d", static_cast<int>(((time % 1000) + 1000) % 1000));
  return s.substr(0, plus) + ms + s.substr(plus);
}

}  // namespace jarip::text
