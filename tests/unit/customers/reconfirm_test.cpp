#include <gtest/gtest.h>

#include "customers/directory.hpp"
#include "customers/reconfirm.hpp"
#include "text/kst.hpp"

namespace jarip::customers {
namespace {

constexpr TimeMs kDay = 24LL * 3600 * 1000;

Customer with_ad_consent(const std::string& at, bool granted = true) {
  Customer c;
  c.id = "c-1";
  c.consents.push_back(Consent{"sms", "ad", granted, at, "web", ""});
  return c;
}

TEST(Reconfirm, DueInTheMonthBeforeTwoYearsAndOnceAfter) {
  const std::string at = "2024-03-05T14:30:00+09:00";
  TimeMs given = *text::parse_rfc3339(at);
  Customer c = with_ad_consent(at);
  EXPECT_FALSE(reconfirm_due(c, given + 365 * kDay));
  EXPECT_FALSE(reconfirm_due(c, given + kAdConsentValidityMs - kReconfirmLeadMs - 1));
  EXPECT_EQ(reconfirm_due(c, given + kAdConsentValidityMs - kReconfirmLeadMs), at);
  EXPECT_EQ(reconfirm_due(c, given + kAdConsentValidityMs + 10 * kDay), at);  // lapsed during an outage
  EXPECT_FALSE(reconfirm_due(c, given + kAdConsentValidityMs + kReconfirmLeadMs));
  // Lapsed consent stops ads whether or not the notice was answered.
  EXPECT_EQ(ad_permission(c, "sms", given + kAdConsentValidityMs + 1).code, "ad_consent_expired");
}

TEST(Reconfirm, RefusalsAndUndatedConsentsAreNotAsked) {
  TimeMs late = *text::parse_rfc3339("2026-03-01T00:00:00+09:00");
  EXPECT_FALSE(reconfirm_due(with_ad_consent("2024-03-05T14:30:00+09:00", false), late));
  EXPECT_FALSE(reconfirm_due(with_ad_consent(""), late));
  Customer info = with_ad_consent("2024-03-05T14:30:00+09:00");
  info.consents[0].purpose = "info";
  EXPECT_FALSE(reconfirm_due(info, late));
}

TEST(Reconfirm, TheOldestConsentIsAskedFirst) {
  Customer c = with_ad_consent("2024-03-20T00:00:00+09:00");
  c.consents.push_back(Consent{"email", "ad", true, "2024-03-05T00:00:00+09:00", "web", ""});
  EXPECT_EQ(reconfirm_due(c, *text::parse_rfc3339("2026-03-01T00:00:00+09:00")), "2024-03-05T00:00:00+09:00");
}

TEST(Reconfirm, NoticeSaysWhoWhenAndHow) {
  auto ko = reconfirm_notice_text("자립상점", "2024-03-05T14:30:00+09:00", "https://s.example/c/T", "ko");
  EXPECT_NE(ko.find("[자립상점]"), std::string::npos);
  EXPECT_NE(ko.find("2024-03-05"), std::string::npos);
  EXPECT_NE(ko.find("https://s.example/c/T"), std::string::npos);
  auto en = reconfirm_notice_text("Jarip", "2024-03-05T14:30:00+09:00", "https://s.example/c/T", "en");
  EXPECT_NE(en.find("2024-03-05"), std::string::npos);
  EXPECT_NE(en.find("confirm here"), std::string::npos);
}

}  // namespace
}  // namespace jarip::customers
