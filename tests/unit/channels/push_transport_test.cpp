// The Web Push provider end to end over real sockets: jarip's push transport (HTTP client, encryption,
// VAPID) against the simulator's push service, which decrypts with code of its own; plus scripted
// push-service answers (429 with Retry-After, 404/410, …) and the HTTP client's address filter.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include "channels/registry.hpp"
#include "channels/transport.hpp"
#include "channels/webpush/assets.hpp"
#include "channels/webpush/push_provider.hpp"
#include "http/client.hpp"
#include "sim/http_server.hpp"
#include "sim/simulator.hpp"

namespace jarip::channels::webpush {
namespace {

namespace asio = boost::asio;

ProviderSettings push_settings(const VapidKeys& keys) {
  ProviderSettings s;
  s.name = "push";
  s.type = "webpush";
  s.values = {{"vapid_public_key", keys.public_key_base64url()},
              {"vapid_private_key", keys.private_key_base64url()},
              {"subject", "mailto:ops@shop.example"}};
  return s;
}

OutboundMessage push_message(std::vector<std::string> subscriptions) {
  OutboundMessage m;
  m.message_id = "01HXPUSH0001";
  m.kind = SendKind::push;
  m.customer_id = "c-1";
  m.subject = "주문하신 상품이 발송되었습니다";
  m.text = "A-1001 · CJ대한통운 1234-5678";
  m.link_url = "https://shop.example/orders/A-1001";
  m.push_subscriptions = std::move(subscriptions);
  return m;
}

// ---- settings and payload ------------------------------------------------------------------------------

TEST(WebPushProvider, SettingsAreCheckedAtStartUp) {
  auto keys = VapidKeys::generate().value();
  auto other = VapidKeys::generate().value();
  struct Row {
    const char* name;
    std::function<void(ProviderSettings&)> change;
    const char* code;
    const char* field;
  };
  const std::vector<Row> rows = {
      {"no private key", [](ProviderSettings& s) { s.values.erase("vapid_private_key"); }, "config_missing",
       "providers.push.vapid_private_key"},
      {"private key not base64url", [](ProviderSettings& s) { s.values["vapid_private_key"] = "not a key"; },
       "config_invalid", "providers.push.vapid_private_key"},
      {"no public key", [](ProviderSettings& s) { s.values.erase("vapid_public_key"); }, "config_missing",
       "providers.push.vapid_public_key"},
      {"public key of another pair",
       [&](ProviderSettings& s) { s.values["vapid_public_key"] = other.public_key_base64url(); }, "config_invalid",
       "providers.push.vapid_public_key"},
      {"no subject", [](ProviderSettings& s) { s.values.erase("subject"); }, "config_missing", "providers.push.subject"},
      {"subject not mailto/https", [](ProviderSettings& s) { s.values["subject"] = "ops@shop.example"; },
       "config_invalid", "providers.push.subject"},
      {"ttl too long", [](ProviderSettings& s) { s.values["ttl_seconds"] = "2419201"; }, "config_invalid",
       "providers.push.ttl_seconds"},
      {"ttl not a number", [](ProviderSettings& s) { s.values["ttl_seconds"] = "1d"; }, "config_invalid",
       "providers.push.ttl_seconds"},
      {"urgency", [](ProviderSettings& s) { s.values["urgency"] = "urgent"; }, "config_invalid",
       "providers.push.urgency"},
      {"ad urgency", [](ProviderSettings& s) { s.values["ad_urgency"] = "Low"; }, "config_invalid",
       "providers.push.ad_urgency"},
  };
  for (const Row& r : rows) {
    ProviderSettings s = push_settings(keys);
    r.change(s);
    auto adapter = make_adapter(s);
    ASSERT_FALSE(adapter.ok()) << r.name;
    EXPECT_EQ(adapter.error().code, r.code) << r.name << ": " << adapter.error().message;
    EXPECT_EQ(adapter.error().field, r.field) << r.name;
    // The private key never appears in an error.
    EXPECT_EQ(adapter.error().message.find(keys.private_key_base64url()), std::string::npos) << r.name;
  }
  ProviderSettings ok = push_settings(keys);
  ok.values["ttl_seconds"] = "0";
  ok.values["urgency"] = "high";
  auto parsed = parse_push_settings(ok);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->ttl_seconds, 0);
  EXPECT_EQ(parsed->urgency, Urgency::high);
  EXPECT_EQ(parsed->ad_urgency, Urgency::low);
  EXPECT_EQ(parse_push_settings(push_settings(keys))->ttl_seconds, 86400);
}

TEST(WebPushProvider, AdapterIsPushOnlyOneMessageAtATime) {
  auto adapter = make_adapter(push_settings(VapidKeys::generate().value()));
  ASSERT_TRUE(adapter.ok()) << adapter.error().message;
  EXPECT_EQ((*adapter)->name(), "push");
  EXPECT_TRUE((*adapter)->supports(SendKind::push));
  EXPECT_FALSE((*adapter)->supports(SendKind::sms));
  EXPECT_EQ((*adapter)->max_batch(SendKind::push), 1u);
  EXPECT_FALSE((*adapter)->reports_delivery(SendKind::push));
}

TEST(WebPushProvider, PayloadLeavesOutEmptyMembersAndHasALimit) {
  OutboundMessage m = push_message({});
  m.unsubscribe_url = "https://jarip.example/u/abc";
  auto full = boost::json::parse(push_payload(m).value()).as_object();
  EXPECT_EQ(full.at("title").as_string(), m.subject);
  EXPECT_EQ(full.at("body").as_string(), m.text);
  EXPECT_EQ(full.at("url").as_string(), m.link_url);
  EXPECT_EQ(full.at("message_id").as_string(), m.message_id);
  EXPECT_EQ(full.at("unsubscribe_url").as_string(), m.unsubscribe_url);
  m.link_url.clear();
  m.unsubscribe_url.clear();
  auto plain = boost::json::parse(push_payload(m).value()).as_object();
  EXPECT_FALSE(plain.contains("url"));
  EXPECT_FALSE(plain.contains("unsubscribe_url"));
  EXPECT_EQ(plain.size(), 3u);

  m.text = std::string(kMaxPlaintextSize, 'x');
  auto big = push_payload(m);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, "payload_too_large");
  // Korean text: the limit is in bytes (UTF-8, 3 per syllable), not characters.
  m.subject.clear();
  m.message_id.clear();
  m.text.clear();
  for (int i = 0; i < 1327; ++i) m.text += "가";
  EXPECT_TRUE(push_payload(m).ok());  // {"body":"…"}: 11 + 3981 bytes
  m.text += "가";
  EXPECT_EQ(push_payload(m).error().code, "payload_too_large");
}

