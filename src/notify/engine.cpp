#include "notify/engine.hpp"
#include "notify/channel_view.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <deque>
#include <mutex>
#include <queue>
#include <random>
#include <unordered_map>

#include "common/crypto.hpp"
#include "common/log.hpp"
#include "http/client.hpp"
#include "notify/backoff.hpp"
#include "notify/breaker.hpp"
#include "notify/compose.hpp"
#include "notify/customer_api.hpp"
#include "notify/forms.hpp"
#include "notify/latency_stats.hpp"
#include "notify/rate_limiter.hpp"
#include "notify/recipients.hpp"
#include "notify/report_ops.hpp"
#include "notify/settle_ops.hpp"
#include "notify/webhooks.hpp"
#include "text/ad_rules.hpp"
#include "text/kst.hpp"
#include "text/phone.hpp"

namespace jarip::notify {

namespace asio = boost::asio;
using channels::SendKind;
using channels::SendOutcome;

namespace {

struct Active {
  store::MessageRecord record;
  std::vector<std::string> chain;
  MessageForms forms;
  RecipientAddresses to;  // email, push and inbox addresses; empty for a message to a phone only
  bool provider_asked = false;  // some provider has been asked to send it: no longer cancellable
  bool in_flight = false;       // part of a send request right now
  bool queued = false;
  bool settling = false;        // waiting for the provider's status query on an ambiguous attempt
  // The step's last attempt was ambiguous and is to be repeated under the same dedup key. If the
  // provider cannot be used when the repeat is due, it is asked about this attempt before the
  // message moves on, so that a message the provider already has is not sent again elsewhere.
  std::optional<store::AttemptRecord> in_doubt;
  std::string last_error_code;
  std::string last_error_text;
};

struct ProviderState {
  ProviderRuntime runtime;
  std::unique_ptr<ProviderBreaker> breaker;
  std::unique_ptr<TokenBucket> bucket;
  LatencyStats latency;
  std::map<SendKind, std::deque<std::string>> queues;
  int in_flight = 0;
  Histogram* latency_histogram = nullptr;
  // Send requests on the wire, by a serial that grows with time: the oldest is first.
  std::map<std::uint64_t, TimeMs> on_wire;
  std::uint64_t next_request = 1;
  TimeMs last_answer_ms = 0;  // when the provider last answered anything at all
  TimeMs stall_after_ms = 0;  // cached; see stall_threshold()
  TimeMs stall_computed_ms = -1;
};

// What an adapter built, as the HTTP client sends it, with the provider's timeout.
http::ClientRequest to_client_request(channels::OutboundRequest&& request, int timeout_ms) {
  http::ClientRequest req;
  req.method = std::move(request.method);
  req.url = std::move(request.url);
  for (auto& h : request.headers) req.headers.push_back({std::move(h.name), std::move(h.value)});
  req.body = std::move(request.body);
  req.timeout_ms = timeout_ms;
  return req;
}

struct PendingSettle {
  store::AttemptRecord attempt;
  SettleCause cause;
};

struct Retry {
  TimeMs due;
  std::string id;
  bool operator>(const Retry& other) const { return due > other.due; }
};

}  // namespace

struct Engine::Impl : std::enable_shared_from_this<Engine::Impl> {
  std::shared_ptr<const ConsentNotices> consent_notices;
  asio::io_context& io;
  store::Store& store;
  const Clock& clock;
  DeliveryOptions options;
  MetricsRegistry& metrics;
  std::string node_id;
  http::HttpClient client;
  std::map<std::string, std::unique_ptr<ProviderState>> providers;
  std::unordered_map<std::string, Active> active;
  std::priority_queue<Retry, std::vector<Retry>, std::greater<>> retries;
  std::unordered_map<std::string, Permit> probes;
  std::unordered_map<std::string, store::MessageRecord> reclaimed;
  std::unordered_map<std::string, bool> early_reports;  // message id → probe permit awaiting its report
  std::unordered_map<std::string, PendingSettle> to_settle;  // claimed messages to settle before routing
  asio::steady_timer tick_timer;
  Backoff backoff;
  std::atomic<int> reserved{0};
  std::atomic<bool> wake_requested{true};
  bool claiming = false;
  bool claiming_reports = false;
  bool stopping = false;
  int writes_in_flight = 0;
  TimeMs next_claim_ms = 0;
  TimeMs next_report_claim_ms = 0;
  TimeMs next_lease_renewal_ms = 0;
  TimeMs next_status_publish_ms = 0;
  TimeMs failed_writes_logged_ms = 0;
  std::uint64_t failed_writes_unlogged = 0;
  TimeMs started_ms = 0;
  bool publishing_status = false;
  TimeMs next_housekeeping_ms = 0;
  std::function<void()> on_drained;
  TimeMs drain_deadline_ms = 0;
  // Daily spend per channel in KRW, reset at KST midnight.
  std::map<std::string, double> spent_today;
  std::int64_t spend_day = -1;

  mutable std::mutex snapshot_mutex;
  std::vector<ChannelStatus> snapshot;
  EngineCounters snapshot_counters;

  std::atomic<std::uint64_t>& m_ambiguous;
  std::atomic<std::uint64_t>& m_delivered;
  std::atomic<std::uint64_t>& m_failed;
  std::atomic<std::uint64_t>& m_expired;
  std::atomic<std::uint64_t>& m_held;
  std::atomic<std::uint64_t>& m_lease_lost;

  Impl(asio::io_context& io_, store::Store& store_, const Clock& clock_, DeliveryOptions o,
       MetricsRegistry& m, std::string node)
      : io(io_), store(store_), clock(clock_), options(std::move(o)), metrics(m), node_id(std::move(node)),
        client(io_.get_executor()), tick_timer(io_),
        backoff(Backoff::seeded(BackoffPolicy{options.retry_base_ms, options.retry_cap_ms},
                                std::random_device{}())),
        m_ambiguous(m.counter("jarip_ambiguous_attempts_total")),
        m_delivered(m.counter("jarip_messages_finished_total", {{"state", "delivered"}})),
        m_failed(m.counter("jarip_messages_finished_total", {{"state", "failed"}})),
        m_expired(m.counter("jarip_messages_finished_total", {{"state", "expired"}})),
        m_held(m.counter("jarip_messages_held_total")),
        m_lease_lost(m.counter("jarip_lease_lost_total")) {}

  // ---- plumbing -------------------------------------------------------------------------------

  template <class F>
  void on_engine(F&& f) {
    asio::post(io, [self = shared_from_this(), f = std::forward<F>(f)]() mutable { f(); });
  }

  // Writes that the engine does not need to wait for (ordering is kept by the store's FIFO).
  void persist(store::Store::WriteOp op) {
    ++writes_in_flight;
    store.write(std::move(op), [self = shared_from_this()](Status s) {
      self->on_engine([self, s] {
        --self->writes_in_flight;
        if (!s) {
          // The rows stay as they were; the lease will expire and the message be claimed again.
          // While a database is away every write fails: one line a second, with how many.
          ++self->failed_writes_unlogged;
          TimeMs now = self->clock.now_ms();
          if (now - self->failed_writes_logged_ms >= 1000) {
            log::error("engine write failed", {{"error", s.error().message},
                                               {"failed_writes", std::to_string(self->failed_writes_unlogged)}});
            self->failed_writes_logged_ms = now;
            self->failed_writes_unlogged = 0;
          }
        }
      });
    });
  }

  void count_attempt(const std::string& channel, const std::string& provider, const std::string& outcome) {
    metrics.counter("jarip_attempts_total", {{"channel", channel}, {"provider", provider}, {"outcome", outcome}})++;
  }

  ProviderState* provider(const std::string& name) {
    auto it = providers.find(name);
    return it == providers.end() ? nullptr : it->second.get();
  }

  // ---- the loop -------------------------------------------------------------------------------

