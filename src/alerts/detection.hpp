// Staff alerts, part one: noticing what on-duty operators must be told. The detector compares
// successive snapshots of the engine (breaker states, queue depth, spending-cap hits) and turns the
// differences into alert events with their texts in Korean and English. It does no I/O and takes
// the time as an argument, so that it is tested with a fake clock; staff_alerts.hpp stores and
// delivers what it finds.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "notify/engine.hpp"

namespace jarip::alerts {

// Kinds of alert (StaffAlertRecord::kind).
inline constexpr const char* kBreakerOpen = "breaker_open";      // a provider stopped taking messages
inline constexpr const char* kBreakerClosed = "breaker_closed";  // … and takes them again
inline constexpr const char* kSpendingCap = "spending_cap";      // a channel's daily cap held messages
inline constexpr const char* kQueueBacklog = "queue_backlog";    // too many messages waiting, for too long
inline constexpr const char* kQueueRecovered = "queue_recovered";  // … and back below the threshold

struct StaffAlertOptions {
  bool enabled = true;
  TimeMs poll_ms = 1'000;  // how often the engine is looked at
  // After an alert of one kind about one subject (provider, channel, "queue"), further alerts of that
  // kind and subject within this time are not raised, on this node or any other: a flapping breaker
  // tells operators once, not every few seconds. The last word is still kept right: when the quiet
  // period ends and the state differs from what operators were last told, they are told again.
  TimeMs quiet_ms = 600'000;
  // A queue_backlog alert when more than this many messages have waited for longer than
  // queue_backlog_for_ms; queue_recovered when there have been at most this many for as long again.
  // 0 or less: no queue alerts.
  std::int64_t queue_backlog_threshold = 1'000;
  TimeMs queue_backlog_for_ms = 60'000;
  // public.url, else the server's own address: alerts link to {console_url}/console/#/board.
  std::string console_url;
  // Which kinds are raised (all by default).
  std::set<std::string> kinds{kBreakerOpen, kBreakerClosed, kSpendingCap, kQueueBacklog, kQueueRecovered};
  // The channel order messages fall back along (delivery.default_chain): tells operators where
  // messages go while a channel has no provider ("문자로 우회 발송 중").
  std::vector<std::string> fallback_chain{"alimtalk", "sms"};
  // Alert emails not sent within this time are dropped: an hour-old alert helps no one.
  std::int64_t email_ttl_s = 3'600;
};

// What the detector looks at. engine_snapshot_source() (staff_alerts.hpp) builds it from the engine.
struct Snapshot {
  std::vector<notify::ChannelStatus> providers;
  std::int64_t queue_depth = 0;
  std::map<std::string, std::uint64_t> cap_hits;  // channel → jarip_spending_cap_hits_total{channel}
};

struct AlertEvent {
  std::string kind;        // one of the kinds above
  std::string subject;     // provider (breaker_*), channel (spending_cap), "queue" (queue_*)
  std::string severity;    // info | warning | critical
  std::string text_ko;     // one line, "[jarip] …"
  std::string text_en;
  std::string detail_json;  // an object; always holds "board_url"
  TimeMs at_ms = 0;
};

// {console_url}/console/#/board; empty when console_url is.
std::string board_url(const std::string& console_url);

class AlertDetector {
 public:
  explicit AlertDetector(StaffAlertOptions options);

  // The events between the previous snapshot and this one. The first snapshot is the baseline and
  // raises nothing about breakers or caps: breakers start closed, and a drain restored at start-up
  // is no news (the queue, which has no baseline state, is watched from the start).
  //
  // Breakers: half_open is only entered from open, so it counts as still failing: closed → open,
  // forced_open or half_open (the open state fell between two polls) raises breaker_open;
  // open/forced_open/half_open → closed raises breaker_closed; open → half_open → open (a failed
  // probe) raises nothing, or every probe of a long outage would alert.
  std::vector<AlertEvent> observe(const Snapshot& snapshot, TimeMs now);

  // The event of `kind` about `subject` as the last observed snapshot describes it, with fresh
  // texts; nullopt when that is no longer the state (the breaker closed again, the queue drained).
  // spending_cap is an event, not a state: always nullopt.
  std::optional<AlertEvent> current(const std::string& kind, const std::string& subject, TimeMs now) const;

 private:
  bool wanted(const char* kind) const;
  StaffAlertOptions options_;
  bool have_baseline_ = false;
  Snapshot last_;
  std::map<std::string, std::uint64_t> cap_hits_;
  std::optional<TimeMs> above_since_, below_since_;
  bool backlog_raised_ = false;  // a queue_backlog episode is on (raised, not yet recovered)
};

}  // namespace jarip::alerts
