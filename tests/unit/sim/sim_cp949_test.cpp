#include <gtest/gtest.h>

#include "sim/cp949.hpp"
#include "sim/simulator.hpp"
#include "sim_test_util.hpp"

namespace jarip::sim {
namespace {

TEST(Cp949, AsciiIsOneByteHangulIsTwo) {
  EXPECT_EQ(cp949_length("abc 123"), 7u);
  EXPECT_EQ(cp949_length("가나다"), 6u);
  EXPECT_EQ(cp949_length(""), 0u);
}

TEST(Cp949, SyllablesOutsideKsX1001AreTwoBytes) {
  EXPECT_EQ(cp949_length("똠"), 2u);
  EXPECT_EQ(cp949_length("햏"), 2u);
  EXPECT_EQ(cp949_length("똠햏a"), 5u);
}

TEST(Cp949, EmojiAndInvalidUtf8HaveNoLength) {
  EXPECT_FALSE(cp949_length("배송 😀"));
  EXPECT_FALSE(cp949_length("\xff\xfe"));
  EXPECT_FALSE(cp949_length("\xed\xa0\x80"));  // UTF-16 surrogate encoded in UTF-8
}

class SolapiLimits : public ::testing::Test {
 protected:
  FakeClock clock{test::kT0};
  SimConfig cfg = default_config();
  Simulator sim{cfg, clock, 7};

  std::string send_code(const std::string& message_json) {
    auto r = sim.handle(Endpoint::solapi, test::solapi_send(cfg, clock.now_ms(), "{\"messages\":[" + message_json + "]}"));
    EXPECT_EQ(r.out.status, 200) << r.out.body;
    auto pos = r.out.body.find("\"statusCode\":\"");
    if (pos == std::string::npos) return "accepted";
    return r.out.body.substr(pos + 14, 4);
  }
  static std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
  }
  static std::string sms(const std::string& text, const std::string& extra = "") {
    return R"({"to":"01012345678","from":"0212345678","type":"SMS","text":")" + text + "\"" + extra + "}";
  }
};

TEST_F(SolapiLimits, SmsIsNinetyCp949Bytes) {
  EXPECT_EQ(send_code(sms(repeat("똠", 45))), "accepted");  // 90 bytes
  EXPECT_EQ(send_code(sms(repeat("햏", 45) + "a")), "1031");  // 91 bytes
  EXPECT_EQ(send_code(sms(repeat("a", 90))), "accepted");
}

TEST_F(SolapiLimits, LmsIsTwoThousandBytesAndSubjectForty) {
  const std::string lms = R"({"to":"01012345678","from":"0212345678","type":"LMS","text":")";
  EXPECT_EQ(send_code(lms + repeat("가", 1000) + "\"}"), "accepted");
  EXPECT_EQ(send_code(lms + repeat("가", 1000) + "a\"}"), "1031");
  EXPECT_EQ(send_code(lms + "본문\",\"subject\":\"" + repeat("제", 20) + "\"}"), "accepted");
  EXPECT_EQ(send_code(lms + "본문\",\"subject\":\"" + repeat("제", 20) + "a\"}"), "1014");
}

TEST_F(SolapiLimits, EmojiIsRejectedAsNotEncodable) {
  EXPECT_EQ(send_code(sms("배송 시작 😀")), "1029");
}

TEST_F(SolapiLimits, SubjectOnSmsIsRejected) {
  EXPECT_EQ(send_code(sms("본문", R"(,"subject":"제목")")), "1013");
}

TEST(NhnLimits, SmsEmojiIsMinus2023) {
  FakeClock clock{test::kT0};
  SimConfig cfg = default_config();
  Simulator sim{cfg, clock, 7};
  auto r = sim.handle(Endpoint::nhn_sms,
                      test::nhn_post(cfg, "/sms/v3.0/appKeys/" + cfg.nhn.sms_appkey + "/sender/sms",
                                     R"({"body":"본문 😀","sendNo":"0212345678","recipientList":[{"recipientNo":"01012345678"}]})"));
  EXPECT_NE(r.out.body.find("\"resultCode\":-2023"), std::string::npos) << r.out.body;
}

}  // namespace
}  // namespace jarip::sim