  void schedule_tick() {
    tick_timer.expires_after(std::chrono::milliseconds(5));
    tick_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      self->tick();
    });
  }

  void tick() {
    TimeMs now = clock.now_ms();
    run_due_retries(now);
    for (auto& [name, p] : providers) {
      p->breaker->poll();
      detect_stall(*p, now);
      if (!admits(*p)) {
        // Opened while messages waited behind requests in flight: send them along their chains.
        for (auto& [kind, queue] : p->queues) reroute_queue(queue, now);
      }
      dispatch(*p);
    }
    if (!stopping) {
      if ((wake_requested.exchange(false) || now >= next_claim_ms) && !claiming) claim(now);
      if (now >= next_report_claim_ms && !claiming_reports) claim_overdue(now);
      if (now >= next_lease_renewal_ms) renew_leases(now);
      if (now >= next_housekeeping_ms) housekeeping(now);
    }
    publish_snapshot(now);
    if (!stopping && now >= next_status_publish_ms) publish_node_status(now);
    if (stopping && (drained() || now >= drain_deadline_ms)) {
      finish_stop();
      return;
    }
    schedule_tick();
  }

  // A provider that stops answering shows in outcomes only when its requests time out, seconds
  // later. Requests unanswered for many times its usual latency, while it answers nothing else,
  // open the breaker now: new messages go to the next provider instead of joining the wait.
  TimeMs stall_threshold(ProviderState& p, TimeMs now) {
    if (now - p.stall_computed_ms >= 1000 || p.stall_computed_ms < 0) {
      auto p99 = p.latency.percentile(now, 0.99);
      TimeMs by_latency = p99 ? *p99 * options.stall_latency_factor : p.runtime.timeout_ms;
      p.stall_after_ms = std::clamp<TimeMs>(by_latency, options.stall_min_ms,
                                            std::max<TimeMs>(options.stall_min_ms, p.runtime.timeout_ms / 2));
      p.stall_computed_ms = now;
    }
    return p.stall_after_ms;
  }

  void detect_stall(ProviderState& p, TimeMs now) {
    if (p.on_wire.empty() || now - p.on_wire.begin()->second < options.stall_min_ms) return;
    auto state = p.breaker->state();
    if (state != BreakerState::closed) return;
    TimeMs threshold = stall_threshold(p, now);
    if (now - p.last_answer_ms < threshold) return;
    int stalled = 0;
    for (auto& [serial, started] : p.on_wire) {
      if (now - started < threshold) break;
      ++stalled;
    }
    int enough = std::max(1, std::min(options.breaker.consecutive_failures, p.runtime.max_concurrency));
    if (stalled < enough) return;
    p.breaker->trip(std::to_string(stalled) + " requests unanswered for over " + std::to_string(threshold) + " ms");
  }

  bool drained() const {
    if (writes_in_flight > 0 || claiming || claiming_reports) return false;
    for (auto& [n, p] : providers) {
      if (p->in_flight > 0) return false;
    }
    return true;
  }

  void finish_stop() {
    tick_timer.cancel();
    // What this node still holds is free for the other nodes at once, not after the lease expires.
    if (store.shared()) {
      std::string owner = node_id;
      persist([owner](store::StoreSession& s) { return s.release_leases(owner); });
    }
    client.close_idle();
    for (auto& [name, p] : providers) {
      if (p->runtime.transport) p->runtime.transport->close();
    }
    if (on_drained) {
      auto done = std::move(on_drained);
      on_drained = nullptr;
      done();
    }
  }

  // ---- claiming -------------------------------------------------------------------------------

  int room() const {
    return options.max_active - static_cast<int>(active.size()) - reserved.load();
  }

  void claim(TimeMs now) {
    int limit = std::min(room(), options.claim_batch);
    next_claim_ms = now + 200;
    if (limit <= 0) return;
    claiming = true;
    auto dedup = dedup_rules();
    auto can_query = status_query_rule();
    auto result = std::make_shared<std::vector<store::MessageRecord>>();
    auto settle = std::make_shared<std::vector<PendingSettle>>();
    std::string owner = node_id;
    TimeMs lease_until = now + options.lease_ms;
    store.write(
        [=](store::StoreSession& s) -> Status {
          auto claimed = s.claim_due(owner, now, lease_until, limit);
          if (!claimed) return claimed.error();
          for (auto& m : *claimed) {
            if (m.state == store::kStateSending) {
              auto ambiguous = recover_interrupted_send(s, m, now, dedup, can_query);
              if (!ambiguous) return ambiguous.error();
              if (*ambiguous) settle->push_back(PendingSettle{**ambiguous, SettleCause::interrupted});
            } else if (m.kind == "ad" && m.step_attempts == 0) {
              // Consent may have changed since the ad was accepted (held overnight, scheduled).
              auto changed = refresh_ad_consent(s, m, now);
              if (!changed) return changed.error();
              if (*changed) {
                if (auto st = s.update_message(m); !st) return st;
              }
            }
          }
          *result = std::move(*claimed);
          return {};
        },
        [self = shared_from_this(), result, settle, limit](Status s) {
          self->on_engine([self, s, result, settle, limit] {
            self->claiming = false;
            if (!s) return;
            // A full batch means more may be due: claim again on the next tick.
            if (static_cast<int>(result->size()) == limit) self->wake_requested = true;
            for (auto& p : *settle) self->to_settle[p.attempt.message_id] = std::move(p);
            for (auto& m : *result) self->take(std::move(m));
          });
        });
  }

  DedupRules dedup_rules() const {
    DedupRules rules;
    for (auto& [name, p] : providers) {
      for (SendKind k : {SendKind::alimtalk, SendKind::sms, SendKind::lms}) {
        if (p->runtime.adapter->supports(k) && p->runtime.adapter->deduplicates(k)) {
          rules[name + "/" + std::string(channels::to_string(k))] = p->runtime.adapter->dedup_window_ms(k);
        }
      }
    }
    return rules;
  }

  // Whether an attempt's provider offers a status query for it. Runs on the store's writer thread:
  // it only reads the adapters, which are immutable once built.
  CanQueryStatus status_query_rule() const {
    std::map<std::string, std::shared_ptr<const channels::ProviderAdapter>> adapters;
    for (auto& [name, p] : providers) adapters[name] = p->runtime.adapter;
    return [adapters = std::move(adapters)](const store::AttemptRecord& at, const store::MessageRecord& m) {
      auto it = adapters.find(at.provider);
      if (it == adapters.end()) return false;
      return it->second->build_status_query(status_query_for(at, m.phone), channels::RequestContext{at.started_ms, std::string(32, '0')})
          .has_value();
    };
  }

  void claim_overdue(TimeMs now) {
    next_report_claim_ms = now + 1000;
    int limit = std::min(room(), options.claim_batch);
    if (limit <= 0) return;
    claiming_reports = true;
    auto result = std::make_shared<std::vector<store::MessageRecord>>();
    auto timed_out = std::make_shared<std::vector<std::string>>();  // providers, one per overdue report
    auto settle = std::make_shared<std::vector<PendingSettle>>();
    auto can_query = status_query_rule();
    std::string owner = node_id;
    TimeMs lease_until = now + options.lease_ms;
    store.write(
        [=](store::StoreSession& s) -> Status {
          auto claimed = s.claim_overdue_reports(owner, now, lease_until, limit);
          if (!claimed) return claimed.error();
          for (auto& m : *claimed) {
            // Ask the provider first where it can be asked: the report may only have been lost.
            auto accepted = accepted_attempt(s, m);
            if (!accepted) return accepted.error();
            if (*accepted && can_query(**accepted, m)) {
              settle->push_back(PendingSettle{**accepted, SettleCause::report_overdue});
              continue;
            }
            auto provider = expire_report_deadline(s, m, now);
            if (!provider) return provider.error();
            timed_out->push_back(*provider);
          }
          *result = std::move(*claimed);
          return {};
        },
        [self = shared_from_this(), result, timed_out, settle](Status s) {
          self->on_engine([self, s, result, timed_out, settle] {
            self->claiming_reports = false;
            if (!s) return;
            for (auto& name : *timed_out) self->count_report_timeout(name);
            for (auto& p : *settle) self->to_settle[p.attempt.message_id] = std::move(p);
            for (auto& m : *result) self->take(std::move(m));
          });
        });
  }

  void count_report_timeout(const std::string& provider_name) {
    m_ambiguous++;
    if (auto* p = provider(provider_name)) p->breaker->record(Permit{PermitKind::normal, 0}, Outcome::timeout);
  }

  void renew_leases(TimeMs now) {
    next_lease_renewal_ms = now + options.lease_ms / 3;
    std::string owner = node_id;
    TimeMs until = now + options.lease_ms;
    persist([owner, until](store::StoreSession& s) { return s.renew_leases(owner, until); });
  }

  // The cluster's view (GET /v1/channels on any node) and the status page are built from these rows
  // (with one node too: the status page reads them the same way on either engine).
  void publish_node_status(TimeMs now) {
    next_status_publish_ms = now + kNodeStatusIntervalMs;
    if (publishing_status) return;  // the database is slow or away: one write at a time
    if (!started_ms) started_ms = now;
    store::NodeStatusRecord row{node_id, started_ms, now, {}};
    {
      std::lock_guard lock(snapshot_mutex);
      row.status_json = boost::json::serialize(boost::json::object{{"providers", providers_json(snapshot)}});
    }
    publishing_status = true;
    store.write([row](store::StoreSession& s) { return s.put_node_status(row); },
                [self = shared_from_this()](Status) { self->on_engine([self] { self->publishing_status = false; }); });
  }

  void housekeeping(TimeMs now) {
    next_housekeeping_ms = now + 60'000;
    TimeMs idem_before = now - 24LL * 3600 * 1000;
    TimeMs body_before = now - options.retention_ms;
    persist([idem_before, body_before](store::StoreSession& s) -> Status {
      if (auto st = s.purge_idempotency(idem_before); !st) return st;
      auto purged = s.purge_bodies(body_before, 5000);
      if (!purged) return purged.error();
      return {};
    });
  }

  // A message now held in memory by this node.
  void take(store::MessageRecord record) {
    if (auto it = active.find(record.id); it != active.end()) {
      // Claimed again while its send is in flight (a failure report overtook the answer).
      if (it->second.in_flight) reclaimed[record.id] = std::move(record);
      return;
    }
    std::optional<PendingSettle> settle;
    if (auto it = to_settle.find(record.id); it != to_settle.end()) {
      settle = std::move(it->second);
      to_settle.erase(it);
    }
    Active a;
    a.chain = parse_chain(record.chain_json);
    a.forms = parse_forms(record.rendered_json);
    if (record.recipient_json.find("\"customer_id\"") != std::string::npos ||
        record.recipient_json.find("\"email\"") != std::string::npos) {
      a.to = parse_recipient(record.recipient_json);
    }
    // Conservative: a later step may have been reached by asking a provider on an earlier one.
    a.provider_asked = record.step_attempts > 0 || record.step > 0;
    std::string id = record.id;
    a.record = std::move(record);
    auto [it, inserted] = active.emplace(id, std::move(a));
    if (settle) {
      start_settle(it->second, std::move(settle->attempt), settle->cause);
      return;
    }
    route(it->second, clock.now_ms());
  }

  // ---- routing --------------------------------------------------------------------------------

  void run_due_retries(TimeMs now) {
    while (!retries.empty() && retries.top().due <= now) {
      std::string id = retries.top().id;
      retries.pop();
      auto it = active.find(id);
      if (it == active.end() || it->second.in_flight || it->second.queued || it->second.settling) continue;
      route(it->second, now);
    }
  }

  void release(Active& a) {
    a.record.lease_owner.clear();
    a.record.lease_until_ms = 0;
  }

  void forget(const std::string& id) {
    active.erase(id);
  }

  void finish(Active& a, const char* state, const std::string& code, const std::string& detail, TimeMs now) {
    a.record.state = state;
    a.record.final_code = code;
    a.record.final_detail = detail;
    a.record.updated_ms = now;
    a.record.due_ms = now;
    release(a);
    if (std::string(state) == store::kStateExpired) m_expired++;
    else m_failed++;
    auto rec = a.record;
    bool webhook = options.webhooks;
    persist([rec, webhook, now](store::StoreSession& s) -> Status {
      if (auto st = s.update_message(rec); !st) return st;
      if (!webhook) return {};
      auto event = message_event("message.failed", rec, now);
      return s.insert_webhook_event(event);
    });
    forget(rec.id);
  }

  void on_breaker_transition(const std::string& provider, BreakerState from, BreakerState to, std::string_view reason) {
    metrics.counter("jarip_breaker_transitions_total", {{"provider", provider}, {"to", std::string(to_string(to))}})++;
    log::warn("breaker transition",
              {{"provider", provider}, {"from", to_string(from)}, {"to", to_string(to)}, {"reason", reason}});
    if (!options.webhooks) return;
    bool down = (to == BreakerState::open || to == BreakerState::forced_open) && from == BreakerState::closed;
    bool up = to == BreakerState::closed;
    if (!down && !up) return;
    auto event = provider_event(down ? "provider.down" : "provider.up", provider, std::string(to_string(to)),
                                std::string(reason), clock.now_ms());
    persist([event](store::StoreSession& s) mutable { return s.insert_webhook_event(event); });
  }

  void hold(Active& a, TimeMs until, const std::string& why, TimeMs now) {
    a.record.state = store::kStateHeld;
    a.record.due_ms = until;
    a.record.final_detail = why;
    a.record.updated_ms = now;
    release(a);
    m_held++;
    auto rec = a.record;
    persist([rec](store::StoreSession& s) { return s.update_message(rec); });
    forget(rec.id);
  }

  void retry_later(Active& a, TimeMs due) {
    a.record.due_ms = due;
    retries.push(Retry{due, a.record.id});
  }

  SendKind send_kind_of(const Active& a, const ChainStep& step) const {
    if (step.channel == "sms") return a.forms.sms_kind;
    return channels::parse_send_kind(step.channel).value_or(SendKind::sms);
  }

  // Why this step cannot carry the message to its recipient (no address, or the customer refused
  // ads on the channel): {code, text}; empty code when it can.
  std::pair<std::string, std::string> step_refusal(const Active& a, const ChainStep& step) const {
    if (auto refused = a.to.ad_refused.find(step.channel); refused != a.to.ad_refused.end()) return refused->second;
    if (step.channel == "email") {
      if (!a.forms.has_email) return {"no_form", "the message has no email form"};
      if (a.to.email.empty()) return {"no_address", "the recipient has no email address"};
    } else if (step.channel == "push") {
      if (!a.forms.has_push) return {"no_form", "the message has no push form"};
      if (a.to.push_subscriptions.empty()) return {"no_address", "the recipient has no web push subscription"};
    } else if (step.channel == "inbox") {
      if (!a.forms.has_inbox) return {"no_form", "the message has no inbox form"};
      if (a.to.customer_id.empty()) return {"no_address", "the inbox needs a message addressed by customer_id"};
    } else if (a.record.phone.empty()) {
      return {"no_address", "the recipient has no phone number"};
    }
    return {};
  }

  bool admits(ProviderState& p) {
    p.breaker->poll();
    auto state = p.breaker->state();
    if (state == BreakerState::closed) return true;
    if (state == BreakerState::half_open) return p.breaker->outstanding_probes() < options.breaker.half_open_probes;
    return false;
  }

  // Decides what happens next to a message this node holds: send on its current step, skip a step
  // whose provider is down, wait, hold, or end it.
  void route(Active& a, TimeMs now) {
    auto& r = a.record;
    if (r.state == store::kStateHeld) r.state = store::kStateAccepted;
    if (r.expires_ms && now >= r.expires_ms) {
      finish(a, store::kStateExpired, "expired", "TTL passed before delivery", now);
      return;
    }
    if (r.step >= static_cast<int>(a.chain.size())) {
      finish(a, store::kStateFailed, a.last_error_code.empty() ? "chain_exhausted" : a.last_error_code,
             a.last_error_text.empty() ? "every channel in the chain failed" : a.last_error_text, now);
      return;
    }
    ChainStep step = split_step(a.chain[static_cast<std::size_t>(r.step)]);
    ProviderState* p = provider(step.provider);
    SendKind kind = send_kind_of(a, step);
    if (!p || !p->runtime.adapter->supports(kind) ||
        (kind == SendKind::alimtalk && !a.forms.alimtalk_codes.count(step.provider))) {
      a.last_error_code = "provider_unavailable";
      a.last_error_text = "no template code or adapter for " + a.chain[static_cast<std::size_t>(r.step)];
      skip_step(a, "provider_unavailable", a.last_error_text, now);
      return;
    }
    if (auto [code, why] = step_refusal(a, step); !code.empty()) {
      a.last_error_code = code;
      a.last_error_text = why;
      skip_step(a, code, why, now);
      return;
    }
    // A step that may carry the ad waits for the day; 정보통신망법 §50③ and its decree exempt email
    // from the night-time consent rule.
    if (r.kind == "ad" && !r.night_consent && step.channel != "email" && text::in_ad_quiet_hours(now)) {
      hold(a, text::next_ad_send_time(now), "ad held for 08:00 KST (no night-time consent)", now);
      return;
    }
    if (!within_spending_cap(step.channel, p, kind, now)) {
      hold(a, next_kst_midnight(now), "daily spending cap for channel '" + step.channel + "' reached", now);
      return;
    }
    if (!admits(*p) && a.in_doubt && can_query_now(*p, *a.in_doubt, r.phone)) {
      auto doubt = std::move(*a.in_doubt);
      a.in_doubt.reset();
      start_settle(a, std::move(doubt), SettleCause::answer_lost);
      return;
    }
    if (!admits(*p)) {
      // Skip a down provider at once, but only when a later step can take the message; otherwise
      // wait here rather than fail a message during a total outage.
      for (std::size_t i = static_cast<std::size_t>(r.step) + 1; i < a.chain.size(); ++i) {
        auto later = split_step(a.chain[i]);
        if (auto* lp = provider(later.provider); lp && admits(*lp)) {
          skip_step(a, "breaker_open", "provider " + step.provider + " is " + std::string(to_string(p->breaker->state())), now);
          return;
        }
      }
      retry_later(a, now + 250);
      return;
    }
    a.queued = true;
    p->queues[kind].push_back(r.id);
  }

  void skip_step(Active& a, const std::string& code, const std::string& text, TimeMs now) {
    auto& r = a.record;
    a.in_doubt.reset();
    ChainStep step = split_step(a.chain[static_cast<std::size_t>(r.step)]);
    store::AttemptRecord skipped;
    skipped.message_id = r.id;
    skipped.step = r.step;
    skipped.channel = step.channel;
    skipped.provider = step.provider;
    skipped.send_kind = std::string(channels::to_string(send_kind_of(a, step)));
    skipped.dedup_key = dedup_key(r.id, r.step);
    skipped.started_ms = skipped.ended_ms = now;
    skipped.outcome = "skipped";
    skipped.error_code = code;
    skipped.error_text = text;
    count_attempt(step.channel, step.provider, "skipped");
    persist([skipped](store::StoreSession& s) mutable { return s.insert_attempt(skipped); });
    r.step++;
    r.step_attempts = 0;
    route(a, now);
  }

  static TimeMs next_kst_midnight(TimeMs now) {
    constexpr TimeMs day = 86'400'000, kst = 9 * 3'600'000;
    return ((now + kst) / day + 1) * day - kst;
  }

  // Spending counts from KST midnight.
  void roll_spending_day(TimeMs now) {
    std::int64_t day = (now + 9 * 3'600'000) / 86'400'000;
    if (day != spend_day) {
      spend_day = day;
      spent_today.clear();
    }
  }

  bool within_spending_cap(const std::string& channel, ProviderState* p, SendKind kind, TimeMs now) {
    auto cap = options.daily_cap_krw.find(channel);
    if (cap == options.daily_cap_krw.end() || cap->second <= 0) return true;
    roll_spending_day(now);
    auto price = p->runtime.price.find(std::string(channels::to_string(kind)));
    double cost = price == p->runtime.price.end() ? 0 : price->second;
    if (spent_today[channel] + cost > cap->second) {
      metrics.counter("jarip_spending_cap_hits_total", {{"channel", channel}})++;
      return false;
    }
    return true;
  }

  // ---- sending --------------------------------------------------------------------------------

  void dispatch(ProviderState& p) {
    TimeMs now = clock.now_ms();
    for (auto& [kind, queue] : p.queues) {
      while (!queue.empty() && p.in_flight < p.runtime.max_concurrency) {
        // Drop ids that were canceled or moved while queued.
        std::vector<std::string> batch;
        std::size_t max = p.runtime.adapter->max_batch(kind);
        if (p.bucket) {
          std::uint32_t granted = p.bucket->try_take(now, static_cast<std::uint32_t>(std::min(max, queue.size())));
          if (granted == 0) break;  // back-pressure: wait for tokens, never drop
          max = granted;
        }
        Permit permit = p.breaker->try_acquire();
        if (!permit.admitted()) {
          // The breaker opened while these waited: send them along their chains instead.
          reroute_queue(queue, now);
          break;
        }
        // One request carries one batch_group (NHN: one template code or one SMS body); others
        // wait, in order, for the next request. The scan is bounded so a mixed queue stays cheap.
        std::optional<std::string> group;
        std::deque<std::string> other_groups;
        std::size_t scanned = 0;
        while (!queue.empty() && batch.size() < max && scanned++ < 4 * max + 16) {
          std::string id = std::move(queue.front());
          queue.pop_front();
          auto it = active.find(id);
          if (it == active.end() || !it->second.queued) continue;
          std::string g = p.runtime.adapter->batch_group(kind, outbound_for(it->second, kind));
          if (group && g != *group) {
            other_groups.push_back(std::move(id));
            continue;
          }
          group = std::move(g);
          it->second.queued = false;
          batch.push_back(std::move(id));
          if (permit.kind == PermitKind::probe) break;  // a probe risks one message, not a batch
        }
        for (auto it = other_groups.rbegin(); it != other_groups.rend(); ++it) queue.push_front(std::move(*it));
        if (batch.empty()) {
          p.breaker->release(permit);  // nothing was sent under this permit
          continue;
        }
        send(p, kind, std::move(batch), permit, now);
      }
    }
  }

  void reroute_queue(std::deque<std::string>& queue, TimeMs now) {
    std::deque<std::string> ids;
    ids.swap(queue);
    for (auto& id : ids) {
      auto it = active.find(id);
      if (it == active.end() || !it->second.queued) continue;
      it->second.queued = false;
      route(it->second, now);
    }
  }

  channels::OutboundMessage outbound_for(Active& a, SendKind kind) {
    auto& r = a.record;
    ChainStep step = split_step(a.chain[static_cast<std::size_t>(r.step)]);
    channels::OutboundMessage m;
    m.message_id = r.id;
    m.dedup_key = dedup_key(r.id, r.step);
    m.kind = kind;
    m.to = r.phone;
    m.customer_id = a.to.customer_id;
    m.locale = a.forms.locale;
    m.advertisement = r.kind == "ad";
    // Every email offers one-click unsubscribe (RFC 8058, and the bulk-sender rules of the big mail
    // services); push and inbox offer it on ads.
    if (m.customer_id.empty() && kind == SendKind::email && options.unsubscribe_address_link) {
      m.unsubscribe_url = options.unsubscribe_address_link(a.to.email);
    } else if (!m.customer_id.empty() && options.unsubscribe_link && (kind == SendKind::email || m.advertisement)) {
      // The inbox is no consent channel of its own: its unsubscribe action stops ads everywhere.
      m.unsubscribe_url = options.unsubscribe_link(m.customer_id, step.channel == "inbox" ? "*" : step.channel);
    }
    switch (kind) {
      case SendKind::alimtalk:
        m.text = a.forms.alimtalk_text;
        m.template_code = a.forms.alimtalk_codes[step.provider];
        m.variables = a.forms.alimtalk_vars;
        m.buttons = a.forms.buttons;
        break;
      case SendKind::sms:
      case SendKind::lms:
        m.text = a.forms.sms_text;
        m.subject = kind == SendKind::lms ? a.forms.sms_subject : std::string();
        break;
      case SendKind::email:
        m.email = a.to.email;
        m.subject = a.forms.email_subject;
        m.text = a.forms.email_text;
        m.html = a.forms.email_html;
        break;
      case SendKind::push:
        m.push_subscriptions = a.to.push_subscriptions;
        m.subject = a.forms.push_title;
        m.text = a.forms.push_body;
        m.link_url = a.forms.push_url;
        if (m.link_url.empty() && !m.customer_id.empty() && options.inbox_link) m.link_url = options.inbox_link(m.customer_id);
        break;
      case SendKind::inbox:
        m.subject = a.forms.inbox_title;
        m.text = a.forms.inbox_text;
        break;
    }
    return m;
  }

  void send(ProviderState& p, SendKind kind, std::vector<std::string> ids, Permit permit, TimeMs now) {
    ++p.in_flight;
    auto attempts = std::make_shared<std::vector<store::AttemptRecord>>();
    auto records = std::make_shared<std::vector<store::MessageRecord>>();
    std::vector<channels::OutboundMessage> outbound;
    for (auto& id : ids) {
      Active& a = active.at(id);
      auto& r = a.record;
      a.in_flight = true;
      a.in_doubt.reset();
      a.provider_asked = true;
      r.state = store::kStateSending;
      r.step_attempts++;
      r.updated_ms = now;
      ChainStep step = split_step(a.chain[static_cast<std::size_t>(r.step)]);
      store::AttemptRecord at;
      at.message_id = r.id;
      at.step = r.step;
      at.channel = step.channel;
      at.provider = step.provider;
      at.send_kind = std::string(channels::to_string(kind));
      at.dedup_key = dedup_key(r.id, r.step);
      at.started_ms = now;
      attempts->push_back(at);
      records->push_back(r);
      channels::OutboundMessage m = outbound_for(a, kind);
      outbound.push_back(std::move(m));
    }
    // The attempt is durable before the provider hears of it: after a crash, an attempt that was
    // started but has no outcome is known to be ambiguous instead of being silently repeated.
    // Only while the row is still this node's: a lease that lapsed (the database was away longer than
    // delivery.lease_s) may have been claimed by another node, or by this one again, and the message
    // moved on meanwhile. Such a message is left to whoever holds it now.
    auto stale = std::make_shared<std::vector<bool>>(records->size(), false);
    store.write(
        [attempts, records, stale, owner = node_id](store::StoreSession& s) -> Status {
          for (std::size_t i = 0; i < records->size(); ++i) {
            auto written = s.update_message_before_send((*records)[i], owner);
            if (!written) return written.error();
            if (!*written) {
              (*stale)[i] = true;
              continue;
            }
            if (auto st = s.insert_attempt((*attempts)[i]); !st) return st;
          }
          return {};
        },
        [self = shared_from_this(), name = p.runtime.name, kind, ids, permit, attempts, stale,
         outbound = std::move(outbound)](Status s) mutable {
          self->on_engine([self, s, name, kind, ids = std::move(ids), permit, attempts, stale,
                           outbound = std::move(outbound)]() mutable {
            if (s) self->drop_stale(*stale, ids, *attempts, outbound);
            if (s && ids.empty()) {
              ProviderState& p = *self->provider(name);
              --p.in_flight;
              p.breaker->release(permit);
              return;
            }
            self->after_attempts_recorded(s, name, kind, std::move(ids), permit, attempts, std::move(outbound));
          });
        });
  }

  // Messages whose row was no longer this node's when their attempt was to start: forgotten here,
  // never sent.
  void drop_stale(const std::vector<bool>& stale, std::vector<std::string>& ids,
                  std::vector<store::AttemptRecord>& attempts, std::vector<channels::OutboundMessage>& outbound) {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (stale[i]) {
        m_lease_lost++;
        log::warn("message no longer leased to this node; not sent", {{"message", ids[i]}});
        forget(ids[i]);
        continue;
      }
      if (kept != i) {
        ids[kept] = std::move(ids[i]);
        attempts[kept] = std::move(attempts[i]);
        outbound[kept] = std::move(outbound[i]);
      }
      ++kept;
    }
    ids.resize(kept);
    attempts.resize(kept);
    outbound.resize(kept);
  }

  void after_attempts_recorded(Status s, const std::string& name, SendKind kind, std::vector<std::string> ids,
                               Permit permit, std::shared_ptr<std::vector<store::AttemptRecord>> attempts,
                               std::vector<channels::OutboundMessage> outbound) {
    ProviderState& p = *provider(name);
    TimeMs now = clock.now_ms();
    if (!s) {
      // Nothing reached the provider; try again shortly.
      --p.in_flight;
      p.breaker->release(permit);
      for (auto& id : ids) {
        auto it = active.find(id);
        if (it == active.end()) continue;
        it->second.in_flight = false;
        it->second.record.state = store::kStateAccepted;
        it->second.record.step_attempts--;
        retry_later(it->second, now + 500);
      }
      return;
    }
    if (p.runtime.transport) {
      std::uint64_t serial = p.next_request++;
      p.on_wire.emplace(serial, now);
      auto batch = outbound;
      p.runtime.transport->send(kind, std::move(batch), p.runtime.timeout_ms,
                                [self = shared_from_this(), name, kind, ids = std::move(ids), permit, attempts,
                                 outbound = std::move(outbound), serial](channels::TransportResult result) mutable {
                                  // Transports complete on the engine's executor; post anyway so that a
                                  // transport answering inline cannot re-enter the send loop.
                                  self->on_engine([self, name, kind, ids = std::move(ids), permit, attempts,
                                                   outbound = std::move(outbound), serial,
                                                   result = std::move(result)]() mutable {
                                    if (auto* p = self->provider(name)) {
                                      p->on_wire.erase(serial);
                                      if (result.answered) p->last_answer_ms = self->clock.now_ms();
                                    }
                                    self->after_transport(name, kind, std::move(ids), permit, *attempts, std::move(result));
                                  });
                                });
      return;
    }
    channels::RequestContext context{now, crypto::random_hex(16)};
    auto request = p.runtime.adapter->build_send(kind, outbound, context);
    if (!request) {
      // The adapter refused to build it (a configuration or content problem): permanent for this step.
      std::vector<channels::SendResult> results(ids.size(), channels::SendResult{SendOutcome::permanent, "",
                                                                                 request.error().code, request.error().message});
      p.breaker->record(permit, Outcome::success);
      complete(p, kind, ids, *attempts, results, now, 0);
      return;
    }
    http::ClientRequest req = to_client_request(std::move(*request), p.runtime.timeout_ms);
    std::uint64_t serial = p.next_request++;
    p.on_wire.emplace(serial, now);
    client.send(std::move(req), [self = shared_from_this(), name, kind, ids = std::move(ids), permit, attempts,
                                 outbound = std::move(outbound), serial](http::ClientResult result) mutable {
      if (auto* p = self->provider(name)) {
        p->on_wire.erase(serial);
        if (result.kind == http::ClientResult::Kind::response) p->last_answer_ms = self->clock.now_ms();
      }
      self->after_response(name, kind, std::move(ids), permit, *attempts, outbound, std::move(result));
    });
  }

  void after_response(const std::string& name, SendKind kind, std::vector<std::string> ids, Permit permit,
                      std::vector<store::AttemptRecord>& attempts, const std::vector<channels::OutboundMessage>& outbound,
                      http::ClientResult result) {
    ProviderState& p = *provider(name);
    std::vector<channels::SendResult> results;
    Outcome transport = Outcome::success;
    if (result.kind == http::ClientResult::Kind::response) {
      results = p.runtime.adapter->parse_send(kind, outbound, channels::InboundResponse{result.status, result.body});
      if (result.status >= 500 || result.status == 429) transport = Outcome::failure;
    } else if (result.ambiguous()) {
      results.assign(ids.size(), channels::SendResult{SendOutcome::ambiguous, "", "transport", result.error});
      transport = Outcome::timeout;
    } else {
      results.assign(ids.size(), channels::SendResult{SendOutcome::retryable, "", "transport", result.error});
      transport = Outcome::failure;
    }
    std::size_t failure_weight = result.kind == http::ClientResult::Kind::response ? ids.size() : 1;
    on_answer(name, kind, ids, permit, attempts, std::move(results), transport, failure_weight, result.elapsed_ms);
  }

  void after_transport(const std::string& name, SendKind kind, std::vector<std::string> ids, Permit permit,
                       std::vector<store::AttemptRecord>& attempts, channels::TransportResult result) {
    Outcome transport = result.health == channels::ProviderHealth::ok        ? Outcome::success
                        : result.health == channels::ProviderHealth::timeout ? Outcome::timeout
                                                                             : Outcome::failure;
    on_answer(name, kind, ids, permit, attempts, std::move(result.results), transport, result.answered ? ids.size() : 1,
              result.elapsed_ms);
  }

  // The provider's answer to one send (HTTP response, transport result), as per-message results.
  // `failure_weight`: how many failures an unhealthy answer counts (one per message it carried when
  // the provider answered, since successes are counted per message).
  void on_answer(const std::string& name, SendKind kind, const std::vector<std::string>& ids, Permit permit,
                 std::vector<store::AttemptRecord>& attempts, std::vector<channels::SendResult> results,
                 Outcome transport, std::size_t failure_weight, int elapsed_ms) {
    ProviderState& p = *provider(name);
    TimeMs now = clock.now_ms();
    if (results.size() != ids.size()) {
      results.assign(ids.size(), channels::SendResult{SendOutcome::ambiguous, "", "adapter", "result count mismatch"});
    }
    const bool final_on_accept = !p.runtime.adapter->reports_delivery(kind);
    // Breaker: transport problems count now; an accepted message counts when its report arrives,
    // because providers such as Kakao in 2022 accept and fail later. A provider without reports
    // (SMTP, push, inbox) has said its last word: its acceptance counts now.
    bool all_accepted = true;
    for (auto& r : results) all_accepted = all_accepted && r.outcome == SendOutcome::accepted;
    if (transport != Outcome::success) {
      // An answered 5xx/429 fails every message it carried, and successes are counted per message
      // (their reports): counting it once would let batching dilute the failure ratio.
      p.breaker->record(permit, transport);
      for (std::size_t i = 1; i < failure_weight && permit.kind == PermitKind::normal; ++i) {
        p.breaker->record(permit, transport);
      }
    } else if (final_on_accept) {
      // The transport judged the provider healthy (an unhealthy answer took the branch above): a
      // message it could not take now (greylisting, a 429 for one device) is no fault of the provider.
      p.breaker->record(permit, Outcome::success);
      if (permit.kind == PermitKind::normal) {
        for (std::size_t i = 1; i < results.size(); ++i) p.breaker->record(permit, Outcome::success);
      }
    } else if (permit.kind == PermitKind::probe) {
      if (all_accepted) {
        p.breaker->record_pending_probe(permit);
        if (auto early = early_reports.find(ids.front()); early != early_reports.end()) {
          p.breaker->record_report(permit, early->second);  // its report overtook this answer
          early_reports.erase(early);
        } else {
          probes[ids.front()] = permit;
        }
      } else {
        bool provider_fault = false;
        for (auto& r : results) provider_fault = provider_fault || r.outcome == SendOutcome::retryable;
        p.breaker->record(permit, provider_fault ? Outcome::failure : Outcome::success);
      }
    } else {
      bool answered = false;
      for (auto& r : results) {
        if (r.outcome == SendOutcome::retryable) p.breaker->record(permit, Outcome::failure);
        answered = answered || r.outcome == SendOutcome::accepted;
      }
      if (answered) p.breaker->record_answered();
    }
    p.latency.record(now, elapsed_ms, transport == Outcome::success);
    if (p.latency_histogram) p.latency_histogram->observe(elapsed_ms / 1000.0);
    complete(p, kind, ids, attempts, results, now, elapsed_ms);
  }

  void complete(ProviderState& p, SendKind kind, const std::vector<std::string>& ids,
                std::vector<store::AttemptRecord>& attempts, const std::vector<channels::SendResult>& results,
                TimeMs now, int elapsed_ms) {
    --p.in_flight;
    auto att_updates = std::make_shared<std::vector<store::AttemptRecord>>();
    std::vector<PendingSettle> settle_after_write;
    // (message as it should be written, the step it was sent on)
    auto msg_updates = std::make_shared<std::vector<std::pair<store::MessageRecord, int>>>();
    std::string channel(channels::channel_of(kind));
    const bool final_on_accept = !p.runtime.adapter->reports_delivery(kind);
    auto delivered_events = std::make_shared<std::vector<store::WebhookEventRecord>>();
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto it = active.find(ids[i]);
      auto& at = attempts[i];
      const auto& res = results[i];
      at.ended_ms = now;
      at.outcome = std::string(channels::to_string(res.outcome));
      // A provider without delivery reports: its acceptance is the final outcome.
      if (final_on_accept && res.outcome == SendOutcome::accepted) at.outcome = "delivered";
      at.provider_message_id = res.provider_message_id;
      at.error_code = res.error_code;
      at.error_text = res.error_text.substr(0, 500);
      att_updates->push_back(at);
      count_attempt(channel, p.runtime.name, at.outcome);
      if (res.outcome == SendOutcome::accepted) {
        auto price = p.runtime.price.find(std::string(channels::to_string(kind)));
        if (price != p.runtime.price.end()) {
          roll_spending_day(clock.now_ms());
          spent_today[channel] += price->second;
        }
      }
      if (it == active.end()) continue;
      Active& a = it->second;
      a.in_flight = false;
      auto& r = a.record;
      r.updated_ms = now;
      const int sent_step = at.step;
      switch (res.outcome) {
        case SendOutcome::accepted:
          if (final_on_accept) {
            r.state = store::kStateDelivered;
            r.final_code = "delivered";
            r.delivered_via = at.channel + "@" + at.provider;
            m_delivered++;
            if (options.webhooks) delivered_events->push_back(message_event("message.delivered", r, now));
            release(a);
            msg_updates->emplace_back(r, sent_step);
            forget(r.id);
            continue;
          }
          r.state = store::kStateSent;
          r.step_deadline_ms = now + options.report_deadline_ms;
          release(a);
          msg_updates->emplace_back(r, sent_step);
          forget(r.id);
          continue;
        case SendOutcome::retryable: {
          a.last_error_code = res.error_code;
          a.last_error_text = res.error_text;
          TimeMs delay = backoff.delay_ms(r.step_attempts - 1);
          TimeMs step_started = now - (r.step_attempts > 1 ? 0 : 0);
          (void)step_started;
          bool can_retry = r.step_attempts < options.max_step_attempts &&
                           (!r.expires_ms || fits_deadline(now, delay, r.expires_ms));
          r.state = store::kStateAccepted;
          if (can_retry) {
            retry_later(a, now + delay);
            msg_updates->emplace_back(r, sent_step);
            continue;
          }
          break;  // move on
        }
        case SendOutcome::ambiguous: {
          m_ambiguous++;
          a.last_error_code = "ambiguous";
          a.last_error_text = res.error_text;
          r.state = store::kStateAccepted;
          // Repeating the same step is safe only where the provider deduplicates on our key.
          // The row stays "sending": the provider may have the message, so it is not cancellable.
          if (p.runtime.adapter->deduplicates(kind) && r.step_attempts < options.max_step_attempts) {
            r.state = store::kStateSending;
            a.in_doubt = at;
            retry_later(a, now + backoff.delay_ms(r.step_attempts - 1));
            msg_updates->emplace_back(r, sent_step);
            continue;
          }
          // Otherwise ask the provider what became of it, where it can be asked. The row stays
          // "sending", so a crash meanwhile is recovered like any interrupted send.
          if (can_query_now(p, at, r.phone)) {
            r.state = store::kStateSending;
            settle_after_write.push_back(PendingSettle{at, SettleCause::answer_lost});
            continue;
          }
          break;
        }
        case SendOutcome::next_channel:
        case SendOutcome::permanent:
          a.last_error_code = res.error_code.empty() ? std::string(channels::to_string(res.outcome)) : res.error_code;
          a.last_error_text = res.error_text;
          r.state = store::kStateAccepted;
          break;
      }
      // Move on to the next step.
      r.step++;
      r.step_attempts = 0;
      msg_updates->emplace_back(r, sent_step);
      route(a, now);
    }
    (void)elapsed_ms;
    persist([att_updates, msg_updates, delivered_events](store::StoreSession& s) -> Status {
      for (auto& at : *att_updates) {
        if (auto st = s.finish_attempt(at); !st) return st;
      }
      for (auto& [r, sent_step] : *msg_updates) {
        auto written = s.update_message_if(r, store::kStateSending, sent_step);
        if (!written) return written.error();
      }
      for (auto& event : *delivered_events) {
        if (auto st = s.insert_webhook_event(event); !st) return st;
      }
      return {};
    });
    for (auto& ps : settle_after_write) {
      auto it = active.find(ps.attempt.message_id);
      if (it != active.end()) start_settle(it->second, std::move(ps.attempt), ps.cause);
    }
    // Messages a report moved on while their send was in flight were claimed back meanwhile.
    for (auto& id : ids) {
      auto again = reclaimed.find(id);
      if (again == reclaimed.end() || active.count(id)) continue;
      auto record = std::move(again->second);
      reclaimed.erase(again);
      take(std::move(record));
    }
  }

  // ---- settling ambiguous attempts -----------------------------------------------------------

  bool can_query_now(ProviderState& p, const store::AttemptRecord& at, const std::string& to) {
    // Asked even while the breaker is open: a lookup costs at most one timeout of delay for a
    // message that is in doubt anyway, and spares the customer a second copy when it answers.
    if (stopping) return false;
    return p.runtime.adapter->build_status_query(status_query_for(at, to), channels::RequestContext{clock.now_ms(), std::string(32, '0')})
        .has_value();
  }

  // Asks the attempt's provider what became of it, no earlier than settle_after_ms after it was
  // made (a provider may not list a message the instant it takes it), then applies the answer.
  void start_settle(Active& a, store::AttemptRecord at, SettleCause cause) {
    a.settling = true;
    TimeMs now = clock.now_ms();
    TimeMs wait = std::max<TimeMs>(0, at.started_ms + options.settle_after_ms - now);
    auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(wait));
    timer->async_wait([self = shared_from_this(), timer, at = std::move(at), cause,
                       to = a.record.phone](boost::system::error_code) mutable {
      self->query_status(std::move(at), cause, to);
    });
  }

  void query_status(store::AttemptRecord at, SettleCause cause, const std::string& to) {
    ProviderState* p = provider(at.provider);
    TimeMs now = clock.now_ms();
    auto query = status_query_for(at, to);
    std::optional<channels::OutboundRequest> request;
    if (p && !stopping) {
      request = p->runtime.adapter->build_status_query(query, channels::RequestContext{now, crypto::random_hex(16)});
    }
    if (!request) {
      settled(std::move(at), cause, make_error("provider_unavailable", "provider not available for a status query"));
      return;
    }
    http::ClientRequest req = to_client_request(std::move(*request), p->runtime.timeout_ms);
    client.send(std::move(req), [self = shared_from_this(), at = std::move(at), cause, query](http::ClientResult result) mutable {
      ProviderState* p = self->provider(at.provider);
      Result<channels::StatusResult> answer = make_error("provider_unavailable", result.error);
      if (result.kind == http::ClientResult::Kind::response && p) {
        answer = p->runtime.adapter->parse_status(query, channels::InboundResponse{result.status, result.body});
      }
      self->settled(std::move(at), cause, std::move(answer));
    });
  }

  void settled(store::AttemptRecord at, SettleCause cause, Result<channels::StatusResult> answer) {
    std::string outcome = answer ? std::string(channels::to_string(answer->answer)) : "error";
    metrics.counter("jarip_status_queries_total", {{"provider", at.provider}, {"cause", std::string(to_string(cause))},
                                                   {"answer", outcome}})++;
    auto result = std::make_shared<SettleResult>();
    TimeMs now = clock.now_ms();
    TimeMs deadline = options.report_deadline_ms;
    bool webhook = options.webhooks;
    std::string id = at.message_id;
    std::string provider_name = at.provider;
    ++writes_in_flight;
    store.write(
        [=, answer = std::move(answer)](store::StoreSession& s) -> Status {
          auto applied = apply_status_answer(s, at, cause, answer, now, deadline, webhook);
          if (!applied) return applied.error();
          *result = std::move(*applied);
          return {};
        },
        [self = shared_from_this(), result, id, provider_name, cause](Status s) {
          self->on_engine([self, s, result, id, provider_name, cause] {
            --self->writes_in_flight;
            self->after_settled(s, *result, id, provider_name, cause);
          });
        });
  }

  void after_settled(Status s, SettleResult& result, const std::string& id, const std::string& provider_name,
                     SettleCause cause) {
    auto it = active.find(id);
    if (!s) {
      // Rows unchanged ("sending"/"sent"): the lease expires and recovery or the deadline settles it again.
      log::error("settling an ambiguous attempt failed", {{"error", s.error().message}});
      if (it != active.end()) forget(id);
      return;
    }
    if (result.decision == SettleDecision::finished) on_reports_applied(provider_name, result.effects);
    if (cause == SettleCause::report_overdue && result.decision == SettleDecision::moved_on) {
      count_report_timeout(provider_name);
    }
    if (it == active.end()) return;
    Active& a = it->second;
    a.settling = false;
    TimeMs now = clock.now_ms();
    switch (result.decision) {
      case SettleDecision::resend:
        a.record = result.message;
        if (a.record.step_attempts >= options.max_step_attempts) {
          a.last_error_code = "not_received";
          a.last_error_text = "the provider did not receive the step after " + std::to_string(a.record.step_attempts) + " attempts";
          a.record.step++;
          a.record.step_attempts = 0;
        }
        route(a, now);
        return;
      case SettleDecision::moved_on:
        a.record = result.message;
        a.last_error_code = "ambiguous";
        a.last_error_text = "no answer from the provider and no usable status query";
        route(a, now);
        return;
      case SettleDecision::superseded:
      case SettleDecision::finished:
        if (result.effects.moved_on > 0) wake_requested = true;  // claimed again from the store
        forget(id);
        return;
      case SettleDecision::awaiting_report:
        forget(id);
        return;
    }
  }

  // ---- reports --------------------------------------------------------------------------------

  // A probe's report can arrive before the send's own answer is processed; keep recent verdicts of
  // messages still in flight so the probe is resolved when the answer comes.
  void remember_early_report(const std::string& id, bool delivered) {
    auto it = active.find(id);
    if (it == active.end() || !it->second.in_flight) return;
    if (early_reports.size() > 10'000) early_reports.clear();
    early_reports[id] = delivered;
  }

  void on_reports_applied(const std::string& provider_name, const ReportEffects& effects) {
    ProviderState* p = provider(provider_name);
    for (auto& e : effects.outcomes) {
      if (e.delivered) m_delivered++;
      if (!p) continue;
      auto probe = probes.find(e.message_id);
      if (probe != probes.end()) {
        p->breaker->record_report(probe->second, e.delivered);
        probes.erase(probe);
      } else if (e.delivered) {
        remember_early_report(e.message_id, true);
        p->breaker->record(Permit{PermitKind::normal, 0}, Outcome::success);
      } else if (e.provider_fault) {
        remember_early_report(e.message_id, false);
        p->breaker->record(Permit{PermitKind::normal, 0}, Outcome::failure);
      }
    }
    if (effects.moved_on > 0 || effects.notices > 0) wake_requested = true;
  }

  // ---- snapshots ------------------------------------------------------------------------------

  void publish_snapshot(TimeMs now) {
    std::vector<ChannelStatus> list;
    std::size_t queued = 0;
    for (auto& [name, p] : providers) {
      ChannelStatus s;
      s.provider = name;
      s.channels = p->runtime.channels;
      s.breaker_state = std::string(to_string(p->breaker->state()));
      s.since_ms = p->breaker->since_ms();
      auto ws = p->breaker->window_stats();
      auto lat = p->latency.summary(now);
      s.success_ratio = ws.total() ? ws.success_ratio() : lat.success_ratio;
      s.window_count = ws.total();
      s.latency_p50_ms = lat.p50_ms;
      s.latency_p99_ms = lat.p99_ms;
      for (auto& [k, q] : p->queues) s.queued += q.size();
      s.in_flight = p->in_flight;
      queued += s.queued;
      list.push_back(std::move(s));
    }
    std::lock_guard lock(snapshot_mutex);
    snapshot = std::move(list);
    snapshot_counters = EngineCounters{active.size(), queued, spent_today};
  }
};

