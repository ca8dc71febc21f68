#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "customers/directory.hpp"
#include "text/kst.hpp"

namespace jarip::customers {
namespace {

namespace json = boost::json;

Result<Customer> parse(std::string_view id, std::string_view body) {
  return customer_from_json(id, json::parse(body));
}

TEST(CustomerDocument, NormalisesPhonesEmailsLocaleAndConsentTimes) {
  auto c = parse("c-1", R"({"name":"김민수","locale":"ko-KR","phones":["010-1234-5678","+82 10 1234 5678","01099998888"],
    "emails":["Min@Example.KR"],
    "consents":[{"channel":"sms","purpose":"ad","granted":true,"at":"2025-03-05 14:30","source":"매장 신청서","evidence":"form 17"}]})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->id, "c-1");
  EXPECT_EQ(c->locale, "ko");
  EXPECT_EQ(c->phones, (std::vector<std::string>{"01012345678", "01099998888"}));  // duplicates folded
  EXPECT_EQ(c->emails, (std::vector<std::string>{"Min@example.kr"}));
  ASSERT_EQ(c->consents.size(), 1u);
  EXPECT_EQ(c->consents[0].at, "2025-03-05T14:30:00+09:00");
  EXPECT_EQ(c->consents[0].source, "매장 신청서");
  auto back = parse("c-1", json::serialize(customer_to_json(*c)));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, *c);  // GET's document is accepted by PUT unchanged
}

TEST(CustomerDocument, EveryErrorNamesItsField) {
  struct Case {
    const char* id;
    const char* body;
    const char* code;
    const char* field;
  } cases[] = {
      {"a b", "{}", "invalid_value", "id"},
      {"", "{}", "invalid_value", "id"},
      {"c", "[]", "invalid_type", ""},
      {"c", R"({"nickname":"x"})", "unknown_field", "nickname"},
      {"c", R"({"id":"other"})", "invalid_value", "id"},
      {"c", R"({"phones":["010-1234-5678","02-123-4567"]})", "invalid_phone", "phones[1]"},
      {"c", R"({"phones":"01012345678"})", "invalid_type", "phones"},
      {"c", R"({"emails":["not-an-address"]})", "invalid_email", "emails[0]"},
      {"c", R"({"locale":"fr"})", "invalid_value", "locale"},
      {"c", R"({"consents":[{"channel":"fax","purpose":"ad","granted":true}]})", "invalid_value", "consents[0].channel"},
      {"c", R"({"consents":[{"channel":"sms","purpose":"promo","granted":true}]})", "invalid_value", "consents[0].purpose"},
      {"c", R"({"consents":[{"channel":"sms","purpose":"ad","granted":"yes"}]})", "invalid_type", "consents[0].granted"},
      {"c", R"({"consents":[{"channel":"sms","purpose":"ad","granted":true,"at":"2025-02-30"}]})", "invalid_value",
       "consents[0].at"},
      {"c", R"({"consents":[{"channel":"sms","purpose":"ad","granted":true},{"channel":"sms","purpose":"ad","granted":false}]})",
       "invalid_value", "consents[1]"},
      {"c", R"({"consents":[{"channel":"sms","purpose":"ad","granted":true,"by":"x"}]})", "unknown_field",
       "consents[0].by"},
  };
  for (const auto& k : cases) {
    auto c = parse(k.id, k.body);
    ASSERT_FALSE(c.ok()) << k.body;
    EXPECT_EQ(c.error().code, k.code) << k.body << ": " << c.error().message;
    EXPECT_EQ(c.error().field, k.field) << k.body;
  }
}

class AdConsent : public ::testing::Test {
 protected:
  TimeMs now = *text::parse_rfc3339("2026-11-25T10:00:00+09:00");
  Customer customer(std::vector<Consent> consents) {
    Customer c;
    c.id = "c-1";
    c.consents = std::move(consents);
    return c;
  }
};

TEST_F(AdConsent, NeedsAPriorOptIn) {
  auto p = ad_permission(customer({}), "sms", now);
  EXPECT_FALSE(p.allowed);
  EXPECT_EQ(p.code, "no_ad_consent");
  EXPECT_NE(p.reason.find("c-1"), std::string::npos);
  auto info_only = ad_permission(customer({{"sms", "info", true, "", "", ""}}), "sms", now);
  EXPECT_EQ(info_only.code, "no_ad_consent");
}

