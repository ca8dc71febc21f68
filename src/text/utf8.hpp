// Strict UTF-8 (RFC 3629 / Unicode §3.9 Table 3-7). Every text rule in jarip (CP949 byte counts,
// AlimTalk's character limit, template names) is defined on code points, so input is decoded once
// and strictly: overlong forms, surrogates (U+D800–U+DFFF), code points above U+10FFFF and
// truncated sequences are errors ("invalid_utf8"), never silently replaced, because a replacement
// character would change the byte count the merchant is billed for.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace jarip::text {

// One step of decoding: the code point at `offset` and how many bytes it took.
// On invalid input `reason` is non-null (a static string such as "overlong encoding"),
// code_point is 0 and length is the number of bytes to skip (always ≥ 1) to resynchronise.
struct Utf8Step {
  char32_t code_point = 0;
  std::size_t length = 0;
  const char* reason = nullptr;
};

// Decodes the code point starting at byte `offset`.
// REQUIRES: offset < text.size().
Utf8Step decode_utf8_step(std::string_view text, std::size_t offset);

// All code points of `text`, or Error{"invalid_utf8", "... at byte N", ""}.
Result<std::u32string> decode_utf8(std::string_view text);

// True when `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text);

// Number of code points, or Error{"invalid_utf8"}. This is the "character" count AlimTalk limits.
Result<std::size_t> count_code_points(std::string_view text);

// Appends the UTF-8 form of `code_point`.
// REQUIRES: code_point ≤ U+10FFFF and not a surrogate.
void append_utf8(std::string& out, char32_t code_point);
std::string encode_utf8(char32_t code_point);

}  // namespace jarip::text
