// Message length as Korean SMS providers count it: CP949 bytes.
//
// Korean carriers bill SMS (≤ 90 bytes) and LMS (≤ 2,000 bytes) by the message's size in CP949
// (Microsoft's code page 949 = EUC-KR/KS X 1001 plus all 11,172 Hangul syllables): 1 byte per
// ASCII character (U+0000–U+007F, including line breaks), 2 bytes per other character CP949 encodes.
// A character CP949 cannot encode (emoji, Thai, Arabic, most hanja outside KS X 1001's 4,888, …)
// has no size at all: providers reject it or turn it into "?" silently. jarip detects such
// characters exactly, from a table generated from the CP949 codec (tools/gen_cp949_table.py), and
// by default refuses the message (sms_rules.hpp: "text_unencodable"); a merchant may instead opt
// into the "replace" policy, cp949_replace_unencodable() below. See docs/korean-text.md.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace jarip::text {

// True when CP949 encodes `code_point` (ASCII, the Hangul syllables, and the table).
bool cp949_encodable(char32_t code_point);

// 1 for ASCII, 2 for any other encodable code point, 0 when CP949 cannot encode it.
std::size_t cp949_char_bytes(char32_t code_point);

// One user-perceived character (grapheme.hpp) that CP949 cannot encode in full.
struct UnencodableChar {
  char32_t code_point = 0;      // the first code point in it that CP949 lacks, e.g. U+1F44D
  std::size_t char_offset = 0;  // index, in code points, where the character starts
  std::size_t byte_offset = 0;  // index, in UTF-8 bytes, where the character starts
  std::string text;             // the whole character as UTF-8, e.g. "👍🏽" (both code points)
};

struct Cp949Length {
  // CP949 bytes of every encodable code point. When `unencodable` is not empty the text cannot be
  // sent as it is, and `bytes` leaves those characters out.
  std::size_t bytes = 0;
  std::vector<UnencodableChar> unencodable;  // in text order; empty when the text is sendable
};

// Byte length and unencodable characters of UTF-8 `text`, or Error{"invalid_utf8"}.
Result<Cp949Length> cp949_length(std::string_view text);

// The "replace" policy, only when a merchant chose it: returns `text` with
//  1. conjoining Hangul jamo composed into syllables (NFD 한 → 한, which CP949 encodes);
//  2. variation selectors dropped after an encodable character ("♥️" → "♥": same text, no emoji style);
//  3. every other character that CP949 cannot encode in full replaced by `replacement`, once per
//     user-perceived character ("👍🏽" → "?", "👨‍👩‍👧" → "?").
// Errors: "invalid_utf8" for bad text; "invalid_replacement" (field "replacement") when
// `replacement` is not valid UTF-8 or not itself CP949-encodable. The result always has an empty
// cp949_length().unencodable, and applying the function again changes nothing.
Result<std::string> cp949_replace_unencodable(std::string_view text, std::string_view replacement = "?");

// ---- Conversion: files that Korean software writes in CP949 ("CSV (쉼표로 분리)" in Korean Excel).
// Both directions use the generated decode table (cp949_table.hpp), so they are exact inverses:
// every one of the 17,048 non-ASCII characters has one two-byte form, and ASCII is itself.

// One step of decoding, like Utf8Step: the code point at `offset` and how many bytes it took. On
// invalid input `reason` is non-null ("0xFF is not a CP949 byte", "truncated sequence",
// "invalid trail byte", "unmapped sequence"), code_point is 0 and length is the number of bytes to
// skip (1 or 2) to resynchronise; an ASCII byte after a lead byte is never skipped.
// REQUIRES: offset < bytes.size().
struct Cp949Step {
  char32_t code_point = 0;
  std::size_t length = 0;
  const char* reason = nullptr;
};
Cp949Step decode_cp949_step(std::string_view bytes, std::size_t offset);

// The UTF-8 text of CP949 `bytes`, or Error{"invalid_cp949", "invalid CP949 at byte N: reason"}.
Result<std::string> decode_cp949(std::string_view bytes);

// The CP949 bytes of UTF-8 `text`, or Error "invalid_utf8", or Error{"text_unencodable",
// "U+1F44D at byte N cannot be encoded in CP949"} for the first character CP949 lacks.
Result<std::string> encode_cp949(std::string_view text);

}  // namespace jarip::text
