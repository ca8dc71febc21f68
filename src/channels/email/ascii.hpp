// ASCII character classes of RFC 5322 shared by the Email channel's builder, signer and SMTP
// helpers. Internal to src/channels/email.
#pragma once

#include <string_view>

namespace jarip::channels::email::ascii {

inline bool is_wsp(char c) { return c == ' ' || c == '\t'; }  // RFC 5234 WSP

inline char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
inline char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// Header names and SMTP keywords compare without regard to ASCII case.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// RFC 5322 §3.2.3 atext.
inline bool is_atext(char c) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         kSpecials.find(c) != std::string_view::npos;
}

// RFC 5322 §3.6.8 field-name: one or more printable ASCII characters but ':'.
inline bool is_field_name(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v) {
    if (c < 33 || c > 126 || c == ':') return false;
  }
  return true;
}

}  // namespace jarip::channels::email::ascii
