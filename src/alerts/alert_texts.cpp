#include "alerts/alert_texts.hpp"

#include <algorithm>

#include "text/kst.hpp"

namespace jarip::alerts::texts {

namespace {

// Korean picks 로 or 으로 by the last syllable; the channel names are fixed, so each carries its own.
std::string channel_by(const std::string& channel) {
  if (channel == "alimtalk") return "카카오 알림톡으로";
  if (channel == "sms") return "문자로";
  if (channel == "email") return "이메일로";
  if (channel == "push") return "웹 푸시로";
  if (channel == "inbox") return "알림함으로";
  return channel + "(으)로";
}

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}

std::string channel_list(const std::vector<std::string>& channels, bool ko) {
  std::vector<std::string> names;
  for (const auto& c : channels) names.push_back(channel_name(c, ko));
  return join(names, ko ? "·" : "/");
}

Pair route_phrase(const Route& r) {
  switch (r.kind) {
    case Route::Kind::other_provider:
      return {"'" + r.target + "'(으)로 우회 발송 중", "messages go by '" + r.target + "' meanwhile"};
    case Route::Kind::other_channel:
      return {channel_by(r.target) + " 우회 발송 중", "messages go by " + channel_name(r.target, false) + " meanwhile"};
    case Route::Kind::nowhere:
      break;
  }
  return {"보낼 수 있는 제공자가 없어 " + channel_name(r.channel, true) + " 메시지는 복구될 때까지 대기",
          "no provider can send " + channel_name(r.channel, false) + " messages; they wait until one recovers"};
}

// One phrase when every channel's messages go the same way; else one per channel.
Pair routes_phrase(const std::vector<Route>& routes) {
  if (routes.empty()) return {};
  std::vector<Pair> phrases;
  for (const auto& r : routes) phrases.push_back(route_phrase(r));
  bool same = std::all_of(phrases.begin(), phrases.end(), [&](const Pair& p) { return p.ko == phrases.front().ko; });
  if (same) return phrases.front();
  std::vector<std::string> ko, en;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    ko.push_back(channel_name(routes[i].channel, true) + ": " + phrases[i].ko);
    en.push_back(channel_name(routes[i].channel, false) + ": " + phrases[i].en);
  }
  return {join(ko, ", "), join(en, "; ")};
}

}  // namespace

std::string channel_name(const std::string& channel, bool ko) {
  if (channel == "alimtalk") return ko ? "카카오 알림톡" : "KakaoTalk AlimTalk";
  if (channel == "sms") return ko ? "문자" : "SMS";
  if (channel == "email") return ko ? "이메일" : "email";
  if (channel == "push") return ko ? "웹 푸시" : "web push";
  if (channel == "inbox") return ko ? "알림함" : "inbox";
  return channel;
}

std::string thousands(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

Pair breaker_open(const std::string& provider, const std::vector<std::string>& channels, bool forced,
                  const std::vector<Route>& routes) {
  Pair where = routes_phrase(routes);
  std::string ko_head = "[jarip] " + channel_list(channels, true) + " 제공자 '" + provider + "' ";
  std::string en_head = "[jarip] " + channel_list(channels, false) + " provider '" + provider + "' ";
  Pair out;
  if (forced) {
    out = {ko_head + "발송 중지: 운영자가 차단기를 강제로 열었습니다", en_head + "drained: breaker forced open by an operator"};
  } else {
    out = {ko_head + "장애: 차단기 열림", en_head + "failing: breaker open"};
  }
  if (!where.ko.empty()) {
    out.ko += " — " + where.ko;
    out.en += " — " + where.en;
  }
  return out;
}

Pair breaker_closed(const std::string& provider, const std::vector<std::string>& channels) {
  return {"[jarip] " + channel_list(channels, true) + " 제공자 '" + provider + "' 복구: 차단기 닫힘 — 다시 정상 발송 중",
          "[jarip] " + channel_list(channels, false) + " provider '" + provider +
              "' recovered: breaker closed — sending normally again"};
}

Pair spending_cap(const std::string& channel) {
  return {"[jarip] " + channel_name(channel, true) + " 일일 비용 한도 도달: 한도를 넘는 메시지는 자정(KST)까지 보류됩니다",
          "[jarip] Daily spending cap reached on " + channel_name(channel, false) +
              ": messages beyond it are held until midnight KST"};
}

Pair queue_backlog(std::int64_t depth, std::int64_t threshold, TimeMs for_ms) {
  std::string seconds = thousands(for_ms / 1000);
  return {"[jarip] 발송 대기열 적체: " + thousands(depth) + "건 대기 중 (" + thousands(threshold) + "건 초과 상태가 " + seconds +
              "초 넘게 지속)",
          "[jarip] Queue backed up: " + thousands(depth) + " messages waiting (over " + thousands(threshold) +
              " for more than " + seconds + " s)"};
}

Pair queue_recovered(std::int64_t depth, std::int64_t threshold) {
  return {"[jarip] 발송 대기열 정상화: " + thousands(depth) + "건 대기 중 (기준 " + thousands(threshold) + "건 이하)",
          "[jarip] Queue back to normal: " + thousands(depth) + " messages waiting (at most " + thousands(threshold) + ")"};
}

std::string email_body(const std::string& line, const std::string& severity, TimeMs at_ms, const std::string& board_url,
                       bool ko) {
  std::string level;
  if (severity == "critical") level = ko ? "긴급" : "critical";
  else if (severity == "warning") level = ko ? "경고" : "warning";
  else level = ko ? "알림" : "info";
  std::string out = line + "\n\n";
  out += (ko ? "심각도: " : "Severity: ") + level + "\n";
  out += (ko ? "시각: " : "Time: ") + text::format_kst(at_ms) + "\n";
  if (!board_url.empty()) out += (ko ? "상황판: " : "Board: ") + board_url + "\n";
  out += ko ? "\n당번 운영자에게 보내는 jarip 직원 알림입니다. 콘솔의 '내 정보'에서 당번을 끄면 받지 않습니다.\n"
            : "\nA jarip staff alert, sent to on-duty operators. Turn off \"on duty\" under Me in the console to stop them.\n";
  return out;
}

}  // namespace jarip::alerts::texts
