// A customer's push subscriptions: the directory document's "push_subscriptions" (opaque in
// customers/, validated and made canonical in notify/), the POST/DELETE routes, the removal a push
// service's 404/410 triggers, and PUT/CSV leaving browsers' subscriptions alone. Real SQLite store.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <filesystem>
#include <future>

#include "channels/webpush/p256.hpp"
#include "common/crypto.hpp"
#include "customers/directory.hpp"
#include "notify/customer_api.hpp"
#include "notify/push_subscriptions.hpp"
#include "notify/recipients.hpp"

namespace jarip::notify {
namespace {

namespace json = boost::json;

// RFC 8291 Appendix A's receiver key: a valid p256dh.
constexpr const char* kP256dh =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
constexpr const char* kAuth = "BTBZMqHH6r4Tts7J_aSIgg";

std::string subscription(const std::string& endpoint, const std::string& auth = kAuth,
                         const std::string& p256dh = kP256dh) {
  return json::serialize(json::object{{"endpoint", endpoint},
                                      {"expirationTime", nullptr},
                                      {"keys", json::object{{"p256dh", p256dh}, {"auth", auth}}}});
}

std::string fcm(int n) { return "https://fcm.googleapis.com/fcm/send/device-" + std::to_string(n); }

// ---- the document (customers/directory) -----------------------------------------------------------------

TEST(CustomerPushSubscriptions, DocumentKeepsThemOpaqueOnePerEndpoint) {
  json::value body = json::parse(R"({"push_subscriptions":[)" + subscription(fcm(1)) + "," + subscription(fcm(2)) + "," +
                                 subscription(fcm(1), "AAAAAAAAAAAAAAAAAAAAAA") + "]}");
  auto c = customers::customer_from_json("c-1", body);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->push_subscriptions.size(), 2u);
  EXPECT_EQ(push_subscription_endpoint(c->push_subscriptions[0]), fcm(2));
  EXPECT_EQ(push_subscription_endpoint(c->push_subscriptions[1]), fcm(1));  // the later one won
  EXPECT_NE(c->push_subscriptions[1].find("AAAAAAAAAAAAAAAAAAAAAA"), std::string::npos);

  // GET's document reads back as the same customer.
  json::object doc = customers::customer_to_json(*c);
  EXPECT_EQ(doc.at("push_subscriptions").as_array().size(), 2u);
  EXPECT_EQ(customers::customer_from_json("c-1", doc).value(), *c);
  // Without subscriptions the member is an empty array.
  customers::Customer plain;
  plain.id = "c-2";
  EXPECT_TRUE(customers::customer_to_json(plain).at("push_subscriptions").as_array().empty());
}

TEST(CustomerPushSubscriptions, DocumentShapeErrors) {
  struct Row {
    std::string body;
    const char* code;
    const char* field;
  };
  std::string eleven = "[";
  for (int i = 0; i < 11; ++i) eleven += (i ? "," : "") + subscription(fcm(i));
  eleven += "]";
  const std::vector<Row> rows = {
      {R"({"push_subscriptions":{}})", "invalid_type", "push_subscriptions"},
      {R"({"push_subscriptions":[)" + subscription(fcm(1)) + R"(,"https://x"]})", "invalid_type", "push_subscriptions[1]"},
      {R"({"push_subscriptions":[{"keys":{}}]})", "invalid_type", "push_subscriptions[0].endpoint"},
      {R"({"push_subscriptions":[{"endpoint":"https://x.example/p","pad":")" + std::string(4100, 'x') + "\"}]}",
       "invalid_value", "push_subscriptions[0]"},
      {R"({"push_subscriptions":)" + eleven + "}", "invalid_value", "push_subscriptions"},
  };
  for (const Row& r : rows) {
    auto c = customers::customer_from_json("c-1", json::parse(r.body));
    ASSERT_FALSE(c.ok()) << r.field;
    EXPECT_EQ(c.error().code, r.code) << r.field;
    EXPECT_EQ(c.error().field, r.field);
  }
}

// ---- validation (notify) ---------------------------------------------------------------------------------

TEST(CustomerPushSubscriptions, PutDocumentsAreValidatedByTheWebPushParser) {
  const PushSubscriptionOptions production, test_mode{.allow_private_endpoints = true};
  // Padding and unknown members go; the canonical form stays.
  json::value ok = json::parse(R"({"push_subscriptions":[{"endpoint":")" + fcm(1) +
                               R"(","expirationTime":null,"keys":{"p256dh":")" + kP256dh +
                               R"(","auth":"BTBZMqHH6r4Tts7J_aSIgg=="},"extra":1}]})");
  ASSERT_TRUE(canonicalize_push_subscriptions(ok, production));
  EXPECT_EQ(json::serialize(ok.at("push_subscriptions").as_array()[0]), subscription(fcm(1)));

  struct Row {
    std::string subscription;
    const char* code;
    const char* field;
  };
  const std::vector<Row> rows = {
      {subscription(fcm(1), "short"), "invalid_subscription", "push_subscriptions[1].keys.auth"},
      {subscription(fcm(1), kAuth, "BCVx"), "invalid_subscription", "push_subscriptions[1].keys.p256dh"},
      {subscription("http://fcm.googleapis.com/x"), "invalid_subscription", "push_subscriptions[1].endpoint"},
      {subscription("https://10.0.0.1/x"), "endpoint_not_public", "push_subscriptions[1].endpoint"},
      {R"("not an object")", "invalid_subscription", "push_subscriptions[1]"},
  };
  for (const Row& r : rows) {
    json::value doc = json::parse(R"({"push_subscriptions":[)" + subscription(fcm(2)) + "," + r.subscription + "]}");
    Status st = canonicalize_push_subscriptions(doc, production);
    ASSERT_FALSE(st.ok()) << r.field;
    EXPECT_EQ(st.error().code, r.code) << r.field << ": " << st.error().message;
    EXPECT_EQ(st.error().field, r.field);
  }
  // Test mode reads the simulator's http://127.0.0.1 endpoints, and only there.
  json::value sim = json::parse(R"({"push_subscriptions":[)" + subscription("http://127.0.0.1:9104/push/a") + "]}");
  EXPECT_FALSE(canonicalize_push_subscriptions(sim, production));
  EXPECT_TRUE(canonicalize_push_subscriptions(sim, test_mode));
  // Shapes that are not an array are customer_from_json's to refuse.
  json::value odd = json::parse(R"({"push_subscriptions":"x"})");
  EXPECT_TRUE(canonicalize_push_subscriptions(odd, production));
}

