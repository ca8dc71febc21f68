#include "sim/timefmt.hpp"

#include <cstdio>

namespace jarip::sim {
namespace {

constexpr std::int64_t kKstOffsetMs = 9LL * 3600 * 1000;

std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  int y;
  unsigned m, d, hh, mm, ss, ms;
};

Civil civil_from_ms(std::int64_t t) {
  std::int64_t days = t >= 0 ? t / 86400000 : -((-t + 86399999) / 86400000);
  std::int64_t rem = t - days * 86400000;
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int y = static_cast<int>(yoe) + static_cast<int>(era) * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  Civil c{y + (m <= 2), m, d, 0, 0, 0, 0};
  c.hh = static_cast<unsigned>(rem / 3600000);
  c.mm = static_cast<unsigned>(rem / 60000 % 60);
  c.ss = static_cast<unsigned>(rem / 1000 % 60);
  c.ms = static_cast<unsigned>(rem % 1000);
  return c;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

bool valid_fields(int mo, int d, int h, int mi, int s) {
  return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 60;
}

}  // namespace

std::optional<std::int64_t> parse_iso8601_ms(std::string_view t) {
  int y, mo, d, h, mi, s;
  if (t.size() < 20) return std::nullopt;
  if (!digits(t, 0, 4, y) || t[4] != '-' || !digits(t, 5, 2, mo) || t[7] != '-' || !digits(t, 8, 2, d) ||
      (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || !digits(t, 11, 2, h) || t[13] != ':' ||
      !digits(t, 14, 2, mi) || t[16] != ':' || !digits(t, 17, 2, s))
    return std::nullopt;
  if (!valid_fields(mo, d, h, mi, s)) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t frac_ms = 0;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    int n = 0;
    std::int64_t scale = 100;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      if (n < 3) frac_ms += (t[pos] - '0') * scale, scale /= 10;
      ++pos, ++n;
    }
    if (n == 0) return std::nullopt;
  }
  if (pos >= t.size()) return std::nullopt;  // an offset is required
  std::int64_t offset_ms = 0;
  if (t[pos] == 'Z' || t[pos] == 'z') {
    ++pos;
  } else if (t[pos] == '+' || t[pos] == '-') {
    int sign = t[pos] == '-' ? -1 : 1;
    int oh, om;
    if (!digits(t, pos + 1, 2, oh)) return std::nullopt;
    std::size_t p = pos + 3;
    if (p < t.size() && t[p] == ':') ++p;
    if (!digits(t, p, 2, om) || oh > 23 || om > 59) return std::nullopt;
    offset_ms = sign * (oh * 3600000LL + om * 60000LL);
    pos = p + 2;
  } else {
    return std::nullopt;
  }
  if (pos != t.size()) return std::nullopt;
  std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return days * 86400000 + h * 3600000LL + mi * 60000LL + s * 1000LL + frac_ms - offset_ms;
}

std::optional<std::int64_t> parse_kst_datetime(std::string_view t) {
  int y, mo, d, h, mi, s = 0;
  if (t.size() != 16 && t.size() != 19) return std::nullopt;
  if (!digits(t, 0, 4, y) || t[4] != '-' || !digits(t, 5, 2, mo) || t[7] != '-' || !digits(t, 8, 2, d) ||
      t[10] != ' ' || !digits(t, 11, 2, h) || t[13] != ':' || !digits(t, 14, 2, mi))
    return std::nullopt;
  if (t.size() == 19 && (t[16] != ':' || !digits(t, 17, 2, s))) return std::nullopt;
  if (!valid_fields(mo, d, h, mi, s)) return std::nullopt;
  std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return days * 86400000 + h * 3600000LL + mi * 60000LL + s * 1000LL - kKstOffsetMs;
}

std::string iso_utc_ms(std::int64_t ms) {
  Civil c = civil_from_ms(ms);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u:%02u.%03uZ", c.y, c.m, c.d, c.hh, c.mm, c.ss, c.ms);
  return buf;
}

std::string kst_datetime(std::int64_t ms) {
  Civil c = civil_from_ms(ms + kKstOffsetMs);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02u:%02u:%02u", c.y, c.m, c.d, c.hh, c.mm, c.ss);
  return buf;
}

std::string kst_datetime_t(std::int64_t ms) {
  std::string s = kst_datetime(ms);
  s[10] = 'T';
  return s;
}

std::string kst_compact(std::int64_t ms) {
  Civil c = civil_from_ms(ms + kKstOffsetMs);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d%02u%02u%02u%02u%02u", c.y, c.m, c.d, c.hh, c.mm, c.ss);
  return buf;
}

}  // namespace jarip::sim
