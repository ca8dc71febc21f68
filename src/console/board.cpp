#include "console/board.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <deque>
#include <mutex>

#include "common/log.hpp"
#include "notify/channel_view.hpp"
#include "notify/engine.hpp"
#include "status/status.hpp"

namespace jarip::console {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr TimeMs kPushAtLeastEveryMs = 5000;
constexpr TimeMs kSessionPurgeEveryMs = 3'600'000;

// What one round read from the store.
struct StoreView {
  std::vector<store::NodeStatusRecord> nodes;
  std::vector<store::SettingRecord> settings;
  std::int64_t unacknowledged_alerts = 0;
  std::optional<std::int64_t> pending;
  bool ok = true;
};

// The operator's reason for a drain, from the provider's setting ({"reason": …}); empty when none.
std::string setting_reason(const std::vector<store::SettingRecord>& settings, const std::string& provider) {
  for (auto& s : settings) {
    if (s.key != "provider." + provider) continue;
    boost::system::error_code ec;
    json::value v = json::parse(s.value_json, ec);
    if (ec || !v.is_object()) return {};
    auto* reason = v.as_object().if_contains("reason");
    return reason && reason->is_string() ? std::string(reason->as_string()) : std::string();
  }
  return {};
}

}  // namespace

struct BoardService::Impl : std::enable_shared_from_this<Impl> {
  asio::io_context& io;
  store::Store& store;
  notify::Engine& engine;
  const Clock& clock;
  BoardOptions options;
  std::atomic<std::uint64_t>& accepted;
  asio::steady_timer timer;
  bool stopped = false;
  bool round_running = false;

  // Applied to the engine last time, so that only a change is applied: a drain made through the API
  // (/v1/channels/NAME/drain, this node only) is not undone by a setting that did not change.
  std::map<std::string, status::ProviderSetting> applied_providers;
  std::map<std::string, std::vector<std::string>> applied_chains;
  bool first_apply = true;

  std::deque<std::pair<TimeMs, std::uint64_t>> accepted_samples;  // for messages per minute
  std::deque<json::object> history;
  TimeMs last_history_ms = 0;
  TimeMs last_pending_ms = 0;
  std::int64_t pending = 0;
  std::string last_pushed;
  TimeMs last_push_ms = 0;
  TimeMs last_session_purge_ms = 0;

  mutable std::mutex mutex;
  json::object current;

  Impl(asio::io_context& i, store::Store& s, notify::Engine& e, MetricsRegistry& m, const Clock& c, BoardOptions o)
      : io(i), store(s), engine(e), clock(c), options(std::move(o)),
        accepted(m.counter("jarip_messages_accepted_total")), timer(i) {}