// ---- end to end against the simulator --------------------------------------------------------------------

class WebPushTransport : public ::testing::Test {
 protected:
  asio::io_context io;
  SystemClock clock;
  sim::SimConfig cfg = sim::default_config();
  sim::Simulator simulator{cfg, clock, 9};
  std::unique_ptr<sim::HttpServer> server;
  VapidKeys keys = VapidKeys::generate().value();
  std::vector<std::pair<std::string, std::string>> gone;
  std::shared_ptr<Transport> transport;

  void SetUp() override {
    server = std::make_unique<sim::HttpServer>(io, "127.0.0.1", 0, "push",
                                               [this](const sim::HttpIn& in) { return simulator.handle_push(in); });
    std::string error;
    ASSERT_TRUE(server->open(&error)) << error;
    simulator.push().set_origin(sim::push_origin("127.0.0.1", server->port()));
    transport = make(push_settings(keys));
  }

  std::shared_ptr<Transport> make(const ProviderSettings& settings, bool allow_private = true) {
    TransportEnv env;
    env.executor = io.get_executor();
    env.allow_private_endpoints = allow_private;
    env.on_push_subscription_gone = [this](const std::string& customer, const std::string& endpoint) {
      gone.emplace_back(customer, endpoint);
    };
    auto t = make_transport(settings, env);
    EXPECT_TRUE(t.ok()) << t.error().message;
    EXPECT_NE(t.value(), nullptr);
    return t.value();
  }

  std::string subscribe() { return simulator.push().create_subscription().value().json; }