Engine::Engine(asio::io_context& io, store::Store& store, const Clock& clock, DeliveryOptions options,
               std::vector<ProviderRuntime> providers, MetricsRegistry& metrics, std::string node_id)
    : impl_(std::make_shared<Impl>(io, store, clock, std::move(options), metrics, std::move(node_id))) {
  for (auto& runtime : providers) {
    auto state = std::make_unique<ProviderState>();
    std::string name = runtime.name;
    auto* gauge_target = state.get();
    state->breaker = std::make_unique<ProviderBreaker>(
        clock, impl_->options.breaker,
        [name, impl = impl_.get()](BreakerState from, BreakerState to, std::string_view reason) {
          impl->on_breaker_transition(name, from, to, reason);
        });
    if (runtime.rate_per_s > 0) {
      state->bucket = std::make_unique<TokenBucket>(runtime.rate_per_s,
                                                    static_cast<std::uint32_t>(std::max(1.0, runtime.rate_per_s / 10)),
                                                    clock.now_ms());
    }
    state->latency_histogram = &metrics.histogram("jarip_provider_request_seconds", {{"provider", name}});
    state->runtime = std::move(runtime);
    metrics.gauge("jarip_breaker_state", {{"provider", name}}, [impl = impl_.get(), gauge_target] {
      (void)impl;
      switch (gauge_target->breaker->state()) {
        case BreakerState::closed: return 0.0;
        case BreakerState::half_open: return 1.0;
        case BreakerState::open: return 2.0;
        case BreakerState::forced_open: return 3.0;
      }
      return -1.0;
    });
    impl_->providers.emplace(name, std::move(state));
  }
  metrics.help("jarip_breaker_state", "gauge", "Circuit breaker state per provider: 0 closed, 1 half-open, 2 open, 3 forced open.");
  metrics.gauge("jarip_engine_active_messages", {}, [this] { return static_cast<double>(counters().active); });
  metrics.gauge("jarip_engine_queued_messages", {}, [this] { return static_cast<double>(counters().queued); });
}

