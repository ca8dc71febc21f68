// Korea Standard Time: UTC+09:00 all year. Korea has not observed daylight saving time since 1988,
// so a fixed offset is exact for every time jarip handles and no time-zone database is needed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.hpp"

namespace jarip::text {

inline constexpr TimeMs kKstOffsetMs = 9LL * 60 * 60 * 1000;
inline constexpr TimeMs kDayMs = 24LL * 60 * 60 * 1000;

// A wall-clock time in KST. Valid for every TimeMs (years may be negative or very large).
struct KstTime {
  std::int64_t year = 1970;
  int month = 1;   // 1–12
  int day = 1;     // 1–31
  int hour = 0;    // 0–23
  int minute = 0;  // 0–59
  int second = 0;  // 0–59
  int millisecond = 0;
};

KstTime to_kst(TimeMs time);

// Milliseconds since KST midnight, 0 … 86,399,999.
TimeMs kst_ms_of_day(TimeMs time);

// ISO 8601 with the offset, to the second (milliseconds dropped, not rounded):
// 0 → "1970-01-01T09:00:00+09:00".
std::string format_kst(TimeMs time);
// The same with milliseconds ("2026-11-25T09:00:00.123+09:00"); empty for 0 (never happened).
std::string format_kst_ms(TimeMs time);

// Parses "2026-11-25T10:00:00+09:00" (RFC 3339, any offset or Z, optional fraction) strictly: a
// day that does not exist or any stray character is nullopt, never some other time.
std::optional<TimeMs> parse_rfc3339(const std::string& text);

}  // namespace jarip::text
