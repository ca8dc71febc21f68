// A status snapshot with hostile text in every field that reaches a page, shared by the status tests.
#pragma once

#include <string>

#include "status/status.hpp"
#include "text/kst.hpp"

namespace jarip::status::testing {

inline TimeMs kst(const char* rfc3339) { return *text::parse_rfc3339(rfc3339); }

inline const std::string kEvilTitle = "<script>alert(1)</script>";
inline const std::string kEvilMerchant = "자립상점 <b>&</b> \"Co's\"";

inline StatusSnapshot sample_snapshot() {
  StatusSnapshot s;
  s.merchant = kEvilMerchant;
  s.public_url = "https://n.jarip.kr/";
  s.generated_ms = kst("2026-12-06T21:30:00+09:00");
  s.channels = {ChannelState{"alimtalk", kDown, {}}, ChannelState{"sms", kOperational, {}}};
  store::StatusNoticeRecord open;
  open.id = "ntc_open";
  open.kind = "auto";
  open.channel = "alimtalk";
  open.severity = "outage";
  open.title_ko = "카카오톡 알림톡 알림이 지연되어 문자로 안내드리고 있습니다";
  open.title_en = "KakaoTalk notifications are delayed; we are reaching you by SMS meanwhile";
  open.created_ms = open.updated_ms = kst("2026-12-06T21:29:00+09:00");
  open.created_by = "system";
  store::StatusNoticeRecord manual;
  manual.id = "ntc_manual";
  manual.severity = "info";
  manual.title_ko = kEvilTitle;
  manual.body_ko = "점검 & 안내 <i>곧</i>\n둘째 줄";
  manual.created_ms = kst("2026-12-01T10:00:00+09:00");
  manual.updated_ms = manual.resolved_ms = kst("2026-12-01T12:00:00+09:00");
  s.notices = {manual, open};
  s.state = overall_state(s.channels, s.notices);
  return s;
}

}  // namespace jarip::status::testing