  TransportResult send(std::vector<OutboundMessage> batch, int timeout_ms = 3000) {
    return send_with(*transport, std::move(batch), timeout_ms);
  }
  TransportResult send_with(Transport& t, std::vector<OutboundMessage> batch, int timeout_ms) {
    std::optional<TransportResult> out;
    t.send(SendKind::push, std::move(batch), timeout_ms, [&](TransportResult r) { out = std::move(r); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!out && std::chrono::steady_clock::now() < deadline) {
      io.run_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(out.has_value()) << "the transport never called done";
    return out.value_or(TransportResult{});
  }

  boost::json::array received() {
    boost::json::array out;
    for (const auto& m : simulator.push().messages()) {
      boost::json::object o{{"subscription", m.subscription_id}, {"urgency", m.urgency}, {"ttl", m.ttl}};
      o["payload"] = boost::json::parse(m.payload);
      out.push_back(std::move(o));
    }
    return out;
  }
  static std::string endpoint_of(const std::string& subscription_json) {
    return std::string(boost::json::parse(subscription_json).at("endpoint").as_string());
  }
  void unsubscribe(const std::string& subscription_json) {
    const std::string endpoint = endpoint_of(subscription_json);
    const std::string id = endpoint.substr(endpoint.rfind('/') + 1);
    EXPECT_EQ(simulator.handle_admin(sim::HttpIn{"DELETE", "/_sim/push/subscriptions/" + id, {}, ""}).status, 200);
  }
};

TEST_F(WebPushTransport, EveryDeviceGetsTheMessage) {
  const std::string phone = subscribe(), laptop = subscribe();
  TransportResult r = send({push_message({phone, laptop})});
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].outcome, SendOutcome::accepted) << r.results[0].error_code << " " << r.results[0].error_text;
  EXPECT_EQ(r.results[0].provider_message_id.rfind(simulator.push().origin() + "/message/", 0), 0u);
  EXPECT_EQ(r.health, ProviderHealth::ok);
  EXPECT_TRUE(r.answered);
  auto got = received();
  ASSERT_EQ(got.size(), 2u);
  for (const auto& m : got) {
    const auto& payload = m.at("payload").as_object();
    EXPECT_EQ(payload.at("title").as_string(), "주문하신 상품이 발송되었습니다");
    EXPECT_EQ(payload.at("body").as_string(), "A-1001 · CJ대한통운 1234-5678");
    EXPECT_EQ(payload.at("url").as_string(), "https://shop.example/orders/A-1001");
    EXPECT_EQ(payload.at("message_id").as_string(), "01HXPUSH0001");
    EXPECT_EQ(m.at("urgency").as_string(), "normal");
    EXPECT_EQ(m.at("ttl").as_int64(), 86400);
  }
  EXPECT_NE(got[0].at("subscription"), got[1].at("subscription"));
  EXPECT_TRUE(gone.empty());
}

TEST_F(WebPushTransport, AdsGoWithLowUrgency) {
  OutboundMessage m = push_message({subscribe()});
  m.advertisement = true;
  m.unsubscribe_url = "https://jarip.example/u/signed";
  EXPECT_EQ(send({m}).results[0].outcome, SendOutcome::accepted);
  auto got = received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("urgency").as_string(), "low");
  EXPECT_EQ(got[0].at("payload").at("unsubscribe_url").as_string(), "https://jarip.example/u/signed");
}

TEST_F(WebPushTransport, GoneSubscriptionsAreReportedAndDoNotCount) {
  const std::string kept = subscribe(), dropped = subscribe();
  unsubscribe(dropped);
  TransportResult r = send({push_message({kept, dropped})});
  EXPECT_EQ(r.results[0].outcome, SendOutcome::accepted);
  EXPECT_EQ(r.results[0].error_text, "accepted for 1 of 2 devices");
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0], (std::pair<std::string, std::string>{"c-1", endpoint_of(dropped)}));

  gone.clear();
  unsubscribe(kept);
  r = send({push_message({kept, dropped})});
  EXPECT_EQ(r.results[0].outcome, SendOutcome::next_channel);
  EXPECT_EQ(r.results[0].error_code, "subscription_gone");
  EXPECT_EQ(r.health, ProviderHealth::ok);
  EXPECT_EQ(gone.size(), 2u);
}

