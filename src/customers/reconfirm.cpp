#include "customers/reconfirm.hpp"

#include "customers/directory.hpp"
#include "text/kst.hpp"

namespace jarip::customers {

std::optional<std::string> reconfirm_due(const Customer& customer, TimeMs now) {
  std::optional<std::string> due;
  TimeMs oldest = 0;
  for (const auto& c : customer.consents) {
    if (c.purpose != "ad" || !c.granted || c.at.empty()) continue;
    auto at = text::parse_rfc3339(c.at);
    if (!at) continue;
    TimeMs lapses = *at + kAdConsentValidityMs;
    if (now < lapses - kReconfirmLeadMs || now >= lapses + kReconfirmLeadMs) continue;
    if (!due || *at < oldest) {
      due = c.at;
      oldest = *at;
    }
  }
  return due;
}

std::string reconfirm_notice_text(std::string_view sender_name, std::string_view consent_at, std::string_view link,
                                  std::string_view locale) {
  std::string date(consent_at.substr(0, 10));  // YYYY-MM-DD of the RFC 3339 time
  std::string sender(sender_name.empty() ? std::string_view(locale == "en" ? "the sender" : "발신자") : sender_name);
  if (locale == "en") {
    return "[" + sender + "] You agreed to receive advertising messages on " + date +
           ". The law asks us to check every two years: to keep receiving them, confirm here: " + std::string(link) +
           " Without your answer we stop sending them.";
  }
  return "[" + sender + "] 고객님은 " + date +
         "에 광고성 정보 수신에 동의하셨습니다. 법에 따라 2년마다 수신 동의 여부를 확인드립니다. 계속 받으시려면 아래 링크에서 "
         "확인해 주세요: " +
         std::string(link) + " 응답이 없으면 광고성 정보 발송을 중단합니다.";
}

}  // namespace jarip::customers
