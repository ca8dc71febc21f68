#include "text/utf8.hpp"

#include <string>

namespace jarip::text {
namespace {

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

Error invalid_utf8_error(const char* reason, std::size_t offset) {
  return make_error("invalid_utf8", std::string("invalid UTF-8 at byte ") + std::to_string(offset) +
                                        ": " + reason);
}

}  // namespace

Utf8Step decode_utf8_step(std::string_view text, std::size_t offset) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data()) + offset;
  const std::size_t available = text.size() - offset;
  const unsigned char lead = bytes[0];
  if (lead < 0x80) return {lead, 1, nullptr};
  if (lead < 0xC2) {
    // 0x80–0xBF cannot start a sequence; 0xC0/0xC1 could only start an overlong 2-byte form.
    return {0, 1, lead < 0xC0 ? "unexpected continuation byte" : "overlong encoding"};
  }
  std::size_t length;
  char32_t code_point;
  if (lead < 0xE0) {
    length = 2;
    code_point = lead & 0x1F;
  } else if (lead < 0xF0) {
    length = 3;
    code_point = lead & 0x0F;
  } else if (lead < 0xF5) {
    length = 4;
    code_point = lead & 0x07;
  } else {
    return {0, 1, "code point above U+10FFFF"};  // 0xF5–0xFF start only values beyond Unicode
  }
  for (std::size_t i = 1; i < length; ++i) {
    if (i >= available) return {0, i, "truncated sequence"};
    if (!is_continuation(bytes[i])) return {0, i, "truncated sequence"};
    code_point = (code_point << 6) | (bytes[i] & 0x3F);
  }
  // The shortest-form rule: each length has a minimum value, else the same code point had a
  // shorter spelling (overlongs are how "/" and "<" used to slip past filters).
  static constexpr char32_t kMinimum[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < kMinimum[length]) return {0, length, "overlong encoding"};
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return {0, length, "surrogate code point"};
  if (code_point > 0x10FFFF) return {0, length, "code point above U+10FFFF"};
  return {code_point, length, nullptr};
}

Result<std::u32string> decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t offset = 0; offset < text.size();) {
    const Utf8Step step = decode_utf8_step(text, offset);
    if (step.reason) return invalid_utf8_error(step.reason, offset);
    out.push_back(step.code_point);
    offset += step.length;
  }
  return out;
}

bool is_valid_utf8(std::string_view text) {
  for (std::size_t offset = 0; offset < text.size();) {
    const Utf8Step step = decode_utf8_step(text, offset);
    if (step.reason) return false;
    offset += step.length;
  }
  return true;
}

Result<std::size_t> count_code_points(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t offset = 0; offset < text.size(); ++count) {
    const Utf8Step step = decode_utf8_step(text, offset);
    if (step.reason) return invalid_utf8_error(step.reason, offset);
    offset += step.length;
  }
  return count;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string encode_utf8(char32_t code_point) {
  std::string out;
  append_utf8(out, code_point);
  return out;
}

}  // namespace jarip::text
