#include "channels/wire.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cctype>
#include <charconv>
#include <cstdio>

namespace jarip::channels::wire {

namespace json = boost::json;

// ---- JSON ------------------------------------------------------------------------------------------

std::optional<json::value> parse_json(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec) return std::nullopt;
  return value;
}

std::optional<std::string> text_of(const json::value* value) {
  if (value == nullptr) return std::nullopt;
  switch (value->kind()) {
    case json::kind::string: return std::string(value->get_string());
    case json::kind::int64: return std::to_string(value->get_int64());
    case json::kind::uint64: return std::to_string(value->get_uint64());
    case json::kind::bool_: return std::string(value->get_bool() ? "true" : "false");
    case json::kind::double_: {
      double d = value->get_double();
      // Whole numbers print without a fraction ("3104", not "3104.000000").
      if (d >= -1e15 && d <= 1e15 && d == static_cast<double>(static_cast<long long>(d))) {
        return std::to_string(static_cast<long long>(d));
      }
      return json::serialize(*value);
    }
    default: return std::nullopt;
  }
}

std::optional<std::string> member_text(const json::object& object, std::string_view key) {
  return text_of(object.if_contains(key));
}

const json::object* member_object(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  return v ? v->if_object() : nullptr;
}

const json::array* member_array(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  return v ? v->if_array() : nullptr;
}

std::optional<bool> member_bool(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_bool()) return v->get_bool();
  if (v->is_string()) {
    if (v->get_string() == "true") return true;
    if (v->get_string() == "false") return false;
  }
  return std::nullopt;
}

// ---- URLs, queries, headers --------------------------------------------------------------------------

