#include "customers/customer.hpp"

#include <cinttypes>
#include <cstdint>
#include <cstdio>

#include "text/kst.hpp"

namespace jarip::customers {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// ---- dates ----

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap_year(y) ? 29 : kDays[m - 1];
}

// A cursor over the value with the few primitives the date grammar needs.
struct Scanner {
  std::string_view s;
  std::size_t i = 0;

  bool done() const { return i >= s.size(); }
  bool eat(char c) {
    if (done() || s[i] != c) return false;
    ++i;
    return true;
  }
  // ASCII case-insensitive for letters; exact for UTF-8 text such as "오후".
  bool eat(std::string_view word) {
    if (s.size() - i < word.size() || !iequals(s.substr(i, word.size()), word)) return false;
    i += word.size();
    return true;
  }
  std::size_t spaces() {
    const std::size_t start = i;
    while (!done() && s[i] == ' ') ++i;
    return i - start;
  }
  // min–max digits; false (and nothing consumed) when fewer than min.
  bool number(std::size_t min, std::size_t max, int& out) {
    std::size_t n = 0;
    int value = 0;
    while (n < max && i + n < s.size() && is_digit(s[i + n])) value = value * 10 + (s[i + n++] - '0');
    if (n < min) return false;
    if (i + n < s.size() && is_digit(s[i + n])) return false;  // more digits than max
    i += n;
    out = value;
    return true;
  }
};

Error invalid_date(std::string why) {
  return make_error("invalid_date",
                    "invalid date: " + why +
                        " (write RFC 3339, \"2024-03-05T14:30:00+09:00\", or \"2024-03-05 14:30\", \"2024.03.05\")");
}

}  // namespace

bool is_consent_channel(std::string_view channel) {
  for (std::string_view c : kConsentChannels) {
    if (c == channel) return true;
  }
  return false;
}

bool is_consent_purpose(std::string_view purpose) {
  for (std::string_view p : kConsentPurposes) {
    if (p == purpose) return true;
  }
  return false;
}

std::string_view trim_blanks(std::string_view v) {
  for (;;) {
    if (!v.empty() && (v.front() == ' ' || (v.front() >= '\t' && v.front() <= '\r'))) {
      v.remove_prefix(1);
    } else if (v.substr(0, 2) == "\xC2\xA0") {
      v.remove_prefix(2);
    } else if (v.substr(0, 3) == "\xE3\x80\x80") {
      v.remove_prefix(3);
    } else {
      break;
    }
  }
  for (;;) {
    if (!v.empty() && (v.back() == ' ' || (v.back() >= '\t' && v.back() <= '\r'))) {
      v.remove_suffix(1);
    } else if (v.size() >= 2 && v.substr(v.size() - 2) == "\xC2\xA0") {
      v.remove_suffix(2);
    } else if (v.size() >= 3 && v.substr(v.size() - 3) == "\xE3\x80\x80") {
      v.remove_suffix(3);
    } else {
      break;
    }
  }
  return v;
}

Result<std::string> normalize_locale(std::string_view value) {
  std::string v = lower_ascii(trim_blanks(value));
  for (char& c : v) {
    if (c == '_') c = '-';
  }
  auto is = [&](std::initializer_list<std::string_view> names) {
    for (std::string_view n : names) {
      if (v == n) return true;
    }
    return false;
  };
  auto has_prefix = [&](std::string_view p) { return v.size() > p.size() && v.compare(0, p.size(), p) == 0; };
  if (is({"ko", "kor", "korean", "한국어", "한국"}) || has_prefix("ko-")) return std::string("ko");
  if (is({"en", "eng", "english", "영어"}) || has_prefix("en-")) return std::string("en");
  return make_error("invalid_locale", v.empty() ? "the locale is empty: write ko or en"
                                                : "unknown locale: write ko (Korean) or en (English)");
}

