#include "text/cp949.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "text/utf8.hpp"
#include "vector_file.hpp"

namespace jarip::text {
namespace {

using testing::read_vectors;

std::string describe(const std::vector<UnencodableChar>& chars) {
  std::string out;
  for (const auto& c : chars) {
    char code[16];
    std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(c.code_point));
    if (!out.empty()) out += " ";
    out += std::to_string(c.char_offset) + ":" + code + ":" + c.text;
  }
  return out;
}

TEST(TextCp949, Vectors) {
  for (const auto& row : read_vectors("cp949.tsv", 4)) {
    SCOPED_TRACE(row.where());
    auto length = cp949_length(row.cells[0]);
    ASSERT_TRUE(length.ok()) << length.error().message;
    EXPECT_EQ(length->bytes, std::stoul(row.cells[1]));
    EXPECT_EQ(describe(length->unencodable), row.cells[2]);
    for (const auto& c : length->unencodable) {
      // byte_offset points at the reported text inside the input
      EXPECT_EQ(row.cells[0].compare(c.byte_offset, c.text.size(), c.text), 0);
    }
    auto replaced = cp949_replace_unencodable(row.cells[0], "?");
    ASSERT_TRUE(replaced.ok());
    EXPECT_EQ(*replaced, row.cells[3]);
    // The replaced text is sendable, and replacing again changes nothing.
    auto after = cp949_length(*replaced);
    ASSERT_TRUE(after.ok());
    EXPECT_TRUE(after->unencodable.empty());
    EXPECT_EQ(*cp949_replace_unencodable(*replaced, "?"), *replaced);
  }
}

// The generated table holds what the codec said: 17,048 non-ASCII code points, of which 11,172 are
// the Hangul syllables and 5,876 the rest (4,888 hanja, symbols, jamo, kana, Greek, Cyrillic, …).
TEST(TextCp949, TableMatchesTheCodecCounts) {
  std::size_t encodable = 0, hangul = 0, hanja = 0;
  for (char32_t cp = 0x80; cp <= 0x10FFFF; ++cp) {
    if (!cp949_encodable(cp)) continue;
    ++encodable;
    if (cp >= 0xAC00 && cp <= 0xD7A3) ++hangul;
    if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF)) ++hanja;
  }
  EXPECT_EQ(encodable, 17048u);
  EXPECT_EQ(hangul, 11172u);
  EXPECT_EQ(hanja, 4888u);
  for (char32_t cp = 0; cp < 0x80; ++cp) EXPECT_EQ(cp949_char_bytes(cp), 1u);
  EXPECT_EQ(cp949_char_bytes(U'똠'), 2u);
  EXPECT_EQ(cp949_char_bytes(0x1F44D), 0u);
}

TEST(TextCp949, InvalidInput) {
  auto length = cp949_length("abc\xC0\xAF");
  ASSERT_FALSE(length.ok());
  EXPECT_EQ(length.error().code, "invalid_utf8");
  auto replaced = cp949_replace_unencodable("\xED\xA0\x80");
  ASSERT_FALSE(replaced.ok());
  EXPECT_EQ(replaced.error().code, "invalid_utf8");
}

TEST(TextCp949, ReplacementMustBeEncodable) {
  for (std::string_view bad : {"👍", "\xFF", "丼"}) {
    auto replaced = cp949_replace_unencodable("a👍b", bad);
    ASSERT_FALSE(replaced.ok());
    EXPECT_EQ(replaced.error().code, "invalid_replacement");
    EXPECT_EQ(replaced.error().field, "replacement");
  }
  EXPECT_EQ(*cp949_replace_unencodable("a👍b", "□"), "a□b");
  EXPECT_EQ(*cp949_replace_unencodable("a👍b", ""), "ab");  // an empty replacement deletes
}


// ---- Conversion (decode_cp949 / encode_cp949) ----

TEST(TextCp949, DecodeTableIsTheInverseOfTheEncodableSet) {
  // Every code point CP949 encodes has exactly one two-byte form that decodes back to it, and
  // nothing else encodes: the generated decode table agrees with the generated encodability table.
  std::size_t round_trips = 0;
  for (char32_t cp = 0x80; cp <= 0xFFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    auto bytes = encode_cp949(encode_utf8(cp));
    ASSERT_EQ(bytes.ok(), cp949_encodable(cp)) << std::hex << static_cast<unsigned>(cp);
    if (!bytes.ok()) {
      EXPECT_EQ(bytes.error().code, "text_unencodable");
      continue;
    }
    ASSERT_EQ(bytes->size(), 2u);
    auto back = decode_cp949(*bytes);
    ASSERT_TRUE(back.ok());
    ASSERT_EQ(*back, encode_utf8(cp));
    ++round_trips;
  }
  EXPECT_EQ(round_trips, 17048u);
  EXPECT_FALSE(encode_cp949("👍").ok());
}

