#include "text/ad_rules.hpp"

#include <limits>

#include "text/phone.hpp"
#include "text/utf8.hpp"

namespace jarip::text {
namespace {

constexpr TimeMs kQuietStartMs = 21LL * 3'600'000;  // 21:00 KST
constexpr TimeMs kQuietEndMs = 8LL * 3'600'000;     // 08:00 KST

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim_blank(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string digits_of(std::string_view s) {
  std::string digits;
  for (char c : s) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  return digits;
}

// "(광고)" at the start, with the sender's name on the first line.
std::string with_prefix(std::string_view text, std::string_view sender_name) {
  if (text.substr(0, kAdPrefix.size()) != kAdPrefix) {
    return std::string(kAdPrefix) + std::string(sender_name) + "\n" + std::string(text);
  }
  const std::string_view first_line = text.substr(0, text.find('\n'));
  if (first_line.find(sender_name) != std::string_view::npos) return std::string(text);
  const std::string_view rest = text.substr(kAdPrefix.size());
  const bool needs_space = !rest.empty() && rest.front() != '\n' && rest.front() != ' ';
  return std::string(kAdPrefix) + std::string(sender_name) + (needs_space ? " " : "") + std::string(rest);
}

// A last line offering a free refusal through this very number counts as the opt-out line.
bool has_opt_out_line(std::string_view text, const std::string& opt_out_digits) {
  const std::size_t newline = text.rfind('\n');
  const std::string_view last_line = newline == std::string_view::npos ? text : text.substr(newline + 1);
  const bool offers_refusal = last_line.find(kOptOutLabel) != std::string_view::npos ||
                              last_line.find("수신거부") != std::string_view::npos;
  return offers_refusal && digits_of(last_line).find(opt_out_digits) != std::string::npos;
}

}  // namespace

Result<std::string> apply_ad_format_sms(std::string_view text, std::string_view sender_name,
                                        std::string_view opt_out_number) {
  if (!is_valid_utf8(text)) return make_error("invalid_utf8", "the text is not valid UTF-8", "text");
  sender_name = trim_blank(sender_name);
  if (sender_name.empty() || !is_valid_utf8(sender_name) ||
      sender_name.find_first_of("\r\n") != std::string_view::npos) {
    return make_error("invalid_sender_name", "an ad must name its sender on one line", "sender_name");
  }
  auto opt_out = normalize_sender(opt_out_number, "opt_out_number");
  if (!opt_out || opt_out->kind != PhoneKind::toll_free) {
    return make_error("invalid_opt_out_number", "the free opt-out number must be an 080 number",
                      "opt_out_number");
  }

  std::string out = with_prefix(trim_blank(text), sender_name);
  out.resize(trim_blank(out).size());  // the prefix is at the front, so only the tail can be blank
  if (!has_opt_out_line(out, opt_out->domestic)) {
    out += "\n" + std::string(kOptOutLabel) + " " + format_phone(*opt_out);
  }
  return out;
}

bool in_ad_quiet_hours(TimeMs time) {
  const TimeMs ms = kst_ms_of_day(time);
  return ms >= kQuietStartMs || ms < kQuietEndMs;
}

TimeMs next_ad_send_time(TimeMs time) {
  if (!in_ad_quiet_hours(time)) return time;
  const TimeMs ms = kst_ms_of_day(time);
  const TimeMs wait = ms < kQuietEndMs ? kQuietEndMs - ms : kDayMs - ms + kQuietEndMs;
  TimeMs next;
  if (__builtin_add_overflow(time, wait, &next)) return std::numeric_limits<TimeMs>::max();
  return next;
}

}  // namespace jarip::text