Engine::~Engine() = default;

void Engine::start() {
  auto impl = impl_;
  // Alone on its database, this process owns every lease: those left by a previous run are free now.
  // Sharing it with other nodes, it must let theirs expire (a dead node's after delivery.lease_s).
  if (!impl->store.shared()) {
    (void)impl->store.run_now([](store::StoreSession& s) { return s.release_all_leases(); });
  }
  asio::post(impl->io, [impl] { impl->schedule_tick(); });
}

void Engine::stop(TimeMs grace_ms, std::function<void()> done) {
  auto impl = impl_;
  asio::post(impl->io, [impl, grace_ms, done = std::move(done)]() mutable {
    impl->stopping = true;
    impl->drain_deadline_ms = impl->clock.now_ms() + grace_ms;
    impl->on_drained = std::move(done);
  });
}

const std::string& Engine::node_id() const { return impl_->node_id; }

const ProviderRuntime* Engine::find_provider(const std::string& name) const {
  auto it = impl_->providers.find(name);
  return it == impl_->providers.end() ? nullptr : &it->second->runtime;
}

const DeliveryOptions& Engine::options() const { return impl_->options; }

bool Engine::reserve(int n) {
  // Racy by design against the engine thread's view; the bound is soft (max_active).
  int current = impl_->reserved.load();
  std::size_t active_now;
  {
    std::lock_guard lock(impl_->snapshot_mutex);
    active_now = impl_->snapshot_counters.active;
  }
  if (static_cast<int>(active_now) + current + n > impl_->options.max_active) return false;
  impl_->reserved += n;
  return true;
}