  void schedule(TimeMs delay) {
    timer.expires_after(std::chrono::milliseconds(delay));
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->stopped) return;
      self->round();
    });
  }

  void round() {
    if (round_running) return;
    round_running = true;
    TimeMs now = clock.now_ms();
    bool count_pending = now - last_pending_ms >= options.pending_every_ms;
    store.read([self = shared_from_this(), now, count_pending](store::StoreSession& s) {
      auto view = std::make_shared<StoreView>();
      auto nodes = s.list_node_status(now - notify::kNodeStatusFreshMs);
      auto settings = s.list_settings("");
      auto alerts = s.list_staff_alerts(0, 100);
      if (nodes) view->nodes = std::move(*nodes);
      if (settings) view->settings = std::move(*settings);
      if (alerts) {
        for (auto& a : *alerts) view->unacknowledged_alerts += a.acknowledged_ms == 0;
      }
      view->ok = nodes && settings && alerts;
      if (count_pending) {
        if (auto n = s.count_pending()) view->pending = *n;
      }
      asio::post(self->io, [self, view, now] { self->finish_round(*view, now); });
    });
  }

  void apply_settings(const status::AppliedSettings& applied) {
    for (auto& [name, setting] : applied.provider_settings) {
      auto before = applied_providers.find(name);
      bool changed = before == applied_providers.end() || before->second.enabled != setting.enabled ||
                     before->second.drained != setting.drained;
      if (!changed) continue;
      bool forced = !setting.enabled || setting.drained;
      bool was_forced = before != applied_providers.end() && (!before->second.enabled || before->second.drained);
      if (forced != was_forced || (first_apply && forced)) {
        std::string reason = !setting.enabled ? "disabled in the console" : "drained in the console";
        engine.drain(name, forced, reason, [name](Status s) {
          if (!s) log::warn("cannot apply a provider setting", {{"provider", name}, {"error", s.error().message}});
        });
      }
      applied_providers[name] = setting;
    }
    for (auto& [channel, order] : applied.chains) {
      auto configured = options.chains.find(channel);
      bool is_override = configured == options.chains.end() || configured->second != order;
      auto& last = applied_chains[channel];
      if (last == order) continue;
      last = order;
      engine.options().chain_overrides->set(channel, is_override ? order : std::vector<std::string>{});
    }
    first_apply = false;
  }

  // Expired console sessions are deleted now and then (the console itself has no timer).
  void purge_sessions(TimeMs now) {
    if (now - last_session_purge_ms < kSessionPurgeEveryMs) return;
    last_session_purge_ms = now;
    store.write([now](store::StoreSession& s) -> Status {
      auto purged = s.purge_operator_sessions(now);
      return purged ? Status{} : Status(purged.error());
    }, [](Status st) {
      if (!st) log::warn("cannot purge expired console sessions", {{"error", st.error().message}});
    });
  }

  void finish_round(const StoreView& view, TimeMs now) {
    round_running = false;
    if (stopped) return;
    purge_sessions(now);
    status::AppliedSettings applied = status::apply_settings(options.chains, view.settings);
    if (view.ok) apply_settings(applied);
    if (view.pending) {
      pending = *view.pending;
      last_pending_ms = now;
    }
    compose(view, applied, now);
    schedule(options.interval_ms);
  }

  void compose(const StoreView& view, const status::AppliedSettings& applied, TimeMs now) {
    std::vector<notify::ChannelStatus> providers = engine.channel_status();
    notify::EngineCounters counters = engine.counters();

    // Messages accepted over the last minute (this node's API).
    accepted_samples.emplace_back(now, accepted.load());
    while (accepted_samples.size() > 1 && accepted_samples.front().first < now - 60'000) accepted_samples.pop_front();
    double per_minute = 0;
    if (accepted_samples.size() > 1) {
      TimeMs span = accepted_samples.back().first - accepted_samples.front().first;
      double delta = static_cast<double>(accepted_samples.back().second - accepted_samples.front().second);
      per_minute = span > 0 ? delta * 60'000.0 / static_cast<double>(span) : 0;
    }

    json::array provider_list;
    for (auto& p : providers) {
      json::object o = notify::providers_json({p}).at(0).as_object();
      auto setting = applied.provider_settings.find(p.provider);
      bool enabled = setting == applied.provider_settings.end() || setting->second.enabled;
      bool drained = setting != applied.provider_settings.end() && setting->second.drained;
      o["enabled"] = enabled;
      o["drained"] = drained;
      o["drain_reason"] = drained ? setting_reason(view.settings, p.provider) : std::string();
      o["since_ms"] = p.since_ms;
      // The names docs/console-api.md gives (the /v1/channels names stay as they are).
      o["breaker_state"] = p.breaker_state;
      o["success_ratio"] = p.success_ratio;
      o["window_count"] = p.window_count;
      auto cred = options.credentials.find(p.provider);
      o["credentials"] = cred == options.credentials.end() ? "not_needed" : cred->second;
      provider_list.push_back(std::move(o));
    }

    json::array channel_list;
    auto rendered = options.status ? options.status() : nullptr;
    for (auto& [channel, order] : applied.chains) {
      if (order.empty()) continue;
      std::string state = status::kOperational;
      if (rendered) {
        for (auto& c : rendered->snapshot.channels) {
          if (c.channel == channel) state = c.state;
        }
      }
      json::array names;
      for (auto& n : order) names.emplace_back(n);
      auto spent = counters.spent_today_krw.find(channel);
      auto cap = options.daily_cap_krw.find(channel);
      channel_list.push_back(json::object{{"channel", channel},
                                          {"providers", std::move(names)},
                                          {"state", state},
                                          {"cost_today_krw", spent == counters.spent_today_krw.end() ? 0.0 : spent->second},
                                          {"cap_krw", cap == options.daily_cap_krw.end() ? 0.0 : cap->second}});
    }

    if (now - last_history_ms >= options.history_step_ms) {
      last_history_ms = now;
      json::object point_providers;
      for (auto& p : providers) {
        point_providers[p.provider] = json::object{{"success_ratio", p.success_ratio},
                                                   {"latency_p99_ms", p.latency_p99_ms},
                                                   {"window_count", p.window_count},
                                                   {"breaker_state", p.breaker_state}};
      }
      history.push_back(json::object{{"t_ms", now}, {"providers", std::move(point_providers)}});
      while (history.size() > static_cast<std::size_t>(options.history_span_ms / options.history_step_ms)) {
        history.pop_front();
      }
    }
    json::array history_list(history.begin(), history.end());

    json::object board{{"generated_ms", now},
                       {"node", engine.node_id()},
                       {"queue_depth", pending},
                       {"in_memory", counters.active},
                       {"waiting_for_provider", counters.queued},
                       {"messages_per_minute", per_minute},
                       {"providers", std::move(provider_list)},
                       {"channels", std::move(channel_list)},
                       {"history", std::move(history_list)},
                       {"cluster", notify::cluster_json(view.nodes, engine.node_id(), now)},
                       {"alerts_unacknowledged", view.unacknowledged_alerts},
                       {"storage_ok", view.ok}};
    {
      std::lock_guard lock(mutex);
      current = board;
    }
    // The live stream gets the board when something but the clock changed, or every few seconds.
    json::object comparable = board;
    comparable.erase("generated_ms");
    std::string text = json::serialize(comparable);
    if (options.on_board && (text != last_pushed || now - last_push_ms >= kPushAtLeastEveryMs)) {
      last_pushed = std::move(text);
      last_push_ms = now;
      options.on_board(json::serialize(board));
    }
  }
};

BoardService::BoardService(asio::io_context& io, store::Store& store, notify::Engine& engine, MetricsRegistry& metrics,
                           const Clock& clock, BoardOptions options)
    : impl_(std::make_shared<Impl>(io, store, engine, metrics, clock, std::move(options))) {}

BoardService::~BoardService() { stop(); }

void BoardService::start() {
  asio::post(impl_->io, [impl = impl_] { impl->round(); });
}

void BoardService::stop() {
  asio::post(impl_->io, [impl = impl_] {
    impl->stopped = true;
    impl->timer.cancel();
  });
}

json::object BoardService::document() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->current;
}

void BoardService::refresh() {
  asio::post(impl_->io, [impl = impl_] {
    if (impl->stopped) return;
    impl->timer.cancel();
    impl->round();
  });
}

}  // namespace jarip::console
