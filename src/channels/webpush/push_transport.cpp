// The Web Push transport: one encrypted POST per subscription of the customer, all at once, and one
// outcome for the message from their answers (the table in push_provider.hpp).
#include <boost/asio/post.hpp>

#include <chrono>
#include <optional>

#include "channels/webpush/asio_address.hpp"
#include "channels/webpush/push_provider.hpp"
#include "common/log.hpp"
#include "http/client.hpp"

namespace jarip::channels::webpush {

namespace {

// A push service's Location (the message resource) becomes the attempt's provider id; FCM's are a
// few hundred characters, anything longer is not worth storing.
constexpr std::size_t kMaxProviderIdSize = 512;

// What one subscription's request came to, in the order the message outcome weighs them.
enum class DeviceResult { accepted, ambiguous, retryable, gone, permanent };

struct DeviceOutcome {
  DeviceResult result = DeviceResult::permanent;
  std::string code;
  std::string detail;  // for error_text and logs: status or transport error, never the endpoint
  ProviderHealth health = ProviderHealth::ok;
  bool answered = false;
  std::string location;
  std::optional<TimeMs> retry_after_ms;
};

struct MessageState {
  std::string message_id;
  std::string customer_id;
  std::optional<SendResult> decided;  // settled before sending (no subscription, payload too large)
  std::vector<DeviceOutcome> devices;
};

// One send (one engine batch) while its requests are in flight. Lives on the executor only.
struct PendingSend {
  std::vector<MessageState> messages;
  std::size_t waiting = 0;
  std::function<void(TransportResult)> done;
  std::chrono::steady_clock::time_point started;
};

DeviceOutcome outcome_of(const http::ClientResult& r, TimeMs now_ms) {
  using Kind = http::ClientResult::Kind;
  DeviceOutcome d;
  switch (r.kind) {
    case Kind::response: {
      const PushResponse p = classify_push_response(r.status, r.header("Retry-After"), now_ms);
      d.answered = true;
      d.code = p.code;
      d.detail = "HTTP " + std::to_string(r.status);
      d.retry_after_ms = p.retry_after_ms;
      if (p.outcome == SendOutcome::accepted) {
        d.result = DeviceResult::accepted;
        d.location = std::string(r.header("Location").substr(0, kMaxProviderIdSize));
      } else if (p.remove_subscription) {
        d.result = DeviceResult::gone;
      } else if (p.outcome == SendOutcome::retryable) {
        d.result = DeviceResult::retryable;
        // 429 is the push service protecting itself, not failing: it does not count against it.
        if (r.status >= 500) d.health = ProviderHealth::failure;
      } else {
        d.result = DeviceResult::permanent;
      }
      return d;
    }
    case Kind::not_sent:
      d.detail = r.error;
      if (r.address_refused) {
        // A name that resolves into a private network: retrying will not make it public.
        d.result = DeviceResult::permanent;
        d.code = "endpoint_not_public";
      } else {
        d.result = DeviceResult::retryable;
        d.code = "unreachable";
        d.health = ProviderHealth::failure;
      }
      return d;
    case Kind::timeout_not_sent:
      d.result = DeviceResult::retryable;
      d.code = "timeout";
      d.detail = r.error;
      d.health = ProviderHealth::timeout;
      return d;
    case Kind::timeout_after_send:
      d.result = DeviceResult::ambiguous;
      d.code = "timeout";
      d.detail = "no answer in time after the request was written";
      d.health = ProviderHealth::timeout;
      return d;
    case Kind::failed_after_send:
      d.result = DeviceResult::ambiguous;
      d.code = "connection_lost";
      d.detail = r.error;
      d.health = ProviderHealth::failure;
      return d;
    case Kind::invalid_url:
      d.result = DeviceResult::permanent;
      d.code = "invalid_endpoint";
      d.detail = r.error;
      return d;
  }
  return d;
}

std::string retry_after_text(const std::optional<TimeMs>& retry_after_ms) {
  if (!retry_after_ms) return {};
  return "; Retry-After " + std::to_string((*retry_after_ms + 999) / 1000) + " s";
}

// The message's outcome from its devices' (push_provider.hpp): one acceptance is enough; otherwise
// the outcome that leaves the most options open to the engine wins.
SendResult message_result(const MessageState& m) {
  if (m.decided) return *m.decided;
  const std::size_t total = m.devices.size();
  auto first = [&m](DeviceResult wanted) -> const DeviceOutcome* {
    for (const auto& d : m.devices) {
      if (d.result == wanted) return &d;
    }
    return nullptr;
  };
  auto count = [&m](DeviceResult wanted) {
    std::size_t n = 0;
    for (const auto& d : m.devices) n += d.result == wanted ? 1 : 0;
    return n;
  };
  if (const DeviceOutcome* a = first(DeviceResult::accepted)) {
    SendResult r{SendOutcome::accepted, a->location, "", ""};
    const std::size_t accepted = count(DeviceResult::accepted);
    if (accepted < total) {
      r.error_text = "accepted for " + std::to_string(accepted) + " of " + std::to_string(total) + " devices";
    }
    return r;
  }
  if (const DeviceOutcome* a = first(DeviceResult::ambiguous)) {
    return SendResult{SendOutcome::ambiguous, "", a->code, "push service: " + a->detail};
  }
  if (const DeviceOutcome* r = first(DeviceResult::retryable)) {
    return SendResult{SendOutcome::retryable, "", r->code, "push service: " + r->detail + retry_after_text(r->retry_after_ms)};
  }
  if (count(DeviceResult::gone) == total) {
    return SendResult{SendOutcome::next_channel, "", "subscription_gone",
                      "every push subscription of the customer has expired or was unsubscribed (404/410)"};
  }
  const DeviceOutcome* p = first(DeviceResult::permanent);
  return SendResult{SendOutcome::permanent, "", p->code, "push service: " + p->detail};
}

TransportResult transport_result(const PendingSend& send) {
  TransportResult out;
  bool accepted = false, failure = false, timeout = false;
  for (const auto& m : send.messages) {
    out.results.push_back(message_result(m));
    accepted = accepted || out.results.back().outcome == SendOutcome::accepted;
    for (const auto& d : m.devices) {
      out.answered = out.answered || d.answered;
      failure = failure || d.health == ProviderHealth::failure;
      timeout = timeout || d.health == ProviderHealth::timeout;
      if (out.error.empty() && d.result != DeviceResult::accepted) out.error = d.code + ": " + d.detail;
    }
  }
  // A message that reached some device shows the service working, whatever another device's
  // push service did.
  out.health = accepted ? ProviderHealth::ok
               : failure ? ProviderHealth::failure
               : timeout ? ProviderHealth::timeout
                         : ProviderHealth::ok;
  out.elapsed_ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - send.started).count());
  return out;
}