Result<std::string> normalize_email(std::string_view value) {
  const std::string_view v = trim_blanks(value);
  auto invalid = [](std::string why) { return make_error("invalid_email", "invalid e-mail address: " + why); };
  if (v.empty()) return invalid("empty");
  if (v.size() > 254) return invalid("longer than 254 bytes");
  const std::size_t at = v.find('@');
  if (at == std::string_view::npos) return invalid("no @");
  if (v.find('@', at + 1) != std::string_view::npos) return invalid("more than one @");
  const std::string_view local = v.substr(0, at);
  const std::string_view domain = v.substr(at + 1);

  if (local.empty()) return invalid("nothing before the @");
  if (local.size() > 64) return invalid("the part before the @ is longer than 64 bytes");
  static constexpr std::string_view kAtext = "!#$%&'*+/=?^_`{|}~-";
  for (std::size_t i = 0; i < local.size(); ++i) {
    const char c = local[i];
    if (c == '.') {
      if (i == 0 || i + 1 == local.size() || local[i + 1] == '.') {
        return invalid("a dot may not start or end the part before the @, or follow another dot");
      }
    } else if (!is_alpha(c) && !is_digit(c) && kAtext.find(c) == std::string_view::npos) {
      return invalid(static_cast<unsigned char>(c) >= 0x80 ? "non-ASCII character before the @"
                                                           : "character not allowed before the @ (space, quote, comma, …)");
    }
  }

  if (domain.empty()) return invalid("nothing after the @");
  std::size_t labels = 0;
  std::string_view last;
  for (std::size_t start = 0;;) {
    const std::size_t dot = domain.find('.', start);
    const std::string_view label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return invalid("empty label in the domain (two dots, or a dot at either end)");
    if (label.size() > 63) return invalid("a domain label is longer than 63 bytes");
    if (label.front() == '-' || label.back() == '-') return invalid("a domain label starts or ends with a hyphen");
    for (char c : label) {
      if (!is_alpha(c) && !is_digit(c) && c != '-' && static_cast<unsigned char>(c) < 0x80) {
        return invalid("character not allowed in the domain");
      }
    }
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (labels < 2) return invalid("the domain needs a dot (example.com)");
  bool all_digits = true;
  for (char c : last) all_digits = all_digits && is_digit(c);
  if (all_digits) return invalid("the domain ends in a number (IP addresses are not accepted)");
  return std::string(local) + "@" + lower_ascii(domain);
}

Result<std::optional<bool>> parse_consent_value(std::string_view value) {
  const std::string v = lower_ascii(trim_blanks(value));
  if (v.empty()) return std::optional<bool>();
  for (std::string_view yes : {"y", "yes", "1", "true", "o", "○", "동의", "예", "수신"}) {
    if (v == yes) return std::optional<bool>(true);
  }
  for (std::string_view no : {"n", "no", "0", "false", "x", "×", "거부", "아니오", "아니요", "미동의", "비동의", "수신거부"}) {
    if (v == no) return std::optional<bool>(false);
  }
  return make_error("invalid_consent_value",
                    "invalid consent value: write Y or N (also 1/0, true/false, O/X, 동의/거부); leave the cell "
                    "empty when there is no record");
}

Result<std::string> normalize_consent_time(std::string_view value) {
  Scanner in{trim_blanks(value)};
  if (in.s.empty()) return invalid_date("empty");
  int year = 0, month = 0, day = 0;
  if (!in.number(4, 4, year)) return invalid_date("it must start with a 4-digit year");
  if (in.done()) return invalid_date("no month and day");
  const char sep = in.s[in.i];
  if (sep != '-' && sep != '.' && sep != '/') return invalid_date("the year must be followed by -, . or /");
  ++in.i;
  if (sep == '.') in.spaces();
  if (!in.number(1, 2, month) || !in.eat(sep)) return invalid_date("bad month");
  if (sep == '.') in.spaces();
  if (!in.number(1, 2, day)) return invalid_date("bad day");
  if (sep == '.') in.eat('.');  // "2024. 3. 5." as Korean locales print dates
  if (year < 1900) return invalid_date("year before 1900");
  if (month < 1 || month > 12) return invalid_date("month out of range");
  if (day < 1 || day > days_in_month(year, month)) return invalid_date("no such day");

  int hour = 0, minute = 0, second = 0, millis = 0;
  int offset_minutes = 9 * 60;  // KST unless the value says otherwise
  if (!in.done()) {
    const bool t_separator = sep == '-' && (in.eat('T') || in.eat('t'));
    if (!t_separator && in.spaces() == 0) return invalid_date("unexpected text after the date");
    int meridiem = 0;  // 1 = AM, 2 = PM
    if (!t_separator) {
      if (in.eat("오전")) meridiem = 1;
      else if (in.eat("오후")) meridiem = 2;
      if (meridiem != 0) in.spaces();
    }
    if (!in.number(1, 2, hour) || !in.eat(':') || !in.number(2, 2, minute)) return invalid_date("bad time (HH:MM)");
    if (in.eat(':')) {
      if (!in.number(2, 2, second)) return invalid_date("bad seconds");
      if (in.eat('.')) {
        std::size_t digits = 0;
        while (!in.done() && is_digit(in.s[in.i])) {
          if (digits < 3) millis = millis * 10 + (in.s[in.i] - '0');
          ++digits;
          ++in.i;
        }
        if (digits == 0 || digits > 9) return invalid_date("bad fraction of a second");
        for (std::size_t n = digits; n < 3; ++n) millis *= 10;
      }
    }
    if (meridiem == 0 && !t_separator) {
      const std::size_t before = in.i;
      in.spaces();
      if (in.eat("AM")) meridiem = 1;
      else if (in.eat("PM")) meridiem = 2;
      else in.i = before;
    }
    if (in.eat('Z') || in.eat('z')) {
      offset_minutes = 0;
    } else if (!in.done() && (in.s[in.i] == '+' || in.s[in.i] == '-')) {
      const bool negative = in.s[in.i++] == '-';
      int oh = 0, om = 0;
      if (!in.number(2, 2, oh) || !in.eat(':') || !in.number(2, 2, om) || oh > 23 || om > 59) {
        return invalid_date("bad offset (+HH:MM)");
      }
      offset_minutes = (oh * 60 + om) * (negative ? -1 : 1);
    }
    if (!in.done()) return invalid_date("unexpected text after the time");
    if (meridiem != 0) {
      if (hour < 1 || hour > 12) return invalid_date("hour out of range for AM/PM (1-12)");
      hour = hour % 12 + (meridiem == 2 ? 12 : 0);
    }
    if (hour > 23) return invalid_date("hour out of range");
    if (minute > 59) return invalid_date("minute out of range");
    if (second > 59) return invalid_date("second out of range");
  }

  const TimeMs ms = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * text::kDayMs +
                    ((hour * 60LL + minute) * 60 + second) * 1000 + millis - offset_minutes * 60'000LL;
  const text::KstTime k = text::to_kst(ms);
  if (k.year < 1900 || k.year > 9999) return invalid_date("year out of range once converted to KST");
  char buffer[48];
  if (k.millisecond != 0) {
    std::snprintf(buffer, sizeof buffer, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03d+09:00", k.year, k.month, k.day,
                  k.hour, k.minute, k.second, k.millisecond);
  } else {
    std::snprintf(buffer, sizeof buffer, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d+09:00", k.year, k.month, k.day,
                  k.hour, k.minute, k.second);
  }
  return std::string(buffer);
}

}  // namespace jarip::customers