void Engine::unreserve(int n) { impl_->reserved -= n; }

void Engine::adopt(std::vector<store::MessageRecord> messages) {
  auto impl = impl_;
  asio::post(impl->io, [impl, messages = std::move(messages)]() mutable {
    impl->reserved -= static_cast<int>(messages.size());
    for (auto& m : messages) impl->take(std::move(m));
  });
}

void Engine::wake() { impl_->wake_requested = true; }

void Engine::cancel(const std::string& id, std::function<void(Status, std::string)> done) {
  auto impl = impl_;
  asio::post(impl->io, [impl, id, done = std::move(done)]() mutable {
    TimeMs now = impl->clock.now_ms();
    auto it = impl->active.find(id);
    if (it != impl->active.end()) {
      Active& a = it->second;
      if (a.provider_asked || a.in_flight) {
        done(make_error("conflict", "a provider has already been asked to send this message"), a.record.state);
        return;
      }
      a.queued = false;
      a.record.state = store::kStateCanceled;
      a.record.final_code = "canceled";
      a.record.updated_ms = now;
      impl->release(a);
      auto rec = a.record;
      impl->active.erase(it);
      impl->store.write([rec](store::StoreSession& s) { return s.update_message(rec); },
                        [done](Status s) { done(s, s ? store::kStateCanceled : ""); });
      return;
    }
    auto state = std::make_shared<std::string>();
    impl->store.write(
        [id, now, state](store::StoreSession& s) -> Status { return cancel_stored_message(s, id, now, *state); },
        [done, state](Status s) { done(s, *state); });
  });
}

