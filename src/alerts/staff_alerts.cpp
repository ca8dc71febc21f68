#include "alerts/staff_alerts.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <map>

#include "alerts/alert_texts.hpp"
#include "common/log.hpp"
#include "text/kst.hpp"

namespace jarip::alerts {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// breaker_open and breaker_closed are one family: the later of the two is what operators believe.
std::string family(const std::string& kind) { return kind.substr(0, kind.find('_')); }

// The kind that ends a state, when it is raised at all: without it, the state's own alert stays true
// until the next one of its kind, and there is nothing to put right later.
const char* counterpart(const std::string& kind) {
  if (kind == kBreakerOpen) return kBreakerClosed;
  if (kind == kBreakerClosed) return kBreakerOpen;
  if (kind == kQueueBacklog) return kQueueRecovered;
  if (kind == kQueueRecovered) return kQueueBacklog;
  return nullptr;
}

TimeMs next_kst_midnight(TimeMs now) {
  return ((now + text::kKstOffsetMs) / text::kDayMs + 1) * text::kDayMs - text::kKstOffsetMs;
}

// Whether operators were last told exactly this about the subject. Alerts are few; the newest
// couple of hundred reach back well beyond any quiet period.
Result<bool> already_told(store::StoreSession& s, const AlertEvent& e) {
  auto recent = s.list_staff_alerts(0, 200);
  if (!recent) return recent.error();
  for (const auto& a : *recent) {
    if (a.subject == e.subject && family(a.kind) == family(e.kind)) return a.kind == e.kind;
  }
  return false;
}

json::value email_request(const AlertEvent& e, const store::OperatorRecord& op, const StaffAlertOptions& o,
                          const std::string& board) {
  bool ko = op.locale != "en";
  const std::string& line = ko ? e.text_ko : e.text_en;
  return json::object{{"recipient", json::object{{"email", op.email}}},
                      {"subject", line},
                      {"text", texts::email_body(line, e.severity, e.at_ms, board, ko)},
                      {"kind", "info"},
                      {"channels", json::array{"email"}},
                      {"locale", ko ? "ko" : "en"},
                      {"ttl_s", o.email_ttl_s},
                      {"metadata", json::object{{"staff_alert", e.kind}, {"subject", e.subject}}}};
}

}  // namespace

std::string alert_dedup_key(const AlertEvent& e, TimeMs quiet_ms) {
  std::string bucket;
  if (e.kind == kSpendingCap) {
    bucket = text::format_kst(e.at_ms).substr(0, 10);
  } else {
    bucket = std::to_string(quiet_ms > 0 ? e.at_ms / quiet_ms : e.at_ms);
  }
  return e.kind + ":" + e.subject + ":" + bucket;
}

