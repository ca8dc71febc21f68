#include "text/utf8.hpp"

#include <gtest/gtest.h>

#include "vector_file.hpp"

namespace jarip::text {
namespace {

using testing::read_vectors;
using testing::words;

TEST(TextUtf8, Vectors) {
  for (const auto& row : read_vectors("utf8.tsv", 2)) {
    SCOPED_TRACE(row.where());
    const auto expected = words(row.cells[1], 1);
    auto count = count_code_points(row.cells[0]);
    auto decoded = decode_utf8(row.cells[0]);
    if (expected[0] == "ok") {
      ASSERT_TRUE(count.ok()) << count.error().message;
      EXPECT_EQ(*count, std::stoul(expected[1]));
      ASSERT_TRUE(decoded.ok());
      EXPECT_EQ(decoded->size(), *count);
      EXPECT_TRUE(is_valid_utf8(row.cells[0]));
      std::string reencoded;
      for (char32_t cp : *decoded) append_utf8(reencoded, cp);
      EXPECT_EQ(reencoded, row.cells[0]);
    } else {
      ASSERT_FALSE(count.ok());
      EXPECT_EQ(count.error().code, expected[0]);
      EXPECT_NE(count.error().message.find(expected[1]), std::string::npos) << count.error().message;
      ASSERT_FALSE(decoded.ok());
      EXPECT_EQ(decoded.error().code, "invalid_utf8");
      EXPECT_FALSE(is_valid_utf8(row.cells[0]));
    }
  }
}

// Every scalar value round-trips, and every surrogate spelled in UTF-8 is refused.
TEST(TextUtf8, EveryCodePointRoundTrips) {
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      const char bytes[] = {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                            static_cast<char>(0x80 | (cp & 0x3F))};
      ASSERT_FALSE(is_valid_utf8(std::string_view(bytes, 3))) << std::hex << static_cast<unsigned>(cp);
      continue;
    }
    const std::string encoded = encode_utf8(cp);
    const Utf8Step step = decode_utf8_step(encoded, 0);
    ASSERT_EQ(step.reason, nullptr) << std::hex << static_cast<unsigned>(cp);
    ASSERT_EQ(step.code_point, cp);
    ASSERT_EQ(step.length, encoded.size());
  }
}

// The decoder always makes progress, so callers that skip invalid bytes cannot loop forever.
TEST(TextUtf8, StepAlwaysAdvances) {
  for (int lead = 0; lead < 256; ++lead) {
    for (int next = 0; next < 256; next += 15) {
      const char bytes[] = {static_cast<char>(lead), static_cast<char>(next)};
      for (std::size_t size = 1; size <= 2; ++size) {
        const std::string_view text(bytes, size);
        const Utf8Step step = decode_utf8_step(text, 0);
        EXPECT_GE(step.length, 1u);
        EXPECT_LE(step.length, size);
      }
    }
  }
}

}  // namespace
}  // namespace jarip::text
