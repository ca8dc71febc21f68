#include "text/sms_rules.hpp"

#include <gtest/gtest.h>

#include "vector_file.hpp"

namespace jarip::text {
namespace {

using testing::read_vectors;
using testing::words;

TEST(TextSmsRules, ChooseSmsKindVectors) {
  for (const auto& row : read_vectors("sms.tsv", 3)) {
    SCOPED_TRACE(row.where());
    const auto expected = words(row.cells[2], 3);
    auto plan = choose_sms_kind(row.cells[0], row.cells[1]);
    if (expected[0] == "error") {
      ASSERT_FALSE(plan.ok());
      EXPECT_EQ(plan.error().code, expected[1]);
      EXPECT_EQ(plan.error().field, expected[2]);
      EXPECT_FALSE(plan.error().message.empty());
      continue;
    }
    ASSERT_TRUE(plan.ok()) << plan.error().code << ": " << plan.error().message;
    EXPECT_EQ(plan->kind, expected[0] == "sms" ? SmsKind::sms : SmsKind::lms);
    EXPECT_EQ(plan->body_bytes, std::stoul(expected[1]));
    EXPECT_EQ(plan->subject_bytes, expected.size() > 2 ? std::stoul(expected[2]) : 0u);
  }
}

TEST(TextSmsRules, UnencodableMessageNamesTheCharacters) {
  auto plan = choose_sms_kind("좋아요👍🏽 丼");
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message.find("\"👍🏽\" (U+1F44D) at character 3"), std::string::npos) << plan.error().message;
  EXPECT_NE(plan.error().message.find("U+4E3C"), std::string::npos);
}

TEST(TextSmsRules, AlimtalkVectors) {
  for (const auto& row : read_vectors("alimtalk.tsv", 2)) {
    SCOPED_TRACE(row.where());
    const auto expected = words(row.cells[1], 2);
    auto chars = check_alimtalk_body(row.cells[0]);
    if (expected[0] == "error") {
      ASSERT_FALSE(chars.ok());
      EXPECT_EQ(chars.error().code, expected[1]);
      EXPECT_EQ(chars.error().field, expected[2]);
    } else {
      ASSERT_TRUE(chars.ok()) << chars.error().message;
      EXPECT_EQ(*chars, std::stoul(expected[1]));
    }
  }
}

}  // namespace
}  // namespace jarip::text