Result<RecordOutcome> record_staff_alert(store::StoreSession& s, const AlertEvent& e, const MessageComposer& compose,
                                         const StaffAlertOptions& o, bool unless_told) {
  RecordOutcome out;
  if (unless_told) {
    auto told = already_told(s, e);
    if (!told) return told.error();
    if (*told) {
      out.already_told = true;
      return out;
    }
  }

  store::StaffAlertRecord& a = out.alert;
  a.kind = e.kind;
  a.subject = e.subject;
  a.dedup_key = alert_dedup_key(e, o.quiet_ms);
  a.severity = e.severity;
  a.text_ko = e.text_ko;
  a.text_en = e.text_en;
  a.created_ms = e.at_ms;

  json::object detail;
  boost::system::error_code ec;  // the overload that does not throw: this runs on the store's thread
  if (auto parsed = json::parse(e.detail_json, ec); !ec && parsed.is_object()) detail = std::move(parsed.as_object());
  std::string board = detail.contains("board_url") && detail["board_url"].is_string()
                          ? std::string(detail["board_url"].as_string())
                          : board_url(o.console_url);

  // Composed before the insert so that the alert row carries its delivery record from the start;
  // stored only once the insert says this node raises it.
  std::vector<store::MessageRecord> emails;
  json::array delivery;
  std::string reason;
  if (!compose) {
    reason = "alert emails are not configured";
  } else {
    auto operators = s.list_operators();
    if (!operators) return operators.error();
    int on_duty = 0;
    for (const auto& op : *operators) {
      if (!op.on_duty || op.disabled_ms != 0 || op.email.empty()) continue;
      ++on_duty;
      auto m = compose(email_request(e, op, o, board));
      if (!m) {
        // The email channel itself is missing: the same for every operator.
        if (m.error().code == "unknown_channel" || m.error().code == "no_channel_for_message") {
          reason = "no email provider is configured";
          delivery.clear();
          emails.clear();
          break;
        }
        delivery.push_back(json::object{{"operator", op.id}, {"via", "email"}, {"error", m.error().code}});
        continue;
      }
      delivery.push_back(json::object{{"operator", op.id}, {"via", "email"}, {"message_id", m->id}});
      emails.push_back(std::move(*m));
    }
    if (on_duty == 0) reason = "no operator is on duty";
  }
  if (!reason.empty()) detail["delivery_reason"] = reason;
  a.detail_json = json::serialize(detail);
  a.delivery_json = json::serialize(delivery);

  auto inserted = s.insert_staff_alert(a, o.quiet_ms);
  if (!inserted) return inserted.error();
  if (!*inserted) return out;
  out.inserted = true;
  for (const auto& m : emails) {
    if (auto st = s.insert_message(m); !st) return st.error();
  }
  out.emails = static_cast<int>(emails.size());
  return out;
}

struct StaffAlertService::Impl : std::enable_shared_from_this<Impl> {
  // Something to write again later: an event held back by the quiet period (recheck: only when
  // operators were last told otherwise), or one whose write failed.
  struct Pending {
    std::string kind, subject;
    bool recheck = true;
  };

  asio::io_context& io;
  store::Store& store;
  const Clock& clock;
  std::function<Snapshot()> snapshot;
  StaffAlertOptions options;
  StaffAlertHooks hooks;
  MetricsRegistry& metrics;
  AlertDetector detector;
  asio::steady_timer timer;
  bool stopped = false;
  std::map<std::string, TimeMs> gate;        // "kind:subject" → no write before this time
  std::map<std::string, Pending> pending;    // "family:subject" → the latest event held back

  Impl(asio::io_context& i, store::Store& s, const Clock& c, std::function<Snapshot()> snap, StaffAlertOptions o,
       StaffAlertHooks h, MetricsRegistry& m)
      : io(i), store(s), clock(c), snapshot(std::move(snap)), options(std::move(o)), hooks(std::move(h)), metrics(m),
        detector(options), timer(i) {
    metrics.help("jarip_staff_alerts_total", "counter", "Staff alerts this node raised, by kind.");
  }

