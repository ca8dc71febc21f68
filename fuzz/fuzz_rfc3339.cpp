// libFuzzer target for text::parse_rfc3339 ("send_at" of POST /v1/messages).
// Build: cmake -DJARIP_FUZZ=ON with clang (scripts/fuzz.sh).
// Each input is used twice:
//  1. as the text itself: the parser must not crash or hit undefined behaviour, and it must accept the
//     text exactly when it is a strictly well-formed RFC 3339 date-time (checked independently here),
//     with the instant std::chrono computes for it;
//  2. as the seed of a well-formed date-time (any year 0000-9999, real calendar day, 'T' or 't',
//     0-9 fraction digits, Z/z or a ±hh:mm offset) that is formatted and parsed back: it must give the
//     std::chrono instant, to the millisecond (fractions truncated, as documented nowhere else).
// Text that is NOT strictly well-formed must be refused ("nullopt when malformed", compose.hpp): the
// parser once accepted "2026-02-31T…" (as 3 March) and sscanf leniencies (fuzz/crashes/fuzz_rfc3339/).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "text/kst.hpp"
#include "fuzz_support.hpp"

namespace {

using jarip::TimeMs;

// Civil date-time → Unix milliseconds, by std::chrono (the reference).
TimeMs reference_ms(int y, int mo, int d, int h, int mi, int s, int frac_ms, int offset_min) {
  using namespace std::chrono;
  const sys_days day = year_month_day{year{y}, month{static_cast<unsigned>(mo)}, std::chrono::day{static_cast<unsigned>(d)}};
  const long long secs = day.time_since_epoch().count() * 86400LL + h * 3600LL + mi * 60LL + s - offset_min * 60LL;
  return secs * 1000 + frac_ms;
}

bool valid_civil(int y, int mo, int d) {
  using namespace std::chrono;
  return year_month_day{year{y}, month{static_cast<unsigned>(mo)}, std::chrono::day{static_cast<unsigned>(d)}}.ok();
}

// Strict RFC 3339 date-time: YYYY-MM-DD(T|t)hh:mm:ss[.frac](Z|z|±hh:mm), real calendar day, seconds
// 00-59 (no leap second, as parse_rfc3339 decides), offset hours 00-23 and minutes 00-59, 1-9 fraction
// digits. Returns the reference instant, or nullopt.
std::optional<TimeMs> strict_reference(std::string_view t) {
  auto digits = [&](std::size_t pos, std::size_t n, int& out) {
    if (pos + n > t.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      out = out * 10 + (t[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!digits(0, 4, y) || t.size() < 19 || t[4] != '-' || !digits(5, 2, mo) || t[7] != '-' || !digits(8, 2, d) ||
      (t[10] != 'T' && t[10] != 't') || !digits(11, 2, h) || t[13] != ':' || !digits(14, 2, mi) || t[16] != ':' || !digits(17, 2, s)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || !valid_civil(y, mo, d) || h > 23 || mi > 59 || s > 59) return std::nullopt;
  std::size_t i = 19;
  int frac_ms = 0;
  if (i < t.size() && t[i] == '.') {
    std::size_t start = ++i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      if (i - start < 3) frac_ms = frac_ms * 10 + (t[i] - '0');
      ++i;
    }
    // RFC 3339 sets no limit; 1-9 digits (to the nanosecond) is what anyone sends.
    if (i == start || i - start > 9) return std::nullopt;
    for (std::size_t n = i - start; n < 3; ++n) frac_ms *= 10;
  }
  std::string_view rest = t.substr(i);
  int offset_min = 0;
  if (rest == "Z" || rest == "z") {
    offset_min = 0;
  } else {
    int oh, om;
    if (rest.size() != 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':' || !digits(i + 1, 2, oh) ||
        !digits(i + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_min = (oh * 60 + om) * (rest[0] == '-' ? -1 : 1);
  }
  return reference_ms(y, mo, d, h, mi, s, frac_ms, offset_min);
}

// Reads bits from the fuzz input, cycling; zeros once it is empty.
struct Bits {
  const uint8_t* data;
  size_t size;
  size_t pos = 0;
  unsigned take(unsigned modulo) {
    if (size == 0) return 0;
    unsigned v = data[pos % size] | (data[(pos + 1) % size] << 8);
    pos += 2;
    return v % modulo;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // 1. The text itself.
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto parsed = jarip::text::parse_rfc3339(text);
  const auto expected = strict_reference(text);
  if (expected) check(parsed && *parsed == *expected);
  check(parsed.has_value() == expected.has_value());

  // 2. A well-formed date-time built from the input.
  Bits bits{data, size};
  const int y = static_cast<int>(bits.take(10000));
  const int mo = static_cast<int>(bits.take(12)) + 1;
  int d = static_cast<int>(bits.take(31)) + 1;
  while (!valid_civil(y, mo, d)) --d;
  const int h = static_cast<int>(bits.take(24)), mi = static_cast<int>(bits.take(60)), s = static_cast<int>(bits.take(60));
  const int frac_digits = static_cast<int>(bits.take(10));
  std::string frac;
  int frac_ms = 0;
  for (int i = 0; i < frac_digits; ++i) {
    const int digit = static_cast<int>(bits.take(10));
    frac.push_back(static_cast<char>('0' + digit));
    if (i < 3) frac_ms = frac_ms * 10 + digit;
  }
  for (int i = frac_digits; i < 3; ++i) frac_ms *= 10;
  char head[32];
  std::snprintf(head, sizeof head, "%04d-%02d-%02d%c%02d:%02d:%02d", y, mo, d, bits.take(2) ? 'T' : 't', h, mi, s);
  std::string built = head;
  if (frac_digits > 0) built += "." + frac;
  int offset_min = 0;
  switch (bits.take(3)) {
    case 0: built += "Z"; break;
    case 1: built += "z"; break;
    default: {
      const int oh = static_cast<int>(bits.take(24)), om = static_cast<int>(bits.take(60));
      const bool negative = bits.take(2) == 1;
      char off[8];
      std::snprintf(off, sizeof off, "%c%02d:%02d", negative ? '-' : '+', oh, om);
      built += off;
      offset_min = (oh * 60 + om) * (negative ? -1 : 1);
    }
  }
  const auto round_trip = jarip::text::parse_rfc3339(built);
  check(round_trip.has_value());
  check(*round_trip == reference_ms(y, mo, d, h, mi, s, frac_ms, offset_min));
  check(strict_reference(built) == round_trip);
  return 0;
}
