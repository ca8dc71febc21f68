#include "alerts/detection.hpp"

#include <boost/json.hpp>

#include <algorithm>

#include "alerts/alert_texts.hpp"

namespace jarip::alerts {

namespace json = boost::json;

namespace {

// Counts as failing for the transitions: half_open only follows open.
bool failing(const std::string& state) { return state != "closed"; }

// Can take messages, as the board counts it ("down" when none of a channel's providers can).
bool can_send(const std::string& state) { return state == "closed" || state == "half_open"; }

bool serves(const notify::ChannelStatus& p, const std::string& channel) {
  return std::find(p.channels.begin(), p.channels.end(), channel) != p.channels.end();
}

const notify::ChannelStatus* find(const Snapshot& s, const std::string& provider) {
  for (const auto& p : s.providers) {
    if (p.provider == provider) return &p;
  }
  return nullptr;
}

bool channel_can_send(const Snapshot& s, const std::string& channel) {
  return std::any_of(s.providers.begin(), s.providers.end(),
                     [&](const notify::ChannelStatus& p) { return serves(p, channel) && can_send(p.breaker_state); });
}

// The provider's channels in fallback order, then the rest as it lists them: the text names the
// channel that matters most first.
std::vector<std::string> ordered_channels(const notify::ChannelStatus& p, const std::vector<std::string>& chain) {
  std::vector<std::string> out;
  for (const auto& c : chain) {
    if (serves(p, c)) out.push_back(c);
  }
  for (const auto& c : p.channels) {
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  return out;
}

// Where the provider's messages go meanwhile, channel by channel: another provider of the same
// channel (the chain's next step), else the next channel of the fallback chain that can send.
std::vector<texts::Route> routes_around(const notify::ChannelStatus& failing_provider, const Snapshot& s,
                                        const std::vector<std::string>& chain) {
  std::vector<texts::Route> routes;
  for (const auto& channel : ordered_channels(failing_provider, chain)) {
    texts::Route r;
    r.channel = channel;
    for (const auto& p : s.providers) {
      if (p.provider != failing_provider.provider && serves(p, channel) && can_send(p.breaker_state)) {
        r.kind = texts::Route::Kind::other_provider;
        r.target = p.provider;
        break;
      }
    }
    if (r.kind == texts::Route::Kind::nowhere) {
      auto at = std::find(chain.begin(), chain.end(), channel);
      for (auto it = at == chain.end() ? chain.end() : at + 1; it != chain.end(); ++it) {
        if (channel_can_send(s, *it)) {
          r.kind = texts::Route::Kind::other_channel;
          r.target = *it;
          break;
        }
      }
    }
    routes.push_back(std::move(r));
  }
  return routes;
}

json::array to_array(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& i : items) out.emplace_back(i);
  return out;
}

AlertEvent make_event(const char* kind, std::string subject, std::string severity, texts::Pair text,
                      json::object detail, const StaffAlertOptions& o, TimeMs now) {
  detail["board_url"] = board_url(o.console_url);
  return AlertEvent{kind,  std::move(subject), std::move(severity), std::move(text.ko), std::move(text.en),
                    json::serialize(detail), now};
}

AlertEvent breaker_open_event(const notify::ChannelStatus& p, const std::string& from, const Snapshot& s,
                              const StaffAlertOptions& o, TimeMs now) {
  auto channels = ordered_channels(p, o.fallback_chain);
  std::vector<std::string> down;
  for (const auto& c : channels) {
    if (!channel_can_send(s, c)) down.push_back(c);
  }
  auto text = texts::breaker_open(p.provider, channels, p.breaker_state == "forced_open",
                                  routes_around(p, s, o.fallback_chain));
  json::object detail{{"provider", p.provider},          {"channels", to_array(channels)},
                      {"from", from},                    {"to", p.breaker_state},
                      {"since_ms", p.since_ms},          {"success_ratio", p.success_ratio},
                      {"channels_down", to_array(down)}};
  return make_event(kBreakerOpen, p.provider, down.empty() ? "warning" : "critical", std::move(text),
                    std::move(detail), o, now);
}

AlertEvent breaker_closed_event(const notify::ChannelStatus& p, const std::string& from, const StaffAlertOptions& o,
                                TimeMs now) {
  auto channels = ordered_channels(p, o.fallback_chain);
  json::object detail{{"provider", p.provider}, {"channels", to_array(channels)}, {"from", from},
                      {"to", p.breaker_state},  {"since_ms", p.since_ms}};
  return make_event(kBreakerClosed, p.provider, "info", texts::breaker_closed(p.provider, channels), std::move(detail),
                    o, now);
}

AlertEvent queue_event(bool backlog, std::int64_t depth, const StaffAlertOptions& o, TimeMs now) {
  json::object detail{{"queue_depth", depth},
                      {"threshold", o.queue_backlog_threshold},
                      {"for_ms", o.queue_backlog_for_ms}};
  if (backlog) {
    return make_event(kQueueBacklog, "queue", "warning",
                      texts::queue_backlog(depth, o.queue_backlog_threshold, o.queue_backlog_for_ms), std::move(detail),
                      o, now);
  }
  return make_event(kQueueRecovered, "queue", "info", texts::queue_recovered(depth, o.queue_backlog_threshold),
                    std::move(detail), o, now);
}

}  // namespace

std::string board_url(const std::string& console_url) {
  if (console_url.empty()) return {};
  std::string base = console_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/console/#/board";
}

AlertDetector::AlertDetector(StaffAlertOptions options) : options_(std::move(options)) {}

bool AlertDetector::wanted(const char* kind) const { return options_.kinds.count(kind) > 0; }

std::vector<AlertEvent> AlertDetector::observe(const Snapshot& next, TimeMs now) {
  std::vector<AlertEvent> events;

  if (have_baseline_) {
    for (const auto& p : next.providers) {
      const notify::ChannelStatus* before = find(last_, p.provider);
      if (!before) continue;  // new provider: this is its baseline
      bool was_failing = failing(before->breaker_state), is_failing = failing(p.breaker_state);
      if (!was_failing && is_failing && wanted(kBreakerOpen)) {
        events.push_back(breaker_open_event(p, before->breaker_state, next, options_, now));
      } else if (was_failing && p.breaker_state == "closed" && wanted(kBreakerClosed)) {
        events.push_back(breaker_closed_event(p, before->breaker_state, options_, now));
      }
    }
  }

  // Spending caps: the engine counts each message a cap holds; any rise is news. A channel first
  // seen after the baseline started from zero (the counter is created on the first hit).
  for (const auto& [channel, hits] : next.cap_hits) {
    auto it = cap_hits_.find(channel);
    std::uint64_t before = it != cap_hits_.end() ? it->second : 0;
    bool known = it != cap_hits_.end() || have_baseline_;
    if (known && hits > before && wanted(kSpendingCap)) {
      json::object detail{{"channel", channel}, {"held", hits - before}, {"hits_total", hits}};
      events.push_back(make_event(kSpendingCap, channel, "warning", texts::spending_cap(channel), std::move(detail),
                                  options_, now));
    }
    cap_hits_[channel] = hits;
  }

  // The queue: above the threshold for queue_backlog_for_ms raises the backlog; at or below it for
  // as long again ends it. Both ways wait the same time so that a depth hovering at the threshold
  // does not alternate.
  if (options_.queue_backlog_threshold > 0) {
    if (next.queue_depth > options_.queue_backlog_threshold) {
      below_since_.reset();
      if (!above_since_) above_since_ = now;
      if (!backlog_raised_ && now - *above_since_ >= options_.queue_backlog_for_ms) {
        backlog_raised_ = true;
        if (wanted(kQueueBacklog)) events.push_back(queue_event(true, next.queue_depth, options_, now));
      }
    } else {
      above_since_.reset();
      if (backlog_raised_) {
        if (!below_since_) below_since_ = now;
        if (now - *below_since_ >= options_.queue_backlog_for_ms) {
          backlog_raised_ = false;
          below_since_.reset();
          if (wanted(kQueueRecovered)) events.push_back(queue_event(false, next.queue_depth, options_, now));
        }
      }
    }
  }

  last_ = next;
  have_baseline_ = true;
  return events;
}

std::optional<AlertEvent> AlertDetector::current(const std::string& kind, const std::string& subject, TimeMs now) const {
  if (!have_baseline_) return std::nullopt;
  if (kind == kBreakerOpen || kind == kBreakerClosed) {
    const notify::ChannelStatus* p = find(last_, subject);
    if (!p) return std::nullopt;
    if (kind == kBreakerOpen && failing(p->breaker_state)) {
      // A provider now half_open is still failing; say "open", as the probe has not passed yet.
      Snapshot shown = last_;
      for (auto& q : shown.providers) {
        if (q.provider == subject && q.breaker_state == "half_open") q.breaker_state = "open";
      }
      return breaker_open_event(*find(shown, subject), "closed", shown, options_, now);
    }
    if (kind == kBreakerClosed && p->breaker_state == "closed") return breaker_closed_event(*p, "open", options_, now);
    return std::nullopt;
  }
  if (kind == kQueueBacklog && backlog_raised_) return queue_event(true, last_.queue_depth, options_, now);
  if (kind == kQueueRecovered && !backlog_raised_) return queue_event(false, last_.queue_depth, options_, now);
  return std::nullopt;
}

}  // namespace jarip::alerts
