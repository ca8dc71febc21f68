// The wording of automatic notices: defaults, the merchant's templates, and 로/으로.
#include <gtest/gtest.h>

#include "status/status.hpp"

namespace jarip::status {
namespace {

TEST(StatusWording, DefaultsWithFallback) {
  NoticeTemplates t;
  auto w = down_wording(t, "alimtalk", "sms");
  EXPECT_EQ(w.ko, "카카오톡 알림톡 알림이 지연되어 문자로 안내드리고 있습니다");
  EXPECT_EQ(w.en, "KakaoTalk notifications are delayed; we are reaching you by SMS meanwhile");
  auto r = recovered_wording(t, "alimtalk");
  EXPECT_EQ(r.ko, "카카오톡 알림톡 알림이 정상화되었습니다");
  EXPECT_EQ(r.en, "KakaoTalk notifications are back to normal");
}

TEST(StatusWording, ParticleFollowsTheFinalSyllable) {
  NoticeTemplates t;
  EXPECT_EQ(down_wording(t, "sms", "email").ko, "문자 알림이 지연되어 이메일로 안내드리고 있습니다");      // 일: ㄹ
  EXPECT_EQ(down_wording(t, "email", "push").ko, "이메일 알림이 지연되어 앱 푸시로 안내드리고 있습니다");  // 시: none
  EXPECT_EQ(down_wording(t, "push", "inbox").ko, "앱 푸시 알림이 지연되어 알림함으로 안내드리고 있습니다");  // 함: ㅁ
  EXPECT_EQ(down_wording(t, "sms", "alimtalk").ko, "문자 알림이 지연되어 카카오톡 알림톡으로 안내드리고 있습니다");

  EXPECT_EQ(korean_ro_particle("문자"), "로");
  EXPECT_EQ(korean_ro_particle("서울"), "로");
  EXPECT_EQ(korean_ro_particle("알림함"), "으로");
  EXPECT_EQ(korean_ro_particle("SMS"), "(으)로");  // not Hangul: left to the reader
  EXPECT_EQ(korean_ro_particle(""), "(으)로");
  EXPECT_EQ(korean_ro_particle("\xEC"), "(으)로");  // broken UTF-8
}

TEST(StatusWording, ParticleOnlyRightAfterAPlaceholder) {
  NoticeTemplates t;
  t.down_ko = "{channel} 장애: (으)로 표시된 곳은 {fallback} (으)로 안내";
  EXPECT_EQ(down_wording(t, "alimtalk", "sms").ko, "카카오톡 알림톡 장애: (으)로 표시된 곳은 문자 (으)로 안내");
  t.down_ko = "{fallback}(으)로 대신 보냅니다 ({channel}(으)로는 지연)";
  EXPECT_EQ(down_wording(t, "inbox", "alimtalk").ko, "카카오톡 알림톡으로 대신 보냅니다 (알림함으로는 지연)");
}

TEST(StatusWording, NoFallbackChannel) {
  NoticeTemplates t;
  auto w = down_wording(t, "sms", "");
  EXPECT_EQ(w.ko, "문자 알림이 지연되고 있습니다");
  EXPECT_EQ(w.en, "SMS notifications are delayed");
  t.down_ko = "{channel} 점검 중";  // no {fallback}: the merchant's own words stand
  EXPECT_EQ(down_wording(t, "sms", "").ko, "문자 점검 중");
}

TEST(StatusWording, Validation) {
  EXPECT_TRUE(validate_templates(NoticeTemplates{}));
  struct Case {
    NoticeTemplates t;
    std::string field;
    std::string mentions;
  };
  std::string long_ko;
  for (int i = 0; i < 301; ++i) long_ko += "가";
  std::vector<Case> cases;
  NoticeTemplates t;
  t.down_ko = "";
  cases.push_back({t, "down_ko", "empty"});
  t = {};
  t.down_en = "{channel} is down, call {phone}";
  cases.push_back({t, "down_en", "{phone}"});
  t = {};
  t.recovered_ko = "{channel} 복구, {fallback} 안내 종료";
  cases.push_back({t, "recovered_ko", "{fallback}"});
  t = {};
  t.recovered_en = long_ko;
  cases.push_back({t, "recovered_en", "300"});
  t = {};
  t.down_ko = "{channel 지연";
  cases.push_back({t, "down_ko", "'{'"});
  t = {};
  t.down_en = "x } y";
  cases.push_back({t, "down_en", "'}'"});
  t = {};
  t.down_en = "\xff";
  cases.push_back({t, "down_en", "UTF-8"});
  for (auto& c : cases) {
    auto s = validate_templates(c.t);
    ASSERT_FALSE(s) << c.field;
    EXPECT_EQ(s.error().code, "invalid_request");
    EXPECT_EQ(s.error().field, c.field);
    EXPECT_NE(s.error().message.find(c.mentions), std::string::npos) << s.error().message;
  }
  t = {};
  t.recovered_en = long_ko.substr(3);  // exactly 300 characters (900 bytes) is fine
  EXPECT_TRUE(validate_templates(t));
}

TEST(StatusWording, JsonRoundTrip) {
  NoticeTemplates t;
  t.down_ko = "{channel} 지연 — {fallback}(으)로 \"안내\"";
  auto parsed = parse_templates(templates_json(t));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->down_ko, t.down_ko);
  EXPECT_EQ(parsed->recovered_en, t.recovered_en);

  auto partial = parse_templates(R"({"recovered_ko":"{channel} 복구"})");
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->recovered_ko, "{channel} 복구");
  EXPECT_EQ(partial->down_ko, NoticeTemplates{}.down_ko);

  auto unknown = parse_templates(R"({"down_jp":"x"})");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().field, "down_jp");
  auto not_string = parse_templates(R"({"down_en":5})");
  ASSERT_FALSE(not_string);
  EXPECT_EQ(not_string.error().field, "down_en");
  auto invalid = parse_templates(R"({"down_en":"{x}"})");
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().field, "down_en");
  EXPECT_FALSE(parse_templates("[]"));
  EXPECT_FALSE(parse_templates("{"));
}

}  // namespace
}  // namespace jarip::status
