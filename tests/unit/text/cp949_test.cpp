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

}  // namespace
}  // namespace jarip::text