class PushTransport final : public Transport, public std::enable_shared_from_this<PushTransport> {
 public:
  PushTransport(const PushSettings& settings, VapidTokenCache vapid, const TransportEnv& env,
                std::shared_ptr<const Clock> clock)
      : ttl_seconds_(settings.ttl_seconds),
        urgency_(settings.urgency),
        ad_urgency_(settings.ad_urgency),
        vapid_(std::move(vapid)),
        env_(env),
        clock_(std::move(clock)),
        client_(env.executor, client_options(env)) {}

  void send(SendKind kind, std::vector<OutboundMessage> batch, int timeout_ms,
            std::function<void(TransportResult)> done) override {
    auto pending = std::make_shared<PendingSend>();
    pending->done = std::move(done);
    pending->started = std::chrono::steady_clock::now();
    std::vector<std::pair<std::size_t, OutboundRequest>> requests;  // (message index, request)
    std::vector<std::string> endpoints;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const OutboundMessage& m = batch[i];
      MessageState state{m.message_id, m.customer_id, std::nullopt, {}};
      if (kind != SendKind::push) {
        state.decided = SendResult{SendOutcome::permanent, "", "unsupported_kind", "the webpush provider sends push only"};
      } else {
        prepare(m, state, i, requests, endpoints);
      }
      pending->messages.push_back(std::move(state));
    }
    pending->waiting = requests.size();
    if (requests.empty()) {
      // Completion is always asynchronous, as for every other transport.
      boost::asio::post(env_.executor, [pending] { pending->done(transport_result(*pending)); });
      return;
    }
    auto self = shared_from_this();
    for (std::size_t r = 0; r < requests.size(); ++r) {
      auto& [index, request] = requests[r];
      http::ClientRequest call;
      call.method = request.method;
      call.url = request.url;
      for (auto& h : request.headers) call.headers.push_back(http::Header{std::move(h.name), std::move(h.value)});
      call.body = std::move(request.body);
      call.timeout_ms = timeout_ms;
      client_.send(std::move(call), [self, pending, index = index, endpoint = std::move(endpoints[r])](
                                        http::ClientResult result) {
        self->on_answer(*pending, index, endpoint, result);
        if (--pending->waiting == 0) pending->done(transport_result(*pending));
      });
    }
  }

  void close() override { client_.close_idle(); }

 private:
  static http::ClientOptions client_options(const TransportEnv& env) {
    http::ClientOptions o;
    o.verify_tls = env.verify_tls;
    if (!env.allow_private_endpoints) {
      o.address_filter = [](const boost::asio::ip::address& a) { return is_public_address(a); };
    }
    return o;
  }

  // Decides the message now (no subscription, payload too large) or adds one request per device.
  void prepare(const OutboundMessage& m, MessageState& state, std::size_t index,
               std::vector<std::pair<std::size_t, OutboundRequest>>& requests, std::vector<std::string>& endpoints) {
    auto payload = push_payload(m);
    if (!payload) {
      state.decided = SendResult{SendOutcome::permanent, "", payload.error().code, payload.error().message};
      return;
    }
    const SubscriptionOptions options{.allow_private = env_.allow_private_endpoints};
    const PushMessage message{std::move(*payload), ttl_seconds_, m.advertisement ? ad_urgency_ : urgency_, ""};
    const TimeMs now = clock_->now_ms();
    const std::size_t requests_before = requests.size();
    for (const std::string& stored : m.push_subscriptions) {
      auto subscription = parse_subscription(stored, options);
      if (!subscription) {
        // The directory validated it when it was stored; an unreadable one (an older rule, test mode
        // switched off) costs this device only.
        log::warn("webpush: skipping an unreadable stored subscription",
                  {{"customer_id", m.customer_id}, {"message_id", m.message_id},
                   {"code", subscription.error().code}, {"field", subscription.error().field},
                   {"error", subscription.error().message}});
        continue;
      }
      auto request = build_push_request(*subscription, message, vapid_, now);
      if (!request) {
        log::warn("webpush: cannot build the request for a subscription",
                  {{"customer_id", m.customer_id}, {"message_id", m.message_id}, {"code", request.error().code},
                   {"error", request.error().message}});
        DeviceOutcome failed;
        failed.code = request.error().code;
        failed.detail = request.error().message;
        state.devices.push_back(std::move(failed));
        continue;
      }
      requests.emplace_back(index, std::move(*request));
      endpoints.push_back(subscription->endpoint);
    }
    if (requests.size() == requests_before && state.devices.empty()) {
      state.decided = SendResult{SendOutcome::next_channel, "", "no_push_subscription",
                                 m.push_subscriptions.empty() ? "the customer has no push subscription"
                                                              : "none of the customer's push subscriptions is readable"};
    }
  }

  void on_answer(PendingSend& pending, std::size_t index, const std::string& endpoint, const http::ClientResult& result) {
    MessageState& m = pending.messages[index];
    DeviceOutcome d = outcome_of(result, clock_->now_ms());
    if (d.result == DeviceResult::gone && !m.customer_id.empty() && env_.on_push_subscription_gone) {
      env_.on_push_subscription_gone(m.customer_id, endpoint);
    }
    if (d.code == "endpoint_not_public") {
      log::warn("webpush: a subscription's host resolves to a non-public address; not sent",
                {{"customer_id", m.customer_id}, {"message_id", m.message_id}, {"error", d.detail}});
    }
    m.devices.push_back(std::move(d));
  }

  std::int64_t ttl_seconds_;
  Urgency urgency_;
  Urgency ad_urgency_;
  VapidTokenCache vapid_;
  TransportEnv env_;
  std::shared_ptr<const Clock> clock_;
  http::HttpClient client_;
};

}  // namespace

Result<std::shared_ptr<Transport>> make_push_transport(const ProviderSettings& settings, const TransportEnv& env,
                                                       std::shared_ptr<const Clock> clock) {
  auto parsed = parse_push_settings(settings);
  if (!parsed) return parsed.error();
  // The keys live on in the token cache only: nothing else signs.
  auto vapid = VapidTokenCache::make(std::move(parsed->keys), parsed->subject);
  if (!vapid) {
    return make_error("config_invalid", "provider '" + settings.name + "': " + vapid.error().message,
                      "providers." + settings.name + ".subject");
  }
  return std::shared_ptr<Transport>(std::make_shared<PushTransport>(*parsed, std::move(*vapid), env, std::move(clock)));
}

Result<std::shared_ptr<Transport>> make_push_transport(const ProviderSettings& settings, const TransportEnv& env) {
  return make_push_transport(settings, env, std::make_shared<SystemClock>());
}

}  // namespace jarip::channels::webpush
