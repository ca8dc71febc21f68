#include "text/cp949.hpp"

#include <array>
#include <cstdio>

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

namespace {

// Code point → CP949 (lead << 8 | trail), 0 when not encodable: the decode table inverted once,
// on first use (128 KB), so that the two directions cannot disagree.
struct Cp949EncodeTable {
  std::array<std::uint16_t, 0x10000> code{};
  Cp949EncodeTable() {
    for (unsigned lead = detail::kCp949LeadFirst; lead <= detail::kCp949LeadLast; ++lead) {
      for (unsigned trail = detail::kCp949TrailFirst; trail <= detail::kCp949TrailLast; ++trail) {
        const std::uint16_t cp =
            detail::kCp949Decode[(lead - detail::kCp949LeadFirst) * detail::kCp949TrailCount + trail -
                                 detail::kCp949TrailFirst];
        if (cp != 0) code[cp] = static_cast<std::uint16_t>(lead << 8 | trail);
      }
    }
  }
};

const std::array<std::uint16_t, 0x10000>& cp949_encode_table() {
  static const Cp949EncodeTable table;
  return table.code;
}

}  // namespace

Cp949Step decode_cp949_step(std::string_view bytes, std::size_t offset) {
  const auto lead = static_cast<unsigned char>(bytes[offset]);
  if (lead < 0x80) return {lead, 1, nullptr};
  if (lead < detail::kCp949LeadFirst || lead > detail::kCp949LeadLast) {
    return {0, 1, lead == 0x80 ? "0x80 is not a CP949 byte" : "0xFF is not a CP949 byte"};
  }
  if (offset + 1 >= bytes.size()) return {0, 1, "truncated sequence"};
  const auto trail = static_cast<unsigned char>(bytes[offset + 1]);
  // An ASCII trail byte is left for the next step: it may be a separator or a line break.
  if (trail < detail::kCp949TrailFirst) return {0, 1, "invalid trail byte"};
  if (trail == 0xFF) return {0, 2, "invalid trail byte"};
  const std::uint16_t cp =
      detail::kCp949Decode[(lead - detail::kCp949LeadFirst) * detail::kCp949TrailCount + trail - detail::kCp949TrailFirst];
  if (cp == 0) return {0, trail < 0x80 ? std::size_t{1} : std::size_t{2}, "unmapped sequence"};
  return {cp, 2, nullptr};
}

Result<std::string> decode_cp949(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 2);
  for (std::size_t offset = 0; offset < bytes.size();) {
    const Cp949Step step = decode_cp949_step(bytes, offset);
    if (step.reason) {
      return make_error("invalid_cp949",
                        "invalid CP949 at byte " + std::to_string(offset) + ": " + step.reason);
    }
    append_utf8(out, step.code_point);
    offset += step.length;
  }
  return out;
}

Result<std::string> encode_cp949(std::string_view text) {
  const auto& table = cp949_encode_table();
  std::string out;
  out.reserve(text.size());
  for (std::size_t offset = 0; offset < text.size();) {
    const Utf8Step step = decode_utf8_step(text, offset);
    if (step.reason) {
      return make_error("invalid_utf8", "invalid UTF-8 at byte " + std::to_string(offset) + ": " + step.reason);
    }
    const char32_t cp = step.code_point;
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else {
      const std::uint16_t code = cp <= 0xFFFF ? table[cp] : 0;
      if (code == 0) {
        char name[16];
        std::snprintf(name, sizeof name, "U+%04X", static_cast<unsigned>(cp));
        return make_error("text_unencodable", std::string(name) + " at byte " + std::to_string(offset) +
                                                  " cannot be encoded in CP949");
      }
      out.push_back(static_cast<char>(code >> 8));
      out.push_back(static_cast<char>(code & 0xFF));
    }
    offset += step.length;
  }
  return out;
}

}  // namespace jarip::text
