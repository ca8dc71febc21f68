#include "sim/push_service.hpp"

#include <boost/json.hpp>

#include "common/crypto.hpp"
#include "sim/json_text.hpp"
#include "sim/simulator.hpp"
#include "sim/timefmt.hpp"

namespace jarip::sim {

namespace json = boost::json;

namespace {

HttpOut push_error(int status, std::string_view code, std::string_view message) {
  return HttpOut{status, "{\"error\":{\"code\":" + json_quote(code) + ",\"message\":" + json_quote(message) + "}}"};
}

// Ids in endpoints are unguessable on real push services (the URL is the capability); the simulator
// keeps that shape.
std::string random_id() { return crypto::base64url_encode(crypto::random_bytes(16)); }

bool base64url_text(std::string_view s) {
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

std::optional<std::int64_t> parse_ttl(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra;
    if (c < 0x80) extra = 0;
    else if (c >= 0xc2 && c <= 0xdf) extra = 1;
    else if ((c & 0xf0) == 0xe0) extra = 2;
    else if (c >= 0xf0 && c <= 0xf4) extra = 3;
    else return false;
    if (s.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

json::object message_json(const PushMessageRecord& m) {
  json::object o{{"id", m.id},
                 {"subscription", m.subscription_id},
                 {"ttl", m.ttl},
                 {"urgency", m.urgency.empty() ? "normal" : m.urgency},
                 {"received_at", iso_utc_ms(m.received_ms)},
                 {"vapid_subject", m.vapid_subject}};
  if (!m.topic.empty()) o["topic"] = m.topic;
  // jarip sends JSON text; anything else is shown without breaking the listing.
  if (valid_utf8(m.payload)) {
    o["payload"] = m.payload;
  } else {
    o["payload_base64url"] = crypto::base64url_encode(m.payload);
  }
  return o;
}

}  // namespace

std::string push_origin(std::string_view listen_host, int port) {
  std::string host(listen_host);
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port);
}

PushService::PushService(const Clock& clock) : clock_(clock) {}

Result<PushService::Created> PushService::create_subscription(std::string_view application_server_key) {
  std::string server_key;
  if (!application_server_key.empty()) {
    auto raw = push::base64url_decode(application_server_key);
    if (!raw || raw->size() != 65 || (*raw)[0] != '\x04') {
      return make_error("invalid_application_server_key",
                        "applicationServerKey is a 65-byte uncompressed P-256 point in base64url");
    }
    server_key = std::move(*raw);
  }
  auto key = push::ReceiverKey::generate();
  if (!key) return key.error();
  PushSubscriptionState s{random_id(), std::move(*key), crypto::random_bytes(16), std::move(server_key), clock_.now_ms()};
  json::object keys{{"p256dh", crypto::base64url_encode(s.key.public_key())}, {"auth", crypto::base64url_encode(s.auth)}};
  Created out{s.id, json::serialize(json::object{
                         {"endpoint", endpoint_of(s.id)}, {"expirationTime", nullptr}, {"keys", std::move(keys)}})};
  std::string id = s.id;
  subscriptions_.emplace(std::move(id), std::move(s));
  return out;
}

std::optional<HttpOut> PushService::handle_admin(const HttpIn& in) {
  const std::string_view path = in.path();
  constexpr std::string_view kPrefix = "/_sim/push/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const auto parts = split_path(path);  // "_sim", "push", …

  if (parts.size() == 3 && parts[2] == "subscriptions") {
    if (in.method == "POST") {
      std::string server_key;
      if (!in.body.empty()) {
        boost::system::error_code ec;
        json::value body = json::parse(in.body, ec);
        if (ec || !body.is_object()) return push_error(400, "invalid_json", "body must be a JSON object or empty");
        server_key = get_string(body, "applicationServerKey").value_or("");
      }
      auto created = create_subscription(server_key);
      if (!created) return push_error(created.error().code == "crypto_failure" ? 500 : 400, created.error().code,
                                      created.error().message);
      HttpOut out{201, std::move(created->json)};
      out.headers.emplace_back("Location", "/_sim/push/subscriptions/" + created->id);
      return out;
    }
    if (in.method == "GET") {
      json::array list;
      for (const auto& [id, s] : subscriptions_) {
        json::object o{{"id", id},
                       {"endpoint", endpoint_of(id)},
                       {"created_at", iso_utc_ms(s.created_ms)},
                       {"deleted", s.deleted}};
        if (!s.application_server_key.empty()) {
          o["application_server_key"] = crypto::base64url_encode(s.application_server_key);
        }
        list.push_back(std::move(o));
      }
      const std::size_t count = list.size();
      return HttpOut{200, json::serialize(json::object{{"subscriptions", std::move(list)}, {"count", count}})};
    }
    return push_error(405, "method_not_allowed", "use POST or GET");
  }
  if (parts.size() == 4 && parts[2] == "subscriptions") {
    if (in.method != "DELETE") return push_error(405, "method_not_allowed", "use DELETE");
    auto it = subscriptions_.find(parts[3]);
    if (it == subscriptions_.end()) return push_error(404, "not_found", "no such subscription");
    it->second.deleted = true;
    return HttpOut{200, "{\"deleted\":" + json_quote(parts[3]) + "}"};
  }
  if (parts.size() == 3 && parts[2] == "messages") {
    if (in.method == "DELETE") {
      clear_messages();
      return HttpOut{200, "{\"cleared\":true}"};
    }
    if (in.method != "GET") return push_error(405, "method_not_allowed", "use GET or DELETE");
    const std::string only = query_get(parse_query(in.query()), "subscription");
    json::array list;
    for (const auto& m : messages_) {
      if (only.empty() || m.subscription_id == only) list.push_back(message_json(m));
    }
    const std::size_t count = list.size();
    return HttpOut{200, json::serialize(json::object{{"messages", std::move(list)}, {"count", count}})};
  }
  return push_error(404, "not_found", "unknown push admin endpoint");
}

HttpOut PushService::receive(const HttpIn& in, bool* recorded) {
  if (recorded != nullptr) *recorded = false;
  const auto parts = split_path(in.path());
  if (parts.size() != 2 || parts[0] != "push") return push_error(404, "not_found", "no such push resource");
  if (in.method != "POST") return push_error(405, "method_not_allowed", "a push message is a POST");
  auto it = subscriptions_.find(parts[1]);
  if (it == subscriptions_.end()) return push_error(404, "not_found", "no such subscription");
  const PushSubscriptionState& s = it->second;
  if (s.deleted) return push_error(410, "gone", "the subscription was unsubscribed");

  auto ttl = parse_ttl(in.header("TTL"));
  if (!in.has_header("TTL") || !ttl) return push_error(400, "invalid_ttl", "TTL header missing or not a number (RFC 8030 §5.2)");
  if (!iequals(in.header("Content-Encoding"), "aes128gcm")) {
    return push_error(400, "invalid_encoding", "Content-Encoding must be aes128gcm (RFC 8291)");
  }
  const std::string urgency(in.header("Urgency"));
  if (in.has_header("Urgency") && urgency != "very-low" && urgency != "low" && urgency != "normal" && urgency != "high") {
    return push_error(400, "invalid_urgency", "Urgency is very-low, low, normal or high (RFC 8030 §5.3)");
  }
  const std::string topic(in.header("Topic"));
  if (in.has_header("Topic") && (topic.empty() || topic.size() > 32 || !base64url_text(topic))) {
    return push_error(400, "invalid_topic", "Topic is 1-32 base64url characters (RFC 8030 §5.4)");
  }

  if (!in.has_header("Authorization")) return push_error(401, "unauthorized", "no VAPID Authorization");
  auto token = push::verify_vapid_authorization(in.header("Authorization"));
  if (!token) return push_error(401, "unauthorized", token.error().message);
  if (token->audience != origin_) {
    return push_error(401, "unauthorized", "JWT aud '" + token->audience + "' is not this push service's origin " + origin_);
  }
  const std::int64_t now_s = clock_.now_ms() / 1000;
  if (token->expires_at_s <= now_s) return push_error(401, "unauthorized", "the JWT has expired");
  if (token->expires_at_s > now_s + kMaxTokenLifetimeSeconds) {
    return push_error(401, "unauthorized", "the JWT's exp is more than 24 hours ahead (RFC 8292 §2)");
  }
  if (!token->subject.empty() && token->subject.rfind("mailto:", 0) != 0 && token->subject.rfind("https:", 0) != 0) {
    return push_error(401, "unauthorized", "the JWT's sub is neither mailto: nor https:");
  }
  if (!s.application_server_key.empty() && token->public_key != s.application_server_key) {
    return push_error(403, "forbidden", "k is not the applicationServerKey this subscription was made with");
  }

  if (in.body.size() > kMaxBodySize) return push_error(413, "payload_too_large", "body over 4096 bytes");
  auto plaintext = push::decrypt_message(in.body, s.key, s.auth);
  if (!plaintext) return push_error(400, plaintext.error().code, plaintext.error().message);

  PushMessageRecord m{random_id(), s.id, *ttl, urgency, topic, std::move(*plaintext), token->subject, clock_.now_ms()};
  HttpOut out{201, ""};
  out.headers.emplace_back("Location", origin_ + "/message/" + m.id);
  out.headers.emplace_back("TTL", std::to_string(*ttl));
  messages_.push_back(std::move(m));
  if (recorded != nullptr) *recorded = true;
  return out;
}

// The push listener's traffic, with the faults of provider "push" (channel "push"): the same effects
// as for Solapi and NHN, where they make sense for a service that sends no reports.
Handled Simulator::handle_push(const HttpIn& in) {
  ++ctx_.counters.requests;
  Decision d = ctx_.faults.decide(Provider::push, Channel::push, ctx_.now(), [this] { return ctx_.uniform(); });
  Handled h;
  if (d.effect == Effect::refuse) {
    ++ctx_.counters.refused;
    h.how = Disposition::close;
    return h;
  }
  if (d.effect == Effect::error) {
    ++ctx_.counters.errors_injected;
    h.out = push_error(500, "internal", "jarip-sim fault injection");
    return h;
  }
  h.out = push_.receive(in);
  switch (d.effect) {
    case Effect::hang:
      ++ctx_.counters.hung;
      h.how = Disposition::hang;
      break;
    case Effect::lose_answer:
      ++ctx_.counters.answers_lost;
      h.how = Disposition::close;
      break;
    case Effect::slow:
      ++ctx_.counters.slowed;
      h.delay_ms = d.latency_ms;
      break;
    default:  // accept_then_fail and blackhole concern reports, which a push service never sends
      break;
  }
  return h;
}

bool Simulator::push_should_listen() const { return !ctx_.faults.is_down(Provider::push, Channel::push, ctx_.now()); }

}  // namespace jarip::sim