Result<std::string> normalize_base_url(const std::string& url, const std::string& field) {
  auto invalid = [&](const std::string& why) {
    return make_error("config_invalid", "'" + field + "' " + why, field);
  };
  std::string_view rest = url;
  if (rest.starts_with("https://")) rest.remove_prefix(8);
  else if (rest.starts_with("http://")) rest.remove_prefix(7);
  else return invalid("must start with http:// or https://");
  if (rest.empty() || rest.front() == '/') return invalid("has no host");
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return invalid("contains whitespace or control characters");
    if (c == '?' || c == '#') return invalid("must not carry a query or fragment");
  }
  std::string out = url;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string percent_decode(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && nibble(text[i + 1]) >= 0 && nibble(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(nibble(text[i + 1]) << 4 | nibble(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> query_parameter(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  if (auto hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (percent_decode(key) == name) {
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    }
  }
  return std::nullopt;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::string> find_header(const std::vector<HttpHeader>& headers, std::string_view name) {
  std::string wanted = ascii_lower(name);
  for (const auto& h : headers) {
    if (ascii_lower(h.name) == wanted) return h.value;
  }
  return std::nullopt;
}

// ---- Time --------------------------------------------------------------------------------------------

namespace {

// Howard Hinnant's civil calendar algorithms (public domain), proleptic Gregorian.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp + (mp < 10 ? 3 : -9);
  y += m <= 2;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

std::string format_local(TimeMs ms, int offset_minutes, std::string_view pattern) {
  std::int64_t seconds = floor_div(ms, 1000) + static_cast<std::int64_t>(offset_minutes) * 60;
  std::int64_t days = floor_div(seconds, 86400);
  std::int64_t sod = seconds - days * 86400;
  std::int64_t year;
  unsigned month, day;
  civil_from_days(days, year, month, day);
  int hour = static_cast<int>(sod / 3600), minute = static_cast<int>(sod / 60 % 60), second = static_cast<int>(sod % 60);

  std::string out;
  char buf[16];
  for (std::size_t i = 0; i < pattern.size();) {
    std::string_view rest = pattern.substr(i);
    if (rest.starts_with("yyyy")) {
      std::snprintf(buf, sizeof buf, "%04lld", static_cast<long long>(year));
      out += buf;
      i += 4;
    } else if (rest.starts_with("MM")) {
      std::snprintf(buf, sizeof buf, "%02u", month);
      out += buf;
      i += 2;
    } else if (rest.starts_with("dd")) {
      std::snprintf(buf, sizeof buf, "%02u", day);
      out += buf;
      i += 2;
    } else if (rest.starts_with("HH")) {
      std::snprintf(buf, sizeof buf, "%02d", hour);
      out += buf;
      i += 2;
    } else if (rest.starts_with("mm")) {
      std::snprintf(buf, sizeof buf, "%02d", minute);
      out += buf;
      i += 2;
    } else if (rest.starts_with("ss")) {
      std::snprintf(buf, sizeof buf, "%02d", second);
      out += buf;
      i += 2;
    } else {
      out.push_back(pattern[i]);
      ++i;
    }
  }
  return out;
}

std::string format_iso8601_utc(TimeMs ms) { return format_local(ms, 0, "yyyy-MM-ddTHH:mm:ssZ"); }

std::optional<TimeMs> parse_timestamp(std::string_view text, int default_offset_minutes) {
  std::size_t pos = 0;
  auto number = [&](std::size_t digits) -> std::optional<int> {
    if (pos + digits > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = 0; i < digits; ++i) {
      char c = text[pos + i];
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    pos += digits;
    return value;
  };
  auto expect = [&](char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  };
  auto year = number(4);
  if (!year || !expect('-')) return std::nullopt;
  auto month = number(2);
  if (!month || !expect('-')) return std::nullopt;
  auto day = number(2);
  if (!day) return std::nullopt;
  if (!expect('T') && !expect(' ')) return std::nullopt;
  auto hour = number(2);
  if (!hour || !expect(':')) return std::nullopt;
  auto minute = number(2);
  if (!minute) return std::nullopt;
  int second = 0, millis = 0;
  if (expect(':')) {
    auto s = number(2);
    if (!s) return std::nullopt;
    second = *s;
    if (expect('.')) {
      int digits = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (digits < 3) millis = millis * 10 + (text[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0) return std::nullopt;
      for (int i = digits; i < 3; ++i) millis *= 10;
    }
  }
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || second > 60) {
    return std::nullopt;
  }
  int offset = default_offset_minutes;
  if (pos < text.size()) {
    char c = text[pos];
    if (c == 'Z' || c == 'z') {
      offset = 0;
      ++pos;
    } else if (c == '+' || c == '-') {
      ++pos;
      auto oh = number(2);
      if (!oh) return std::nullopt;
      expect(':');
      auto om = number(2);
      if (!om) return std::nullopt;
      offset = (*oh * 60 + *om) * (c == '-' ? -1 : 1);
    }
  }
  if (pos != text.size()) return std::nullopt;
  std::int64_t days = days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day));
  std::int64_t seconds = days * 86400 + *hour * 3600 + *minute * 60 + second - static_cast<std::int64_t>(offset) * 60;
  return seconds * 1000 + millis;
}

// ---- Result-code verdicts ----------------------------------------------------------------------------

SendOutcome to_send_outcome(Verdict verdict) {
  switch (verdict) {
    case Verdict::pending:
    case Verdict::delivered: return SendOutcome::accepted;
    case Verdict::next_channel: return SendOutcome::next_channel;
    case Verdict::permanent: return SendOutcome::permanent;
    case Verdict::retryable: return SendOutcome::retryable;
  }
  return SendOutcome::ambiguous;
}

std::optional<ReportOutcome> to_report_outcome(Verdict verdict) {
  switch (verdict) {
    case Verdict::pending: return std::nullopt;
    case Verdict::delivered: return ReportOutcome::delivered;
    case Verdict::next_channel: return ReportOutcome::failed_next_channel;
    case Verdict::permanent: return ReportOutcome::failed_permanent;
    case Verdict::retryable: return ReportOutcome::failed_retryable;
  }
  return std::nullopt;
}

StatusAnswer to_status_answer(Verdict verdict) {
  switch (verdict) {
    case Verdict::pending: return StatusAnswer::pending;
    case Verdict::delivered: return StatusAnswer::delivered;
    default: return StatusAnswer::failed;
  }
}

SendResult result_for_http_status(int status, const std::string& error_code, const std::string& detail) {
  SendResult r;
  r.error_code = error_code.empty() ? "HTTP_" + std::to_string(status) : error_code;
  std::string suffix = detail.empty() ? std::string() : ": " + detail;
  if (status == 401 || status == 403) {
    r.outcome = SendOutcome::retryable;
    r.error_text = "provider rejected our credentials (HTTP " + std::to_string(status) + ")" + suffix;
  } else if (status == 408 || status == 425 || status == 429) {
    r.outcome = SendOutcome::retryable;
    r.error_text = "provider throttled or timed out (HTTP " + std::to_string(status) + ")" + suffix;
  } else if (status >= 500 && status <= 599) {
    r.outcome = SendOutcome::retryable;
    r.error_text = "provider server error (HTTP " + std::to_string(status) + ")" + suffix;
  } else if (status >= 400 && status <= 499) {
    r.outcome = SendOutcome::permanent;
    r.error_text = "provider refused the request (HTTP " + std::to_string(status) + ")" + suffix;
  } else {
    r.outcome = SendOutcome::ambiguous;
    r.error_text = "unexpected HTTP status " + std::to_string(status) + suffix;
  }
  return r;
}

// ---- Misc --------------------------------------------------------------------------------------------

std::string normalize_phone(std::string_view phone) {
  std::string digits;
  for (char c : phone) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  if (digits.empty()) return std::string(phone);
  // International form of a Korean mobile number: 82 10 1234 5678 → 010 1234 5678.
  if (digits.size() >= 11 && digits.starts_with("82") && digits[2] != '0') digits = "0" + digits.substr(2);
  return digits;
}

Result<std::size_t> size_setting(const ProviderSettings& settings, const std::string& key, std::size_t fallback,
                                 std::size_t maximum) {
  std::string text = settings.get(key);
  if (text.empty()) return fallback;
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > maximum) {
    return make_error("config_invalid",
                      "provider '" + settings.name + "': '" + key + "' must be a whole number from 1 to " +
                          std::to_string(maximum),
                      "providers." + settings.name + "." + key);
  }
  return value;
}

}  // namespace jarip::channels::wire