TEST_F(AdConsent, ChannelRecordDecidesOverTheWildcard) {
  auto c = customer({{"*", "ad", true, "2026-01-01T00:00:00+09:00", "", ""},
                     {"sms", "ad", false, "2026-06-01T00:00:00+09:00", "080", ""}});
  EXPECT_FALSE(ad_permission(c, "sms", now).allowed);
  EXPECT_EQ(ad_permission(c, "sms", now).code, "ad_consent_withdrawn");
  EXPECT_TRUE(ad_permission(c, "email", now).allowed);
}

TEST_F(AdConsent, LapsesAfterTwoYearsWithoutReconfirmation) {
  auto fresh = customer({{"sms", "ad", true, "2024-12-01T00:00:00+09:00", "", ""}});
  EXPECT_TRUE(ad_permission(fresh, "sms", now).allowed);
  auto old = customer({{"sms", "ad", true, "2024-11-20T00:00:00+09:00", "", ""}});
  EXPECT_EQ(ad_permission(old, "sms", now).code, "ad_consent_expired");
  auto undated = customer({{"sms", "ad", true, "", "import", ""}});
  EXPECT_TRUE(ad_permission(undated, "sms", now).allowed);
}

TEST_F(AdConsent, NightNeedsItsOwnConsent) {
  auto day_only = customer({{"*", "ad", true, "2026-01-01T00:00:00+09:00", "", ""}});
  EXPECT_TRUE(ad_permission(day_only, "sms", now).allowed);
  EXPECT_FALSE(ad_permission(day_only, "sms", now).night_allowed);
  auto night = customer({{"*", "ad", true, "2026-01-01T00:00:00+09:00", "", ""},
                         {"sms", "ad_night", true, "2026-01-01T00:00:00+09:00", "", ""}});
  EXPECT_TRUE(ad_permission(night, "sms", now).night_allowed);
  auto night_without_ad = customer({{"sms", "ad_night", true, "2026-01-01T00:00:00+09:00", "", ""}});
  EXPECT_FALSE(ad_permission(night_without_ad, "sms", now).night_allowed);
}

}  // namespace
}  // namespace jarip::customers

namespace jarip::customers {
namespace {

TEST(ConsentNotice, SaysWhoWhatAndWhenInTheCustomersLanguage) {
  TimeMs now = *text::parse_rfc3339("2026-11-25T10:00:00+09:00");
  std::vector<Consent> changes = {{"sms", "ad", true, "", "api", ""}, {"*", "ad_night", false, "", "api", ""},
                                  {"sms", "info", true, "", "api", ""}};
  std::string ko = consent_notice_text(changes, "자립상점", "ko", now);
  EXPECT_EQ(ko,
            "[자립상점] 광고성 정보 수신동의 처리 결과 안내\n2026-11-25 처리된 내용:\n"
            "- 문자(SMS) 광고성 정보 수신 동의\n- 모든 채널 야간(21시~08시) 광고성 정보 수신 거부(철회)\n처리자: 자립상점");
  std::string en = consent_notice_text(changes, "Jarip Shop", "en", now);
  EXPECT_NE(en.find("2026-11-25"), std::string::npos);
  EXPECT_NE(en.find("advertising by text messages (SMS): consent given"), std::string::npos) << en;
  EXPECT_EQ(consent_notice_text({{"sms", "info", true, "", "", ""}}, "자립상점", "ko", now), "");
}

TEST(ConsentNotice, OnlyForConsentsOfTheLastFourteenDays) {
  TimeMs now = *text::parse_rfc3339("2026-11-25T10:00:00+09:00");
  EXPECT_TRUE(consent_needs_notice({"sms", "ad", true, "", "", ""}, now));
  EXPECT_TRUE(consent_needs_notice({"sms", "ad", true, "2026-11-12T10:00:00+09:00", "", ""}, now));
  EXPECT_FALSE(consent_needs_notice({"sms", "ad", true, "2026-11-10T10:00:00+09:00", "", ""}, now));
}

}  // namespace
}  // namespace jarip::customers