TEST_F(WebPushTransport, NothingToSendTo) {
  TransportResult none = send({push_message({})});
  EXPECT_EQ(none.results[0].outcome, SendOutcome::next_channel);
  EXPECT_EQ(none.results[0].error_code, "no_push_subscription");
  EXPECT_FALSE(none.answered);
  // Unreadable stored subscriptions are skipped, the readable one still gets it.
  TransportResult mixed = send({push_message({"{not json", R"({"endpoint":"https://x.example/p"})", subscribe()})});
  EXPECT_EQ(mixed.results[0].outcome, SendOutcome::accepted);
  TransportResult unreadable = send({push_message({"{not json"})});
  EXPECT_EQ(unreadable.results[0].error_code, "no_push_subscription");
  EXPECT_EQ(received().size(), 1u);
}

TEST_F(WebPushTransport, TooLargeIsRefusedBeforeSending) {
  OutboundMessage m = push_message({subscribe()});
  m.text = std::string(4000, 'x');
  TransportResult r = send({m});
  EXPECT_EQ(r.results[0].outcome, SendOutcome::permanent);
  EXPECT_EQ(r.results[0].error_code, "payload_too_large");
  EXPECT_TRUE(received().empty());
}

TEST_F(WebPushTransport, PushServiceErrorsAreRetryableAndCountAgainstIt) {
  const std::string s = subscribe();
  ASSERT_TRUE(simulator.context().faults.set_from_json(R"({"provider":"push","mode":"error"})", clock.now_ms()));
  TransportResult r = send({push_message({s})});
  EXPECT_EQ(r.results[0].outcome, SendOutcome::retryable);
  EXPECT_EQ(r.results[0].error_code, "push_service_error");
  EXPECT_EQ(r.health, ProviderHealth::failure);
  EXPECT_TRUE(r.answered);

  // One device's service failing does not fail a message another device accepted.
  simulator.context().faults.reset();
  TransportResult ok = send({push_message({s})});
  EXPECT_EQ(ok.results[0].outcome, SendOutcome::accepted);
}

TEST_F(WebPushTransport, RefusedConnectionIsRetryable) {
  const std::string s = subscribe();
  server->close();
  TransportResult r = send({push_message({s})});
  EXPECT_EQ(r.results[0].outcome, SendOutcome::retryable);
  EXPECT_EQ(r.results[0].error_code, "unreachable");
  EXPECT_EQ(r.health, ProviderHealth::failure);
  EXPECT_FALSE(r.answered);
}

TEST_F(WebPushTransport, NoAnswerAfterSendingIsAmbiguous) {
  const std::string s = subscribe();
  ASSERT_TRUE(simulator.context().faults.set_from_json(R"({"provider":"push","mode":"timeout"})", clock.now_ms()));
  TransportResult r = send({push_message({s})}, 300);
  EXPECT_EQ(r.results[0].outcome, SendOutcome::ambiguous);
  EXPECT_EQ(r.results[0].error_code, "timeout");
  EXPECT_EQ(r.health, ProviderHealth::timeout);
  EXPECT_EQ(received().size(), 1u);  // the push service did take it
}

TEST_F(WebPushTransport, PrivateEndpointsNeedTestMode) {
  auto production = make(push_settings(keys), /*allow_private=*/false);
  TransportResult r = send_with(*production, {push_message({subscribe()})}, 2000);
  EXPECT_EQ(r.results[0].outcome, SendOutcome::next_channel);
  EXPECT_EQ(r.results[0].error_code, "no_push_subscription");  // http://127.0.0.1 is not a subscription there
  EXPECT_TRUE(received().empty());
}

// Answers the simulator never gives, from a scripted push service.
class WebPushScriptedService : public WebPushTransport {
 protected:
  sim::HttpOut next;
  std::unique_ptr<sim::HttpServer> scripted;
  std::string scripted_subscription;

  void SetUp() override {
    WebPushTransport::SetUp();
    scripted = std::make_unique<sim::HttpServer>(io, "127.0.0.1", 0, "scripted", [this](const sim::HttpIn&) {
      return sim::Handled{sim::Disposition::respond, next, 0};
    });
    std::string error;
    ASSERT_TRUE(scripted->open(&error)) << error;
    // A valid subscription (keys from the simulator) pointing at the scripted service.
    auto doc = boost::json::parse(subscribe()).as_object();
    doc["endpoint"] = "http://127.0.0.1:" + std::to_string(scripted->port()) + "/fcm/send/abc";
    scripted_subscription = boost::json::serialize(doc);
  }
};

TEST_F(WebPushScriptedService, RateLimitedWithRetryAfter) {
  next = sim::HttpOut{429, "{}"};
  next.headers.emplace_back("Retry-After", "120");
  TransportResult r = send({push_message({scripted_subscription})});
  EXPECT_EQ(r.results[0].outcome, SendOutcome::retryable);
  EXPECT_EQ(r.results[0].error_code, "rate_limited");
  EXPECT_NE(r.results[0].error_text.find("Retry-After 120 s"), std::string::npos) << r.results[0].error_text;
  EXPECT_EQ(r.health, ProviderHealth::ok);  // throttling is not failing
}

TEST_F(WebPushScriptedService, GoneAnswersAndRefusals) {
  next = sim::HttpOut{404, ""};
  TransportResult r = send({push_message({scripted_subscription})});
  EXPECT_EQ(r.results[0].error_code, "subscription_gone");
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].second, endpoint_of(scripted_subscription));

  next = sim::HttpOut{403, ""};
  r = send({push_message({scripted_subscription})});
  EXPECT_EQ(r.results[0].outcome, SendOutcome::permanent);
  EXPECT_EQ(r.results[0].error_code, "vapid_rejected");

  // A retryable device keeps the message retryable even when the other one is gone.
  next = sim::HttpOut{503, ""};
  const std::string sim_gone = subscribe();
  unsubscribe(sim_gone);
  r = send({push_message({scripted_subscription, sim_gone})});
  EXPECT_EQ(r.results[0].outcome, SendOutcome::retryable);
  EXPECT_EQ(r.results[0].error_code, "push_service_error");

  // 200 without Location is an acceptance all the same.
  next = sim::HttpOut{200, ""};
  r = send({push_message({scripted_subscription})});
  EXPECT_EQ(r.results[0].outcome, SendOutcome::accepted);
  EXPECT_EQ(r.results[0].provider_message_id, "");
}

// ---- the HTTP client's additions ---------------------------------------------------------------------------

TEST_F(WebPushScriptedService, ClientAddressFilterRefusesBeforeConnecting) {
  next = sim::HttpOut{201, ""};
  next.headers.emplace_back("Location", "/m/1");
  http::ClientOptions options;
  std::vector<std::string> checked;
  options.address_filter = [&checked](const asio::ip::address& a) {
    checked.push_back(a.to_string());
    return !a.is_loopback();
  };
  http::HttpClient filtered(io.get_executor(), options);
  http::HttpClient open(io.get_executor());
  auto call = [this](http::HttpClient& client) {
    std::optional<http::ClientResult> out;
    client.send(http::ClientRequest{"POST", "http://localhost:" + std::to_string(scripted->port()) + "/x", {}, "", 2000},
                [&](http::ClientResult r) { out = std::move(r); });
    while (!out) io.run_for(std::chrono::milliseconds(10));
    return *out;
  };
  http::ClientResult refused = call(filtered);
  EXPECT_EQ(refused.kind, http::ClientResult::Kind::not_sent);
  EXPECT_TRUE(refused.address_refused);
  EXPECT_NE(refused.error.find("not allowed"), std::string::npos) << refused.error;
  EXPECT_FALSE(checked.empty());

  http::ClientResult answered = call(open);
  EXPECT_EQ(answered.kind, http::ClientResult::Kind::response);
  EXPECT_FALSE(answered.address_refused);
  EXPECT_EQ(answered.status, 201);
  EXPECT_EQ(answered.header("location"), "/m/1");
  EXPECT_EQ(answered.header("Server"), "jarip-sim");
  EXPECT_EQ(answered.header("X-Absent"), "");
}

// ---- the browser assets ------------------------------------------------------------------------------------

#ifndef JARIP_SOURCE_DIR
#define JARIP_SOURCE_DIR "."
#endif

TEST(WebPushAssets, TheBinaryCarriesTheFilesAsTheyAre) {
  for (const char* name : {"sw.js", "subscribe.js"}) {
    std::ifstream in(std::string(JARIP_SOURCE_DIR) + "/src/channels/webpush/assets/" + name, std::ios::binary);
    ASSERT_TRUE(in) << name;
    std::stringstream file;
    file << in.rdbuf();
    EXPECT_EQ(webpush_asset(name), file.str()) << name;
  }
  EXPECT_NE(webpush_asset("sw.js").find("notificationclick"), std::string_view::npos);
  EXPECT_NE(webpush_asset("subscribe.js").find("data-customer-token"), std::string_view::npos);
  EXPECT_TRUE(webpush_asset("embed.cmake").empty());
  EXPECT_TRUE(webpush_asset("../sw.js").empty());
  EXPECT_TRUE(webpush_asset("").empty());
}

}  // namespace
}  // namespace jarip::channels::webpush
