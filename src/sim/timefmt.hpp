// Date/time text the providers use: ISO 8601 with offset (Solapi's HMAC date), KST wall-clock forms
// (NHN), and the compact stamps inside provider ids. Times are ms since the Unix epoch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jarip::sim {

// "2024-05-01T12:34:56+09:00", "…Z", "…+0900", optional ".123" fraction. nullopt when malformed.
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text);

std::string iso_utc_ms(std::int64_t ms);           // 2024-05-01T03:34:56.789Z
std::string kst_datetime(std::int64_t ms);         // 2024-05-01 12:34:56   (NHN)
std::string kst_datetime_t(std::int64_t ms);       // 2024-05-01T12:34:56   (NHN SMS webhook)
std::string kst_compact(std::int64_t ms);          // 20240501123456        (ids)
// "yyyy-MM-dd HH:mm[:ss]" in KST → ms; nullopt when malformed.
std::optional<std::int64_t> parse_kst_datetime(std::string_view text);

}  // namespace jarip::sim