void Engine::set_consent_notices(std::shared_ptr<const ConsentNotices> notices) {
  impl_->consent_notices = std::move(notices);
}

void Engine::apply_reports(const std::string& provider, channels::ReportBatch batch, std::function<void(Status)> done) {
  auto impl = impl_;
  auto effects = std::make_shared<ReportEffects>();
  TimeMs now = impl->clock.now_ms();
  auto shared_batch = std::make_shared<channels::ReportBatch>(std::move(batch));
  impl->store.write(
      [impl, provider, shared_batch, effects, now](store::StoreSession& s) {
        return apply_report_batch(s, provider, *shared_batch, now, *effects, impl->options.webhooks,
                                  impl->consent_notices.get());
      },
      [impl, provider, effects, done = std::move(done)](Status s) {
        if (s) {
          impl->on_engine([impl, provider, effects] { impl->on_reports_applied(provider, *effects); });
        }
        done(s);
      });
}

void Engine::drain(const std::string& provider, bool on, const std::string& reason, std::function<void(Status)> done) {
  auto impl = impl_;
  asio::post(impl->io, [impl, provider, on, reason, done = std::move(done)] {
    auto* p = impl->provider(provider);
    if (!p) return done(make_error("not_found", "no provider named '" + provider + "'"));
    if (on) {
      p->breaker->force_open(reason.empty() ? "drained by an operator" : reason);
      // Queued messages go along their chains now instead of waiting for this provider.
      for (auto& [kind, queue] : p->queues) impl->reroute_queue(queue, impl->clock.now_ms());
    } else {
      p->breaker->clear_forced();
    }
    impl->publish_snapshot(impl->clock.now_ms());
    done({});
  });
}

std::vector<ChannelStatus> Engine::channel_status() const {
  std::lock_guard lock(impl_->snapshot_mutex);
  return impl_->snapshot;
}

EngineCounters Engine::counters() const {
  std::lock_guard lock(impl_->snapshot_mutex);
  return impl_->snapshot_counters;
}

}  // namespace jarip::notify