TEST(CustomerPushSubscriptions, AddReplacesByEndpointAndKeepsTen) {
  customers::Customer c;
  EXPECT_TRUE(add_push_subscription(c, subscription(fcm(1))));
  EXPECT_FALSE(add_push_subscription(c, subscription(fcm(1), "AAAAAAAAAAAAAAAAAAAAAA")));
  ASSERT_EQ(c.push_subscriptions.size(), 1u);
  EXPECT_NE(c.push_subscriptions[0].find("AAAAAAAAAAAAAAAAAAAAAA"), std::string::npos);
  for (int i = 2; i <= 11; ++i) EXPECT_TRUE(add_push_subscription(c, subscription(fcm(i))));
  ASSERT_EQ(c.push_subscriptions.size(), customers::kMaxPushSubscriptions);
  EXPECT_EQ(push_subscription_endpoint(c.push_subscriptions.front()), fcm(2));  // the oldest went
  EXPECT_EQ(push_subscription_endpoint(c.push_subscriptions.back()), fcm(11));
}

// ---- store and routes --------------------------------------------------------------------------------------

class CustomerPushSubscriptionStore : public ::testing::Test {
 protected:
  FakeClock clock{1'790'000'000'000};
  std::unique_ptr<store::Store> store_;

  void SetUp() override {
    auto dir = std::filesystem::temp_directory_path() / ("jarip-pushsubs-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string path =
        (dir / (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".db")).string();
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    store::SqliteOptions options;
    options.path = path;
    auto s = store::open_sqlite_store(options);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    customers::Customer c;
    c.id = "c-1";
    c.locale = "ko";
    c.phones = {"01012345678"};
    ASSERT_TRUE(store_->run_now([&](store::StoreSession& s) { return s.put_customer(customer_record(c, 1)); }));
  }
  void TearDown() override { store_->stop(); }

  customers::Customer stored(const std::string& id = "c-1") {
    std::promise<customers::Customer> p;
    store_->read([&](store::StoreSession& s) { p.set_value(load_customer(s, id).value().value_or(customers::Customer{})); });
    return p.get_future().get();
  }

  http::Response call(const std::string& method, const std::string& path, const std::string& body = "",
                      const std::string& query = "") {
    http::Request req;
    req.method = method;
    req.path = path;
    req.query = query;
    req.target = path + (query.empty() ? "" : "?" + query);
    req.body = body;
    std::promise<http::Response> p;
    bool handled = handle_push_subscription_route(req, [&](http::Response r) { p.set_value(std::move(r)); }, *store_,
                                                  clock, PushSubscriptionOptions{});
    EXPECT_TRUE(handled) << method << " " << path;
    return p.get_future().get();
  }
  static std::string error_code(const http::Response& r) {
    return std::string(json::parse(r.body).at("error").at("code").as_string());
  }
};

TEST_F(CustomerPushSubscriptionStore, RemoveIsWhatA404Or410Triggers) {
  ASSERT_TRUE(store_->run_now([&](store::StoreSession& s) -> Status {
    for (int i : {1, 2}) {
      auto r = store_push_subscription(s, "c-1", subscription(fcm(i)), clock.now_ms());
      if (!r) return r.error();
    }
    return {};
  }));
  EXPECT_EQ(stored().push_subscriptions.size(), 2u);
  Result<bool> removed = false, again = false, unknown = false;
  ASSERT_TRUE(store_->run_now([&](store::StoreSession& s) -> Status {
    removed = remove_push_subscription(s, "c-1", fcm(1), clock.now_ms());
    again = remove_push_subscription(s, "c-1", fcm(1), clock.now_ms());
    unknown = remove_push_subscription(s, "nobody", fcm(2), clock.now_ms());
    return {};
  }));
  EXPECT_TRUE(removed.value());
  EXPECT_FALSE(again.value());
  EXPECT_FALSE(unknown.value());
  auto c = stored();
  ASSERT_EQ(c.push_subscriptions.size(), 1u);
  EXPECT_EQ(push_subscription_endpoint(c.push_subscriptions[0]), fcm(2));
  EXPECT_EQ(c.phones, std::vector<std::string>{"01012345678"});  // the rest of the customer is untouched
}

TEST_F(CustomerPushSubscriptionStore, PostAndDeleteRoutes) {
  http::Response created = call("POST", "/v1/customers/c-1/push-subscriptions", subscription(fcm(1)));
  ASSERT_EQ(created.status, 201) << created.body;
  auto body = json::parse(created.body);
  EXPECT_EQ(body.at("customer_id").as_string(), "c-1");
  EXPECT_TRUE(body.at("created").as_bool());
  EXPECT_EQ(json::serialize(body.at("subscription")), subscription(fcm(1)));
  http::Response renewed = call("POST", "/v1/customers/c-1/push-subscriptions", subscription(fcm(1), "AAAAAAAAAAAAAAAAAAAAAA"));
  EXPECT_EQ(renewed.status, 201);
  EXPECT_FALSE(json::parse(renewed.body).at("created").as_bool());
  EXPECT_EQ(stored().push_subscriptions.size(), 1u);

  http::Response bad = call("POST", "/v1/customers/c-1/push-subscriptions", subscription("https://192.168.0.10/push"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(error_code(bad), "endpoint_not_public");
  EXPECT_EQ(json::parse(bad.body).at("error").at("field").as_string(), "endpoint");
  EXPECT_EQ(error_code(call("POST", "/v1/customers/nobody/push-subscriptions", subscription(fcm(2)))), "not_found");
  EXPECT_EQ(call("POST", "/v1/customers/nobody/push-subscriptions", subscription(fcm(2))).status, 404);

  const std::string query = "endpoint=" + fcm(1);
  EXPECT_EQ(call("DELETE", "/v1/customers/c-1/push-subscriptions", "", query).status, 204);
  EXPECT_TRUE(stored().push_subscriptions.empty());
  EXPECT_EQ(call("DELETE", "/v1/customers/c-1/push-subscriptions", "", query).status, 404);
  EXPECT_EQ(call("DELETE", "/v1/customers/c-1/push-subscriptions").status, 400);
  EXPECT_EQ(call("GET", "/v1/customers/c-1/push-subscriptions").status, 405);

  http::Request other;
  other.method = "GET";
  other.path = "/v1/customers/c-1";
  EXPECT_FALSE(handle_push_subscription_route(other, [](http::Response) {}, *store_, clock, {}));
}

TEST_F(CustomerPushSubscriptionStore, PutKeepsSubscriptionsItDoesNotMention) {
  ASSERT_EQ(call("POST", "/v1/customers/c-1/push-subscriptions", subscription(fcm(1))).status, 201);
  CustomerApi api(*store_, clock, ConsentNotices{false, "", nullptr, nullptr});
  auto put = [&](const std::string& body) {
    http::Request req;
    req.method = "PUT";
    req.path = req.target = "/v1/customers/c-1";
    req.body = body;
    std::promise<http::Response> p;
    EXPECT_TRUE(api.handle(req, [&](http::Response r) { p.set_value(std::move(r)); }));
    return p.get_future().get();
  };
  // The merchant's record, without subscriptions: the browser's stays.
  http::Response kept = put(R"({"name":"김민수","phones":["010-1234-5678"]})");
  ASSERT_EQ(kept.status, 200) << kept.body;
  EXPECT_EQ(json::parse(kept.body).at("push_subscriptions").as_array().size(), 1u);
  EXPECT_EQ(stored().push_subscriptions.size(), 1u);
  EXPECT_EQ(stored().name, "김민수");
  // Given explicitly, they are replaced (here: cleared), after validation.
  http::Response invalid = put(R"({"push_subscriptions":[)" + subscription(fcm(2), "x") + "]}");
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(json::parse(invalid.body).at("error").at("field").as_string(), "push_subscriptions[0].keys.auth");
  EXPECT_EQ(put(R"({"push_subscriptions":[]})").status, 200);
  EXPECT_TRUE(stored().push_subscriptions.empty());
}

}  // namespace
}  // namespace jarip::notify
