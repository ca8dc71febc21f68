// The words of staff alerts, in Korean and English (internal to src/alerts/). Kept apart from the
// detection logic so that wording changes touch no decision.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.hpp"

namespace jarip::alerts::texts {

struct Pair {
  std::string ko, en;
};

// Where a failing provider's messages on one channel go meanwhile.
struct Route {
  enum class Kind { other_provider, other_channel, nowhere };
  std::string channel;  // the failing provider's channel
  Kind kind = Kind::nowhere;
  std::string target;   // the provider or channel they go by
};

// "카카오 알림톡" / "KakaoTalk AlimTalk"; an unknown channel as it is named.
std::string channel_name(const std::string& channel, bool ko);

// "[jarip] 카카오 알림톡·문자 제공자 'solapi' 장애: 차단기 열림 — 문자로 우회 발송 중".
// forced: an operator drained it (forced_open) rather than its breaker opening.
Pair breaker_open(const std::string& provider, const std::vector<std::string>& channels, bool forced,
                  const std::vector<Route>& routes);
Pair breaker_closed(const std::string& provider, const std::vector<std::string>& channels);
Pair spending_cap(const std::string& channel);
Pair queue_backlog(std::int64_t depth, std::int64_t threshold, TimeMs for_ms);
Pair queue_recovered(std::int64_t depth, std::int64_t threshold);

// The email to an operator: the alert's line, its severity and time, the board link, and why they
// get it. ko picks the language.
std::string email_body(const std::string& line, const std::string& severity, TimeMs at_ms, const std::string& board_url,
                       bool ko);

// 1234567 → "1,234,567".
std::string thousands(std::int64_t n);

}  // namespace jarip::alerts::texts
