// The simulator's push service: its own RFC 8291 decryption (Appendix A), its VAPID checks, and the
// answers of POST /push/{id}. Requests are built with jarip's real encoder (channels/webpush): the two
// sides share no code, so agreement here is interoperability, not a tautology.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "channels/webpush/subscription.hpp"
#include "channels/webpush/vapid.hpp"
#include "channels/webpush/webpush.hpp"
#include "common/crypto.hpp"
#include "sim/push_crypto.hpp"
#include "sim/push_service.hpp"
#include "sim/simulator.hpp"
#include "sim_test_util.hpp"

namespace jarip::sim {
namespace {

namespace webpush = channels::webpush;

std::string b64u(std::string_view text) { return push::base64url_decode(text).value(); }

// RFC 8291 Appendix A: the receiver's keys and the message it gets.
constexpr const char* kUaPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
constexpr const char* kUaPublic =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
constexpr const char* kAuth = "BTBZMqHH6r4Tts7J_aSIgg";
constexpr const char* kAsPublic =
    "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
constexpr const char* kBody =
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_"
    "yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

push::ReceiverKey rfc_receiver() { return push::ReceiverKey::from_raw(b64u(kUaPrivate), b64u(kUaPublic)).value(); }

TEST(SimPushCrypto, DecryptsRfc8291AppendixA) {
  push::ContentHeader header;
  auto plain = push::decrypt_message(b64u(kBody), rfc_receiver(), b64u(kAuth), &header);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(*plain, "When I grow up, I want to be a watermelon");
  EXPECT_EQ(header.record_size, 4096u);
  EXPECT_EQ(header.salt, b64u("DGv6ra1nlYgDCS1FRnbzlw"));
  EXPECT_EQ(header.sender_public, b64u(kAsPublic));
}

TEST(SimPushCrypto, RefusesTamperedOrForeignMessages) {
  const std::string body = b64u(kBody);
  for (std::size_t at : {std::size_t{0}, std::size_t{30}, std::size_t{90}, body.size() - 1}) {
    std::string tampered = body;
    tampered[at] ^= 0x01;
    auto r = push::decrypt_message(tampered, rfc_receiver(), b64u(kAuth));
    ASSERT_FALSE(r.ok()) << "byte " << at;
    EXPECT_EQ(r.error().code, "decryption_failed") << "byte " << at;
  }
  std::string wrong_auth = b64u(kAuth);
  wrong_auth[0] ^= 0x01;
  EXPECT_EQ(push::decrypt_message(body, rfc_receiver(), wrong_auth).error().code, "decryption_failed");
  auto other = push::ReceiverKey::generate().value();
  EXPECT_EQ(push::decrypt_message(body, other, b64u(kAuth)).error().code, "decryption_failed");

  // Header rules of RFC 8188/8291: rs ≥ 18, one record, a 65-byte keyid.
  std::string small_rs = body;
  small_rs[16] = small_rs[17] = small_rs[18] = 0;
  small_rs[19] = 17;
  EXPECT_EQ(push::decrypt_message(small_rs, rfc_receiver(), b64u(kAuth)).error().code, "malformed_body");
  std::string two_records = body;
  two_records[18] = 0;
  two_records[19] = 40;  // rs 40 < the 58-byte record
  EXPECT_EQ(push::decrypt_message(two_records, rfc_receiver(), b64u(kAuth)).error().code, "malformed_body");
  std::string short_keyid = body;
  short_keyid[20] = 64;
  EXPECT_EQ(push::decrypt_message(short_keyid, rfc_receiver(), b64u(kAuth)).error().code, "malformed_body");
  EXPECT_EQ(push::decrypt_message(body.substr(0, 20), rfc_receiver(), b64u(kAuth)).error().code, "malformed_body");
}

TEST(SimPushCrypto, ReceiverKeysMustBeAPair) {
  EXPECT_FALSE(push::ReceiverKey::from_raw(b64u(kUaPrivate), b64u(kAsPublic)).ok());
  EXPECT_FALSE(push::ReceiverKey::from_raw("short", b64u(kUaPublic)).ok());
  auto fresh = push::ReceiverKey::generate();
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->public_key().size(), 65u);
  EXPECT_EQ(fresh->public_key()[0], '\x04');
}

TEST(SimPushCrypto, VerifiesVapidTokensFromJaripsSigner) {
  auto keys = webpush::VapidKeys::generate().value();
  const std::string jwt =
      webpush::sign_vapid_jwt(keys, {"https://push.example.net", 1'800'000'000, "mailto:ops@example.com"}).value();
  auto token = push::verify_vapid_authorization(webpush::vapid_authorization(jwt, keys.public_key_base64url()));
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->audience, "https://push.example.net");
  EXPECT_EQ(token->expires_at_s, 1'800'000'000);
  EXPECT_EQ(token->subject, "mailto:ops@example.com");
  EXPECT_EQ(token->public_key, keys.public_key());
  // Parameters in the other order, as some libraries write them.
  EXPECT_TRUE(push::verify_vapid_authorization("vapid k=" + keys.public_key_base64url() + ", t=" + jwt).ok());

  auto other = webpush::VapidKeys::generate().value();
  const std::string wrong_key = webpush::vapid_authorization(jwt, other.public_key_base64url());
  std::string bad_signature = jwt;
  bad_signature[bad_signature.size() - 3] = bad_signature[bad_signature.size() - 3] == 'A' ? 'B' : 'A';
  std::string altered_claims = jwt;
  altered_claims[jwt.find('.') + 5] = altered_claims[jwt.find('.') + 5] == 'x' ? 'y' : 'x';
  for (const std::string& header :
       {wrong_key, webpush::vapid_authorization(bad_signature, keys.public_key_base64url()),
        webpush::vapid_authorization(altered_claims, keys.public_key_base64url()), std::string("Bearer ") + jwt,
        "vapid t=" + jwt, "vapid k=" + keys.public_key_base64url(), std::string("vapid t=a.b.c, k=AAAA")}) {
    auto r = push::verify_vapid_authorization(header);
    ASSERT_FALSE(r.ok()) << header;
    EXPECT_EQ(r.error().code, "invalid_authorization") << header;
  }
}

class SimPushService : public ::testing::Test {
 protected:
  FakeClock clock{test::kT0};
  SimConfig cfg = default_config();
  Simulator sim{cfg, clock, 3};
  webpush::VapidTokenCache vapid =
      webpush::VapidTokenCache::make(webpush::VapidKeys::generate().value(), "mailto:ops@example.com").value();

  void SetUp() override { sim.push().set_origin("http://127.0.0.1:19104"); }

  // A subscription from the admin API, read by jarip's parser (test mode).
  webpush::PushSubscription subscribe(const std::string& body = "") {
    HttpIn in{"POST", "/_sim/push/subscriptions", {}, body};
    HttpOut out = sim.handle_admin(in);
    EXPECT_EQ(out.status, 201) << out.body;
    auto s = webpush::parse_subscription(out.body, {.allow_private = true});
    EXPECT_TRUE(s.ok()) << out.body;
    return s.value();
  }
  static std::string id_of(const webpush::PushSubscription& s) { return s.endpoint.substr(s.endpoint.rfind('/') + 1); }

  HttpIn push_request(const webpush::PushSubscription& s, const std::string& payload,
                      webpush::VapidTokenCache& cache) {
    webpush::PushMessage m{payload, 3600, webpush::Urgency::low, ""};
    auto request = webpush::build_push_request(s, m, cache, clock.now_ms());
    EXPECT_TRUE(request.ok()) << request.error().message;
    HttpIn in;
    in.method = request->method;
    in.target = request->url.substr(std::string("http://127.0.0.1:19104").size());
    for (auto& h : request->headers) in.headers.emplace_back(h.name, h.value);
    in.body = request->body;
    return in;
  }
  HttpIn push_request(const webpush::PushSubscription& s, const std::string& payload) {
    return push_request(s, payload, vapid);
  }
  static void set_header(HttpIn& in, const std::string& name, const std::string& value) {
    for (auto& [k, v] : in.headers) {
      if (iequals(k, name)) v = value;
    }
  }
  static void drop_header(HttpIn& in, const std::string& name) {
    std::erase_if(in.headers, [&](const auto& h) { return iequals(h.first, name); });
  }
  boost::json::object messages(const std::string& query = "") {
    HttpOut out = sim.handle_admin(HttpIn{"GET", "/_sim/push/messages" + query, {}, ""});
    EXPECT_EQ(out.status, 200);
    return boost::json::parse(out.body).as_object();
  }
};

TEST_F(SimPushService, AcceptsAndDecryptsWhatJaripSends) {
  auto s = subscribe();
  EXPECT_EQ(s.origin, "http://127.0.0.1:19104");
  EXPECT_EQ(s.endpoint.rfind("http://127.0.0.1:19104/push/", 0), 0u);
  const std::string payload = R"({"title":"주문 발송","body":"A-1001 발송되었습니다","url":"https://shop.example/o/1"})";
  Handled h = sim.handle_push(push_request(s, payload));
  ASSERT_EQ(h.out.status, 201) << h.out.body;
  ASSERT_EQ(h.out.headers.size(), 2u);
  EXPECT_EQ(h.out.headers[0].first, "Location");
  EXPECT_EQ(h.out.headers[0].second.rfind("http://127.0.0.1:19104/message/", 0), 0u);
  EXPECT_EQ(h.out.headers[1], (std::pair<std::string, std::string>{"TTL", "3600"}));

  auto list = messages();
  ASSERT_EQ(list["count"].as_int64(), 1);
  const auto& m = list["messages"].as_array()[0].as_object();
  EXPECT_EQ(m.at("payload").as_string(), payload);
  EXPECT_EQ(m.at("subscription").as_string(), id_of(s));
  EXPECT_EQ(m.at("ttl").as_int64(), 3600);
  EXPECT_EQ(m.at("urgency").as_string(), "low");
  EXPECT_EQ(m.at("vapid_subject").as_string(), "mailto:ops@example.com");
  EXPECT_FALSE(m.contains("topic"));

  // The filter, and clearing.
  auto other = subscribe();
  EXPECT_EQ(sim.handle_push(push_request(other, "{}")).out.status, 201);
  EXPECT_EQ(messages()["count"].as_int64(), 2);
  EXPECT_EQ(messages("?subscription=" + id_of(other))["count"].as_int64(), 1);
  EXPECT_EQ(sim.handle_admin(HttpIn{"DELETE", "/_sim/push/messages", {}, ""}).status, 200);
  EXPECT_EQ(messages()["count"].as_int64(), 0);
}

TEST_F(SimPushService, UnknownAndUnsubscribed) {
  auto s = subscribe();
  HttpIn unknown = push_request(s, "{}");
  unknown.target = "/push/nosuchsubscription";
  EXPECT_EQ(sim.handle_push(unknown).out.status, 404);
  HttpOut deleted = sim.handle_admin(HttpIn{"DELETE", "/_sim/push/subscriptions/" + id_of(s), {}, ""});
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(sim.handle_push(push_request(s, "{}")).out.status, 410);
  EXPECT_EQ(sim.handle_admin(HttpIn{"DELETE", "/_sim/push/subscriptions/nosuch", {}, ""}).status, 404);
  auto listed = boost::json::parse(sim.handle_admin(HttpIn{"GET", "/_sim/push/subscriptions", {}, ""}).body);
  EXPECT_TRUE(listed.at("subscriptions").as_array()[0].at("deleted").as_bool());
}

TEST_F(SimPushService, RefusesBadHeadersAndBodies) {
  auto s = subscribe();
  struct Row {
    const char* name;
    std::function<void(HttpIn&)> change;
    int status;
  };
  const std::vector<Row> rows = {
      {"no TTL", [](HttpIn& in) { drop_header(in, "TTL"); }, 400},
      {"TTL not a number", [](HttpIn& in) { set_header(in, "TTL", "soon"); }, 400},
      {"aesgcm encoding", [](HttpIn& in) { set_header(in, "Content-Encoding", "aesgcm"); }, 400},
      {"urgency", [](HttpIn& in) { set_header(in, "Urgency", "urgent"); }, 400},
      {"topic", [](HttpIn& in) { in.headers.emplace_back("Topic", "not/base64url"); }, 400},
      {"no Authorization", [](HttpIn& in) { drop_header(in, "Authorization"); }, 401},
      {"bearer", [](HttpIn& in) { set_header(in, "Authorization", "Bearer x"); }, 401},
      {"tampered body", [](HttpIn& in) { in.body[in.body.size() - 5] ^= 0x40; }, 400},
      {"body over 4096", [](HttpIn& in) { in.body.append(4097 - in.body.size() + 1, 'x'); }, 413},
      {"GET", [](HttpIn& in) { in.method = "GET"; }, 405},
  };
  for (const Row& r : rows) {
    HttpIn in = push_request(s, R"({"title":"t"})");
    r.change(in);
    EXPECT_EQ(sim.handle_push(in).out.status, r.status) << r.name;
  }
  EXPECT_EQ(messages()["count"].as_int64(), 0);
}

TEST_F(SimPushService, ChecksTheVapidTokenForThisOrigin) {
  auto s = subscribe();
  auto keys = webpush::VapidKeys::generate().value();
  auto sign = [&](const std::string& aud, std::int64_t exp, const std::string& sub) {
    auto jwt = webpush::sign_vapid_jwt(keys, {aud, exp, sub}).value();
    HttpIn in = push_request(s, "{}");
    set_header(in, "Authorization", webpush::vapid_authorization(jwt, keys.public_key_base64url()));
    return sim.handle_push(in).out.status;
  };
  const std::int64_t now_s = clock.now_ms() / 1000;
  EXPECT_EQ(sign("http://127.0.0.1:19104", now_s + 3600, "mailto:ops@example.com"), 201);
  EXPECT_EQ(sign("https://127.0.0.1:19104", now_s + 3600, "mailto:ops@example.com"), 401);  // another origin
  EXPECT_EQ(sign("http://127.0.0.1:19105", now_s + 3600, "mailto:ops@example.com"), 401);
  EXPECT_EQ(sign("http://127.0.0.1:19104", now_s, "mailto:ops@example.com"), 401);  // expired
  EXPECT_EQ(sign("http://127.0.0.1:19104", now_s + 86400, "mailto:ops@example.com"), 201);
  EXPECT_EQ(sign("http://127.0.0.1:19104", now_s + 86401, "mailto:ops@example.com"), 401);  // > 24 h
  EXPECT_EQ(messages()["count"].as_int64(), 2);
}

TEST_F(SimPushService, AnApplicationServerKeyBindsTheSubscription) {
  auto s = subscribe(R"({"applicationServerKey":")" + vapid.keys().public_key_base64url() + "\"}");
  EXPECT_EQ(sim.handle_push(push_request(s, "{}")).out.status, 201);
  auto stranger = webpush::VapidTokenCache::make(webpush::VapidKeys::generate().value(), "mailto:x@example.com").value();
  EXPECT_EQ(sim.handle_push(push_request(s, "{}", stranger)).out.status, 403);
  HttpOut bad = sim.handle_admin(HttpIn{"POST", "/_sim/push/subscriptions", {}, R"({"applicationServerKey":"AAAA"})"});
  EXPECT_EQ(bad.status, 400);
}

TEST_F(SimPushService, FaultsOfProviderPush) {
  auto s = subscribe();
  ASSERT_TRUE(sim.context().faults.set_from_json(R"({"provider":"push","mode":"error"})", clock.now_ms()));
  EXPECT_EQ(sim.handle_push(push_request(s, "{}")).out.status, 500);
  // Other providers' rules do not reach it.
  ASSERT_TRUE(sim.context().faults.set_from_json(R"({"provider":"solapi","mode":"down"})", clock.now_ms()));
  ASSERT_TRUE(sim.context().faults.set_from_json(R"({"provider":"push","mode":"down"})", clock.now_ms()));
  EXPECT_FALSE(sim.push_should_listen());
  EXPECT_EQ(sim.handle_push(push_request(s, "{}")).how, Disposition::close);
  ASSERT_TRUE(sim.context().faults.set_from_json(R"({"provider":"push","mode":"timeout"})", clock.now_ms()));
  EXPECT_TRUE(sim.push_should_listen());
  Handled hung = sim.handle_push(push_request(s, "{}"));
  EXPECT_EQ(hung.how, Disposition::hang);
  EXPECT_EQ(messages()["count"].as_int64(), 1);  // processed, never answered
  sim.context().faults.reset();
  EXPECT_EQ(sim.handle_push(push_request(s, "{}")).out.status, 201);
  EXPECT_FALSE(sim.context().faults.set_from_json(R"({"provider":"apns","mode":"down"})", clock.now_ms()));
}

TEST(SimPushOrigin, WildcardListenersAreReachedOnLoopback) {
  EXPECT_EQ(push_origin("127.0.0.1", 9104), "http://127.0.0.1:9104");
  EXPECT_EQ(push_origin("0.0.0.0", 9104), "http://127.0.0.1:9104");
  EXPECT_EQ(push_origin("::", 9104), "http://[::1]:9104");
  EXPECT_EQ(push_origin("::1", 1), "http://[::1]:1");
}

}  // namespace
}  // namespace jarip::sim
