#include "notify/webhooks.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <random>

#include "common/crypto.hpp"
#include "common/log.hpp"
#include "common/standard_webhooks.hpp"
#include "http/client.hpp"
#include "notify/backoff.hpp"
#include "text/kst.hpp"

namespace jarip::notify {

namespace json = boost::json;
namespace asio = boost::asio;

namespace {

store::WebhookEventRecord make_event(const std::string& type, const std::string& message_id, json::object data,
                                     TimeMs now) {
  store::WebhookEventRecord e;
  e.event_id = "evt_" + crypto::random_hex(12);
  e.type = type;
  e.message_id = message_id;
  e.created_ms = now;
  e.next_attempt_ms = now;
  e.payload_json =
      json::serialize(json::object{{"type", type}, {"timestamp", text::format_kst(now)}, {"data", std::move(data)}});
  return e;
}

}  // namespace

store::WebhookEventRecord message_event(const std::string& type, const store::MessageRecord& m, TimeMs now) {
  json::object data{{"id", m.id}, {"status", m.state}, {"kind", m.kind}};
  if (!m.template_name.empty()) data["template"] = m.template_name;
  if (!m.delivered_via.empty()) data["delivered_via"] = m.delivered_via;
  if (!m.final_code.empty()) data["reason"] = json::object{{"code", m.final_code}, {"detail", m.final_detail}};
  boost::system::error_code ec;
  auto metadata = json::parse(m.metadata_json.empty() ? "{}" : m.metadata_json, ec);
  data["metadata"] = ec ? json::value(json::object()) : metadata;
  return make_event(type, m.id, std::move(data), now);
}

store::WebhookEventRecord provider_event(const std::string& type, const std::string& provider,
                                         const std::string& state, const std::string& reason, TimeMs now) {
  return make_event(type, "", json::object{{"provider", provider}, {"breaker", state}, {"reason", reason}}, now);
}

struct WebhookDispatcher::Impl : std::enable_shared_from_this<WebhookDispatcher::Impl> {
  asio::io_context& io;
  store::Store& store;
  const Clock& clock;
  WebhookOptions options;
  http::HttpClient client;
  asio::steady_timer timer;
  Backoff backoff;
  bool busy = false;
  bool stopped = false;
  std::atomic<std::uint64_t>& m_delivered;
  std::atomic<std::uint64_t>& m_failed;
  std::atomic<std::uint64_t>& m_dead;

  Impl(asio::io_context& io_, store::Store& s, const Clock& c, WebhookOptions o, MetricsRegistry& m)
      : io(io_), store(s), clock(c), options(std::move(o)), client(io_.get_executor()), timer(io_),
        backoff(Backoff::seeded(BackoffPolicy{options.retry_base_ms, options.retry_cap_ms}, std::random_device{}())),
        m_delivered(m.counter("jarip_webhook_deliveries_total", {{"result", "delivered"}})),
        m_failed(m.counter("jarip_webhook_deliveries_total", {{"result", "failed"}})),
        m_dead(m.counter("jarip_webhook_deliveries_total", {{"result", "dead"}})) {}

  void schedule(int ms) {
    if (stopped) return;
    timer.expires_after(std::chrono::milliseconds(ms));
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->poll();
    });
  }

  void poll() {
    if (busy || stopped) return schedule(200);
    busy = true;
    auto due = std::make_shared<std::vector<store::WebhookEventRecord>>();
    TimeMs now = clock.now_ms();
    // Claimed in a write, not read: with several nodes on one database, the claim moves the events'
    // next attempt past the send's timeout so that no other node sends them meanwhile.
    TimeMs lease_until = now + 2LL * options.timeout_ms + 1000;
    store.write(
        [due, now, lease_until](store::StoreSession& s) -> Status {
          auto list = s.claim_webhook_events(now, lease_until, 32);
          if (!list) return list.error();
          *due = std::move(*list);
          return {};
        },
        [self = shared_from_this(), due](Status st) {
          if (!st) due->clear();
          asio::post(self->io, [self, due] { self->send_all(due); });
        });
  }

  void send_all(std::shared_ptr<std::vector<store::WebhookEventRecord>> due) {
    if (due->empty()) {
      busy = false;
      return schedule(200);
    }
    auto remaining = std::make_shared<std::size_t>(due->size());
    for (auto& event : *due) {
      std::int64_t ts = clock.now_ms() / 1000;
      auto signature = standard_webhooks::sign(options.secret, event.event_id, ts, event.payload_json);
      http::ClientRequest req;
      req.method = "POST";
      req.url = options.url;
      req.timeout_ms = options.timeout_ms;
      req.headers = {{"Content-Type", "application/json"},
                     {std::string(standard_webhooks::kIdHeader), event.event_id},
                     {std::string(standard_webhooks::kTimestampHeader), std::to_string(ts)},
                     {std::string(standard_webhooks::kSignatureHeader), signature ? *signature : std::string()}};
      req.body = event.payload_json;
      client.send(std::move(req), [self = shared_from_this(), event, remaining](http::ClientResult r) mutable {
        self->after_send(event, r);
        if (--*remaining == 0) {
          self->busy = false;
          self->schedule(0);  // more may be due right away (the next event of a message)
        }
      });
    }
  }

  void after_send(store::WebhookEventRecord event, const http::ClientResult& r) {
    TimeMs now = clock.now_ms();
    event.attempts++;
    if (r.kind == http::ClientResult::Kind::response && r.status >= 200 && r.status < 300) {
      event.delivered_ms = now;
      event.last_error.clear();
      m_delivered++;
    } else {
      event.last_error = r.kind == http::ClientResult::Kind::response ? "HTTP " + std::to_string(r.status) : r.error;
      if (event.attempts >= options.max_attempts) {
        event.dead = true;
        m_dead++;
        log::error("webhook event given up", {{"event", event.event_id}, {"type", event.type}, {"error", event.last_error}});
      } else {
        event.next_attempt_ms = now + options.retry_base_ms + backoff.delay_ms(event.attempts - 1);
        m_failed++;
      }
    }
    store.write([event](store::StoreSession& s) { return s.update_webhook_event(event); }, [](Status) {});
  }
};

WebhookDispatcher::WebhookDispatcher(asio::io_context& io, store::Store& store, const Clock& clock,
                                     WebhookOptions options, MetricsRegistry& metrics)
    : impl_(std::make_shared<Impl>(io, store, clock, std::move(options), metrics)) {}

WebhookDispatcher::~WebhookDispatcher() { stop(); }

void WebhookDispatcher::start() {
  if (!impl_->options.enabled()) return;
  asio::post(impl_->io, [impl = impl_] { impl->schedule(0); });
}

void WebhookDispatcher::stop() {
  asio::post(impl_->io, [impl = impl_] {
    impl->stopped = true;
    impl->timer.cancel();
  });
}

}  // namespace jarip::notify
