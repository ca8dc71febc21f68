#include "text/cp949.hpp"

#include "text/cp949_table.hpp"
#include "text/grapheme.hpp"
#include "text/hangul.hpp"
#include "text/utf8.hpp"

namespace jarip::text {

bool cp949_encodable(char32_t cp) {
  if (cp < 0x80) return true;
  if (is_hangul_syllable(cp)) return true;
  if (cp > 0xFFFF) return false;  // CP949 has nothing outside the BMP: every emoji ends here
  const std::uint8_t page = detail::kCp949PageIndex[cp >> 8];
  const unsigned low = cp & 0xFF;
  return (detail::kCp949PageBits[page][low >> 6] >> (low & 63)) & 1U;
}

std::size_t cp949_char_bytes(char32_t cp) {
  if (cp < 0x80) return 1;
  return cp949_encodable(cp) ? 2 : 0;
}

Result<Cp949Length> cp949_length(std::string_view text) {
  auto decoded = decode_utf8(text);
  if (!decoded) return decoded.error();
  const std::u32string& cps = decoded.value();

  Cp949Length result;
  std::size_t byte_offset = 0;
  for (std::size_t start = 0; start < cps.size();) {
    const std::size_t length = cluster_length(cps, start);
    std::string cluster_text;
    const UnencodableChar* reported = nullptr;
    for (std::size_t i = start; i < start + length; ++i) {
      const std::size_t bytes = cp949_char_bytes(cps[i]);
      result.bytes += bytes;
      if (bytes == 0 && reported == nullptr) {
        result.unencodable.push_back(UnencodableChar{cps[i], start, byte_offset, {}});
        reported = &result.unencodable.back();
      }
      append_utf8(cluster_text, cps[i]);
    }
    if (reported != nullptr) result.unencodable.back().text = cluster_text;
    byte_offset += cluster_text.size();
    start += length;
  }
  return result;
}

Result<std::string> cp949_replace_unencodable(std::string_view text, std::string_view replacement) {
  auto replacement_length = cp949_length(replacement);
  if (!replacement_length || !replacement_length->unencodable.empty()) {
    return make_error("invalid_replacement", "the replacement must be valid UTF-8 that CP949 can encode",
                      "replacement");
  }
  auto decoded = decode_utf8(text);
  if (!decoded) return decoded.error();
  const std::u32string cps = compose_hangul_jamo(decoded.value());

  std::string out;
  out.reserve(text.size());
  for (std::size_t start = 0; start < cps.size();) {
    const std::size_t length = cluster_length(cps, start);
    bool all_encodable = true;
    bool only_selectors_missing = cp949_encodable(cps[start]);
    for (std::size_t i = start; i < start + length; ++i) {
      if (cp949_encodable(cps[i])) continue;
      all_encodable = false;
      if (!is_variation_selector(cps[i])) only_selectors_missing = false;
    }
    if (all_encodable || only_selectors_missing) {
      // Keeping the encodable code points of a cluster whose only gaps are presentation selectors
      // loses nothing a reader would see in a text message.
      for (std::size_t i = start; i < start + length; ++i) {
        if (cp949_encodable(cps[i])) append_utf8(out, cps[i]);
      }
    } else {
      out.append(replacement);
    }
    start += length;
  }
  return out;
}

}  // namespace jarip::text