  void arm() {
    if (stopped) return;
    timer.expires_after(std::chrono::milliseconds(std::max<TimeMs>(options.poll_ms, 10)));
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->stopped) return;
      self->poll();
      self->arm();
    });
  }

  void poll() {
    if (!snapshot) return;
    TimeMs now = clock.now_ms();
    for (auto& e : detector.observe(snapshot(), now)) submit(std::move(e), false, now);
    // Held-back events whose gate has opened: told again only if still true.
    std::vector<Pending> due;
    for (auto it = pending.begin(); it != pending.end();) {
      if (now >= gate[it->second.kind + ":" + it->second.subject]) {
        due.push_back(std::move(it->second));
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& p : due) {
      if (auto e = detector.current(p.kind, p.subject, now)) submit(std::move(*e), p.recheck, now);
    }
  }

  void hold_back(const AlertEvent& e, bool recheck) {
    const char* other = counterpart(e.kind);
    if (recheck && (!other || !options.kinds.count(other))) return;
    pending[family(e.kind) + ":" + e.subject] = Pending{e.kind, e.subject, recheck};
  }

  void submit(AlertEvent e, bool unless_told, TimeMs now) {
    const std::string key = e.kind + ":" + e.subject;
    if (auto g = gate.find(key); g != gate.end() && now < g->second) {
      hold_back(e, true);
      return;
    }
    // A re-check is retried sooner than a new event: the quiet period that held it back may have
    // begun on another node, earlier.
    if (e.kind == kSpendingCap) gate[key] = next_kst_midnight(now);
    else if (unless_told) gate[key] = now + std::max(options.poll_ms, options.quiet_ms / 10);
    else gate[key] = now + options.quiet_ms;
    // This event is the family's latest word: whatever was held back is superseded.
    pending.erase(family(e.kind) + ":" + e.subject);
    auto event = std::make_shared<AlertEvent>(std::move(e));
    auto outcome = std::make_shared<RecordOutcome>();
    store.write(
        [self = shared_from_this(), event, outcome, unless_told](store::StoreSession& s) -> Status {
          auto r = record_staff_alert(s, *event, self->hooks.compose, self->options, unless_told);
          if (!r) return r.error();
          *outcome = std::move(*r);
          return {};
        },
        [self = shared_from_this(), event, outcome, unless_told](Status st) {
          asio::post(self->io, [self, event, outcome, unless_told, st] { self->written(*event, *outcome, unless_told, st); });
        });
  }

  void written(const AlertEvent& e, const RecordOutcome& outcome, bool unless_told, const Status& st) {
    if (!st) {
      log::warn("storing a staff alert failed",
                {{"kind", e.kind}, {"subject", e.subject}, {"error", st.error().message}});
      // Tried again soon, as it then stands (unless a newer event of its family came meanwhile).
      gate[e.kind + ":" + e.subject] = clock.now_ms() + std::max<TimeMs>(options.poll_ms, 5'000);
      const std::string fkey = family(e.kind) + ":" + e.subject;
      if (!pending.count(fkey)) pending[fkey] = Pending{e.kind, e.subject, unless_told};
      return;
    }
    if (!outcome.inserted) {
      // Another node raised it, or one like it within the quiet period: put right later if needed.
      if (!outcome.already_told) hold_back(e, true);
      return;
    }
    if (e.kind != kSpendingCap) {
      TimeMs& g = gate[e.kind + ":" + e.subject];
      g = std::max(g, e.at_ms + options.quiet_ms);
    }
    metrics.counter("jarip_staff_alerts_total", {{"kind", e.kind}})++;
    log::info("staff alert", {{"kind", e.kind},
                              {"subject", e.subject},
                              {"severity", e.severity},
                              {"emails", std::to_string(outcome.emails)}});
    if (outcome.emails > 0 && hooks.wake) hooks.wake();
    if (hooks.on_alert) hooks.on_alert(outcome.alert);
  }
};

StaffAlertService::StaffAlertService(asio::io_context& io, store::Store& store, const Clock& clock,
                                     std::function<Snapshot()> snapshot, StaffAlertOptions options,
                                     StaffAlertHooks hooks, MetricsRegistry& metrics)
    : impl_(std::make_shared<Impl>(io, store, clock, std::move(snapshot), std::move(options), std::move(hooks),
                                   metrics)) {}

StaffAlertService::~StaffAlertService() { stop(); }

void StaffAlertService::start() {
  if (!impl_->options.enabled) return;
  asio::post(impl_->io, [impl = impl_] { impl->arm(); });
}

void StaffAlertService::stop() {
  asio::post(impl_->io, [impl = impl_] {
    impl->stopped = true;
    impl->timer.cancel();
  });
}

void StaffAlertService::poll_once() { impl_->poll(); }

std::function<Snapshot()> engine_snapshot_source(const notify::Engine& engine, MetricsRegistry& metrics) {
  // Looked up once: counter() takes the registry's lock, and the references stay valid.
  std::map<std::string, const std::atomic<std::uint64_t>*> caps;
  for (const auto& [channel, cap] : engine.options().daily_cap_krw) {
    if (cap > 0) caps[channel] = &metrics.counter("jarip_spending_cap_hits_total", {{"channel", channel}});
  }
  return [&engine, caps] {
    Snapshot s;
    s.providers = engine.channel_status();
    s.queue_depth = static_cast<std::int64_t>(engine.counters().active);
    for (const auto& [channel, counter] : caps) s.cap_hits[channel] = counter->load();
    return s;
  };
}

}  // namespace jarip::alerts