TEST(TextCp949, EveryTwoByteSequence) {
  // All 126 × 190 (lead, trail) pairs: 17,048 decode (11,172 of them to Hangul syllables, the 8,822
  // of Microsoft's extension included), and each one that decodes encodes back to the same bytes.
  std::size_t valid = 0, hangul = 0;
  for (unsigned lead = 0x81; lead <= 0xFE; ++lead) {
    for (unsigned trail = 0x41; trail <= 0xFE; ++trail) {
      const std::string pair{static_cast<char>(lead), static_cast<char>(trail)};
      const Cp949Step step = decode_cp949_step(pair, 0);
      if (step.reason) {
        EXPECT_GE(step.length, 1u);
        continue;
      }
      ++valid;
      if (step.code_point >= 0xAC00 && step.code_point <= 0xD7A3) ++hangul;
      ASSERT_EQ(step.length, 2u);
      auto again = encode_cp949(encode_utf8(step.code_point));
      ASSERT_TRUE(again.ok());
      ASSERT_EQ(*again, pair);
    }
  }
  EXPECT_EQ(valid, 17048u);
  EXPECT_EQ(hangul, 11172u);
}

TEST(TextCp949, KnownBytes) {
  // KS X 1001 syllables, UHC extension syllables (똠 햏 뷁 캚 갂), a hanja, Microsoft's € and ®.
  EXPECT_EQ(*decode_cp949("\xC8\xAB\xB1\xE6\xB5\xBF"), "홍길동");
  EXPECT_EQ(*decode_cp949("\x8C\x63\xC1\x64\x94\xEE"), "똠햏뷁");
  EXPECT_EQ(*decode_cp949("\xB0\x41\x81\x41"), "캚갂");
  EXPECT_EQ(*decode_cp949("\xF9\xD3\xA2\xE6\xA2\xE7"), "漢€®");
  EXPECT_EQ(*decode_cp949("a,b\r\n"), "a,b\r\n");
  EXPECT_EQ(*encode_cp949("홍길동 똠,1"), "\xC8\xAB\xB1\xE6\xB5\xBF \x8C\x63,1");
  EXPECT_EQ(*decode_cp949(""), "");
}

TEST(TextCp949, InvalidSequences) {
  struct Case {
    std::string_view bytes;
    std::string_view message;
  };
  for (const Case& c : {Case{"ab\x80", "at byte 2: 0x80 is not a CP949 byte"},
                        Case{"\xFF", "at byte 0: 0xFF is not a CP949 byte"},
                        Case{"abc\xB0", "at byte 3: truncated sequence"},
                        Case{"\xB0\xA1\x81\x20", "at byte 2: invalid trail byte"},
                        Case{"\xC9\xA1", "at byte 0: unmapped sequence"},
                        Case{"\xA2\x5B", "at byte 0: unmapped sequence"}}) {
    auto decoded = decode_cp949(c.bytes);
    ASSERT_FALSE(decoded.ok()) << c.message;
    EXPECT_EQ(decoded.error().code, "invalid_cp949");
    EXPECT_NE(decoded.error().message.find(c.message), std::string::npos) << decoded.error().message;
  }
  // An ASCII byte after a lead byte is not swallowed: it may be a separator or a line break.
  EXPECT_EQ(decode_cp949_step("\x81,", 0).length, 1u);
  EXPECT_EQ(decode_cp949_step("\xA2\x5B", 0).length, 1u);
  EXPECT_EQ(decode_cp949_step("\xC9\xA1", 0).length, 2u);
  auto bad_utf8 = encode_cp949("a\xC0\xAF");
  ASSERT_FALSE(bad_utf8.ok());
  EXPECT_EQ(bad_utf8.error().code, "invalid_utf8");
  auto emoji = encode_cp949("ab👍");
  ASSERT_FALSE(emoji.ok());
  EXPECT_EQ(emoji.error().message, "U+1F44D at byte 2 cannot be encoded in CP949");
}

}  // namespace
}  // namespace jarip::text
