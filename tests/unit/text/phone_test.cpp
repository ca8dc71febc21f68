#include "text/phone.hpp"

#include <gtest/gtest.h>

#include "vector_file.hpp"

namespace jarip::text {
namespace {

using testing::read_vectors;
using testing::words;

// A normalised number must come back unchanged from each of its own spellings.
void expect_fixed_point(const PhoneNumber& number, bool sender) {
  auto normalize = sender ? normalize_sender : normalize_mobile;
  for (const std::string& spelling : {number.domestic, number.e164, format_phone(number)}) {
    auto again = normalize(spelling, {});
    ASSERT_TRUE(again.ok()) << spelling << ": " << again.error().message;
    EXPECT_EQ(again->domestic, number.domestic);
    EXPECT_EQ(again->e164, number.e164);
    EXPECT_EQ(again->kind, number.kind);
  }
}

TEST(TextPhone, MobileVectors) {
  for (const auto& row : read_vectors("phone_mobile.tsv", 2)) {
    SCOPED_TRACE(row.where());
    const auto expected = words(row.cells[1], 3);
    auto number = normalize_mobile(row.cells[0], "to");
    if (expected[0] == "invalid_phone") {
      ASSERT_FALSE(number.ok()) << "accepted as " << number->domestic;
      EXPECT_EQ(number.error().code, "invalid_phone");
      EXPECT_EQ(number.error().field, "to");
      const std::string why = row.cells[1].substr(row.cells[1].find(' ') + 1);
      EXPECT_NE(number.error().message.find(why), std::string::npos) << number.error().message;
      continue;
    }
    ASSERT_TRUE(number.ok()) << number.error().message;
    EXPECT_EQ(number->kind, PhoneKind::mobile);
    EXPECT_EQ(number->domestic, expected[1]);
    EXPECT_EQ(number->e164, expected[2]);
    EXPECT_EQ(format_phone(*number), expected[3]);
    expect_fixed_point(*number, false);
    // Every mobile number is also a valid sender number, with the same result.
    auto as_sender = normalize_sender(row.cells[0]);
    ASSERT_TRUE(as_sender.ok());
    EXPECT_EQ(as_sender->domestic, number->domestic);
  }
}

TEST(TextPhone, SenderVectors) {
  for (const auto& row : read_vectors("phone_sender.tsv", 2)) {
    SCOPED_TRACE(row.where());
    const auto expected = words(row.cells[1], 4);
    auto number = normalize_sender(row.cells[0], "from");
    if (expected[0] == "invalid_phone") {
      ASSERT_FALSE(number.ok()) << "accepted as " << number->domestic;
      EXPECT_EQ(number.error().code, "invalid_phone");
      EXPECT_EQ(number.error().field, "from");
      const std::string why = row.cells[1].substr(row.cells[1].find(' ') + 1);
      EXPECT_NE(number.error().message.find(why), std::string::npos) << number.error().message;
      continue;
    }
    ASSERT_TRUE(number.ok()) << number.error().message;
    EXPECT_EQ(to_string(number->kind), expected[1]);
    EXPECT_EQ(number->domestic, expected[2]);
    EXPECT_EQ(number->e164, expected[3]);
    EXPECT_EQ(format_phone(*number), expected[4]);
    expect_fixed_point(*number, true);
  }
}

TEST(TextPhone, MaskVectors) {
  for (const auto& row : read_vectors("phone_mask.tsv", 2)) {
    SCOPED_TRACE(row.where());
    EXPECT_EQ(mask_phone(row.cells[0]), row.cells[1]);
  }
}

}  // namespace
}  // namespace jarip::text
