// The customer's pages driven through Portal::handle against a real SQLite store.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <filesystem>
#include <future>

#include "customers/directory.hpp"
#include "notify/recipients.hpp"
#include "portal/portal.hpp"
#include "text/kst.hpp"

namespace jarip::portal {
namespace {

namespace json = boost::json;

constexpr TimeMs kNow = 1'790'000'000'000;  // 2026-09-21T23:13:20+09:00
const std::string kSecret(kLinkSecretBytes, 's');

class PortalRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = std::filesystem::temp_directory_path() / ("jarip-portal-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    path_ = (dir / (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".db")).string();
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
    auto s = store::open_sqlite_store({path_});
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);

    auto notices = std::make_shared<notify::ConsentNotices>();
    notices->sender_name = "자립상점";
    notices->compose = [this](const std::string& customer_id, const std::string& text) -> Result<store::MessageRecord> {
      store::MessageRecord m = message("notice-" + std::to_string(++notices_composed_), text, kNow);
      m.recipient_json = R"({"customer_id":")" + customer_id + R"("})";
      m.state = store::kStateAccepted;
      return m;
    };
    PortalOptions options;
    options.public_url = "https://n.jarip.kr/";
    options.merchant_name = "자립상점 <본점>";
    options.page_size = 20;
    options.wake = [this] { ++wakes_; };
    portal_ = std::make_unique<Portal>(*store_, clock_, LinkSigner(kSecret), options,
                                       notify::make_consent_change_function(notices));

    customers::Customer c;
    c.id = "c-1";
    c.name = "김민수";
    c.locale = "ko";
    c.phones = {"01012345678"};
    c.consents = {{"sms", "ad", true, "2025-03-01T10:00:00+09:00", "web_signup", ""},
                  {"*", "ad_night", true, "2025-03-01T10:00:00+09:00", "web_signup", ""},
                  {"email", "ad", true, "2025-03-01T10:00:00+09:00", "", ""}};
    put_customer(c);
    customers::Customer other;
    other.id = "c-2";
    other.locale = "en";
    other.phones = {"01087654321"};
    put_customer(other);

    // c-1's inbox: two delivered messages (one with markup and a URL), one canceled, one purged;
    // c-2 has one of their own.
    add(message("m-old", "첫 주문 감사합니다", kNow - 3 * 3600'000), "c-1");
    add(message("m-new", "<script>alert(1)</script> 배송조회: https://t.example.kr/track?a=1&b=2 확인", kNow - 60'000,
                "배송 <시작>"),
        "c-1");
    store::MessageRecord canceled = message("m-canceled", "취소된 알림", kNow - 120'000);
    canceled.state = store::kStateCanceled;
    add(canceled, "c-1");
    store::MessageRecord purged = message("m-purged", "지워진 알림", kNow - 180'000);
    purged.body_purged = true;
    add(purged, "c-1");
    add(message("m-theirs", "someone else's notice", kNow - 1000), "c-2");
  }

  static store::MessageRecord message(const std::string& id, const std::string& text, TimeMs created,
                                      const std::string& title = "") {
    store::MessageRecord m;
    m.id = id;
    m.api_key_id = "k";
    m.created_ms = m.updated_ms = m.due_ms = created;
    m.state = store::kStateDelivered;
    m.recipient_json = "{}";
    json::object forms{{"sms", json::object{{"text", text}, {"subject", ""}, {"kind", "lms"}}}};
    if (!title.empty()) forms["inbox"] = json::object{{"title", title}, {"text", text}};
    m.rendered_json = json::serialize(forms);
    m.chain_json = R"(["sms@nhn"])";
    m.metadata_json = "{}";
    return m;
  }

  void put_customer(const customers::Customer& c) {
    ASSERT_TRUE(store_->run_now([&](store::StoreSession& s) { return s.put_customer(notify::customer_record(c, 1)); }));
  }

  void add(store::MessageRecord m, const std::string& customer) {
    m.recipient_json = R"({"customer_id":")" + customer + R"("})";
    ASSERT_TRUE(store_->run_now([&](store::StoreSession& s) -> Status {
      if (auto st = s.insert_message(m); !st) return st;
      return s.link_message_customer(m.id, customer);
    }));
  }

  struct Answer {
    bool handled = false;
    http::Response response;
    std::string header(std::string_view name) const {
      for (auto& h : response.headers) {
        if (http::iequals(h.name, name)) return h.value;
      }
      return {};
    }
  };

  Answer call(const std::string& method, const std::string& target, const std::string& body = "",
              const std::string& content_type = "") {
    http::Request req;
    req.method = method;
    req.target = target;
    auto q = target.find('?');
    req.path = http::percent_decode(std::string_view(target).substr(0, q), false);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    if (!content_type.empty()) req.headers.push_back({"Content-Type", content_type});
    req.headers.push_back({"User-Agent", "Mozilla/5.0 (test)"});
    req.body = body;
    req.remote_address = "203.0.113.7";
    auto promise = std::make_shared<std::promise<http::Response>>();
    Answer a;
    a.handled = portal_->handle(req, [promise](http::Response r) { promise->set_value(std::move(r)); });
    if (a.handled) a.response = promise->get_future().get();
    return a;
  }

  std::string token(std::string_view purpose, const std::string& subject, TimeMs expires = kNow + 3600'000) {
    return LinkSigner(kSecret).make(purpose, subject, expires);
  }

  customers::Customer customer(const std::string& id = "c-1") {
    customers::Customer out;
    EXPECT_TRUE(store_->run_now([&](store::StoreSession& s) -> Status {
      auto c = notify::load_customer(s, id);
      if (!c) return c.error();
      if (*c) out = **c;
      return {};
    }));
    return out;
  }

  std::vector<store::ConsentEventRecord> events(const std::string& id = "c-1") {
    std::vector<store::ConsentEventRecord> out;
    EXPECT_TRUE(store_->run_now([&](store::StoreSession& s) -> Status {
      auto r = s.list_consent_events(id, 100);
      if (!r) return r.error();
      out = *r;
      return {};
    }));
    return out;
  }

  std::int64_t unread(const std::string& id = "c-1") {
    std::int64_t n = -1;
    EXPECT_TRUE(store_->run_now([&](store::StoreSession& s) -> Status {
      auto r = s.count_unread(id);
      if (!r) return r.error();
      n = *r;
      return {};
    }));
    return n;
  }

  static void expect_secure_headers(const Answer& a) {
    EXPECT_EQ(a.header("Cache-Control"), "no-store");
    EXPECT_EQ(a.header("Referrer-Policy"), "no-referrer");
    EXPECT_EQ(a.header("X-Content-Type-Options"), "nosniff");
    std::string csp = a.header("Content-Security-Policy");
    EXPECT_EQ(csp.rfind("default-src 'none'", 0), 0u) << csp;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("script-src"), std::string::npos) << csp;  // none: default-src 'none' applies
    EXPECT_NE(csp.find("style-src 'sha256-"), std::string::npos) << csp;
  }

  std::string path_;
  std::unique_ptr<store::Store> store_;
  FakeClock clock_{kNow};
  std::unique_ptr<Portal> portal_;
  int notices_composed_ = 0;
  int wakes_ = 0;
};

TEST_F(PortalRoutes, LeavesOtherPathsAlone) {
  for (std::string path : {"/v1/messages", "/healthz", "/", "/i", "/x/abc", "/inbox/abc", "/s"}) {
    EXPECT_FALSE(call("GET", path).handled) << path;
  }
}

TEST_F(PortalRoutes, InboxPageListsTheCustomersMessagesEscaped) {
  auto a = call("GET", "/i/" + token(kInboxPurpose, "c-1"));
  ASSERT_TRUE(a.handled);
  EXPECT_EQ(a.response.status, 200);
  EXPECT_EQ(a.response.content_type, "text/html; charset=utf-8");
  expect_secure_headers(a);
  const std::string& html = a.response.body;
  EXPECT_EQ(html.find("<script"), std::string::npos) << html;
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("<h2>배송 &lt;시작&gt;</h2>"), std::string::npos);  // the inbox form's title
  EXPECT_NE(html.find("자립상점 &lt;본점&gt;"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"https://t.example.kr/track?a=1&amp;b=2\" rel=\"noopener noreferrer nofollow\">"),
            std::string::npos);
  EXPECT_NE(html.find("첫 주문 감사합니다"), std::string::npos);
  EXPECT_NE(html.find("읽지 않은 알림 2건"), std::string::npos);
  EXPECT_NE(html.find("2026-09-21 23:12"), std::string::npos);  // KST
  EXPECT_LT(html.find("배송조회"), html.find("첫 주문"));          // newest first
  EXPECT_EQ(html.find("취소된 알림"), std::string::npos);
  EXPECT_EQ(html.find("지워진 알림"), std::string::npos);
  EXPECT_EQ(html.find("someone else"), std::string::npos);
  EXPECT_NE(html.find("<html lang=\"ko\">"), std::string::npos);
  EXPECT_NE(html.find("<form method=\"post\" action=\"" + token(kInboxPurpose, "c-1") + "/read\">"), std::string::npos);
}

TEST_F(PortalRoutes, InboxJsonPagesAndMarkReadCountsDown) {
  const std::string t = token(kInboxPurpose, "c-1");
  auto first = call("GET", "/i/" + t + "/messages.json?limit=1");
  ASSERT_EQ(first.response.status, 200) << first.response.body;
  expect_secure_headers(first);
  auto doc = json::parse(first.response.body).as_object();
  EXPECT_EQ(doc["unread"].as_int64(), 2);
  ASSERT_EQ(doc["messages"].as_array().size(), 1u);
  auto& newest = doc["messages"].as_array()[0].as_object();
  EXPECT_EQ(newest["id"].as_string(), "m-new");
  EXPECT_EQ(newest["title"].as_string(), "배송 <시작>");  // JSON carries the text as it is
  EXPECT_EQ(newest["read"].as_bool(), false);
  EXPECT_EQ(newest["created_at"].as_string(), text::format_kst(kNow - 60'000));
  std::string next = std::string(doc["next_before"].as_string());
  auto second = call("GET", "/i/" + t + "/messages.json?limit=1&before=" + next);
  ASSERT_EQ(second.response.status, 200);
  auto doc2 = json::parse(second.response.body).as_object();
  ASSERT_EQ(doc2["messages"].as_array().size(), 1u);
  EXPECT_EQ(doc2["messages"].as_array()[0].as_object()["id"].as_string(), "m-old");

  // A form marks one read and goes back to the inbox; another customer's id changes nothing.
  auto form = call("POST", "/i/" + t + "/read", "id=m-new&id=m-theirs", "application/x-www-form-urlencoded");
  EXPECT_EQ(form.response.status, 303);
  EXPECT_EQ(form.header("Location"), "../" + t);
  EXPECT_EQ(unread("c-1"), 1);
  EXPECT_EQ(unread("c-2"), 1);
  auto by_json = call("POST", "/i/" + t + "/read", R"({"ids":["m-theirs"]})", "application/json");
  ASSERT_EQ(by_json.response.status, 200);
  EXPECT_EQ(json::parse(by_json.response.body), json::parse(R"({"marked":0,"unread":1})"));
  auto all = call("POST", "/i/" + t + "/read", R"({"all":true})", "application/json");
  EXPECT_EQ(json::parse(all.response.body), json::parse(R"({"marked":1,"unread":0})"));
  auto page = call("GET", "/i/" + t);
  EXPECT_NE(page.response.body.find("읽지 않은 알림 0건"), std::string::npos);
  EXPECT_EQ(page.response.body.find("name=\"all\""), std::string::npos);  // nothing left to mark
  auto read = json::parse(call("GET", "/i/" + t + "/messages.json").response.body).as_object();
  EXPECT_EQ(read["messages"].as_array()[0].as_object()["read"].as_bool(), true);
}

TEST_F(PortalRoutes, InboxRefusesBadInput) {
  const std::string t = token(kInboxPurpose, "c-1");
  EXPECT_EQ(call("GET", "/i/" + t + "/messages.json?before=abc").response.status, 400);
  EXPECT_EQ(call("GET", "/i/" + t + "/messages.json?limit=1000").response.status, 400);
  EXPECT_EQ(call("GET", "/i/" + t + "?before=-5").response.status, 400);
  EXPECT_EQ(call("POST", "/i/" + t + "/read", "", "application/x-www-form-urlencoded").response.status, 400);
  EXPECT_EQ(call("POST", "/i/" + t + "/read", "{", "application/json").response.status, 400);
  EXPECT_EQ(call("POST", "/i/" + t + "/read", "id=x", "text/plain").response.status, 400);
  EXPECT_EQ(call("DELETE", "/i/" + t).response.status, 405);
  EXPECT_EQ(call("GET", "/i/" + t + "/read").response.status, 405);
  EXPECT_EQ(call("GET", "/i/" + t + "/elsewhere").response.status, 404);
  EXPECT_EQ(unread("c-1"), 2);
}

TEST_F(PortalRoutes, UnsubscribeGetChangesNothing) {
  const std::string t = token(kUnsubscribePurpose, "c-1|sms");
  auto before = customer();
  auto a = call("GET", "/u/" + t);
  ASSERT_EQ(a.response.status, 200);
  expect_secure_headers(a);
  EXPECT_NE(a.response.body.find("광고성 정보 수신을 거부합니다"), std::string::npos);
  EXPECT_NE(a.response.body.find("Stop advertising messages"), std::string::npos);
  EXPECT_NE(a.response.body.find("<form method=\"post\" action=\"" + t + "\">"), std::string::npos);
  EXPECT_EQ(customer(), before);
  EXPECT_TRUE(events().empty());
  EXPECT_EQ(notices_composed_, 0);
}

TEST_F(PortalRoutes, OneClickPostWithdrawsAdConsentOnce) {
  const std::string t = token(kUnsubscribePurpose, "c-1|sms");
  auto a = call("POST", "/u/" + t, "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded");
  ASSERT_EQ(a.response.status, 200) << a.response.body;
  expect_secure_headers(a);
  EXPECT_NE(a.response.body.find("수신 거부가 처리되었습니다"), std::string::npos);
  auto c = customer();
  EXPECT_FALSE(customers::ad_permission(c, "sms", kNow).allowed);
  EXPECT_TRUE(customers::ad_permission(c, "email", kNow).allowed);  // only the token's channel
  auto history = events();
  ASSERT_EQ(history.size(), 2u);
  for (auto& e : history) {
    EXPECT_EQ(e.channel, "sms");
    EXPECT_FALSE(e.granted);
    EXPECT_EQ(e.source, "list-unsubscribe one-click");
    EXPECT_NE(e.evidence.find("203.0.113.7"), std::string::npos) << e.evidence;
  }
  EXPECT_EQ(notices_composed_, 1);  // the §50⑧ confirmation
  EXPECT_EQ(wakes_, 1);

  auto again = call("POST", "/u/" + t, "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded");
  EXPECT_EQ(again.response.status, 200);
  EXPECT_EQ(again.response.body, a.response.body);
  EXPECT_EQ(events().size(), 2u);
  EXPECT_EQ(notices_composed_, 1);
}

TEST_F(PortalRoutes, OneClickAsMultipartAndTheConfirmButtonForEveryChannel) {
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n";
  auto a = call("POST", "/u/" + token(kUnsubscribePurpose, "c-1|email"), body, "multipart/form-data; boundary=XyZ");
  ASSERT_EQ(a.response.status, 200) << a.response.body;
  EXPECT_FALSE(customers::ad_permission(customer(), "email", kNow).allowed);
  EXPECT_TRUE(customers::ad_permission(customer(), "sms", kNow).allowed);

  auto b = call("POST", "/u/" + token(kUnsubscribePurpose, "c-1|*"), "confirm=yes", "application/x-www-form-urlencoded");
  ASSERT_EQ(b.response.status, 200);
  auto c = customer();
  for (std::string channel : {"sms", "email", "alimtalk", "push"}) {
    EXPECT_FALSE(customers::ad_permission(c, channel, kNow).allowed) << channel;
  }
  EXPECT_EQ(events().back().source, "unsubscribe link");
}

TEST_F(PortalRoutes, UnsubscribePostWithoutConfirmationChangesNothing) {
  const std::string t = token(kUnsubscribePurpose, "c-1|sms");
  EXPECT_EQ(call("POST", "/u/" + t, "", "application/x-www-form-urlencoded").response.status, 400);
  EXPECT_EQ(call("POST", "/u/" + t, "List-Unsubscribe=Yes-Please", "application/x-www-form-urlencoded").response.status,
            400);
  EXPECT_EQ(call("POST", "/u/" + t, "confirm=yes", "application/json").response.status, 400);
  EXPECT_EQ(call("PUT", "/u/" + t, "confirm=yes").response.status, 405);
  EXPECT_TRUE(events().empty());
  EXPECT_TRUE(customers::ad_permission(customer(), "sms", kNow).allowed);
}

TEST_F(PortalRoutes, ReconfirmationYesRenewsAndNoWithdraws) {
  const std::string t = token(kReconfirmPurpose, "c-1", kNow + 10 * kPortalDayMs);
  auto page = call("GET", "/c/" + t);
  ASSERT_EQ(page.response.status, 200);
  EXPECT_NE(page.response.body.find("광고성 정보 수신 동의를 유지하시겠습니까?"), std::string::npos);
  EXPECT_NE(page.response.body.find("name=\"answer\" value=\"yes\""), std::string::npos);
  EXPECT_NE(page.response.body.find("name=\"answer\" value=\"no\""), std::string::npos);
  EXPECT_TRUE(events().empty());

  auto yes = call("POST", "/c/" + t, "answer=yes", "application/x-www-form-urlencoded");
  ASSERT_EQ(yes.response.status, 200) << yes.response.body;
  EXPECT_NE(yes.response.body.find("동의가 유지되었습니다"), std::string::npos);
  auto c = customer();
  for (auto& k : c.consents) EXPECT_EQ(k.at, text::format_kst(kNow)) << k.channel << " " << k.purpose;
  auto history = events();
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].source, "re-confirmation link");
  EXPECT_TRUE(history[0].granted);
  // Almost two years on, the consent still holds thanks to the renewal.
  EXPECT_TRUE(customers::ad_permission(c, "sms", kNow + 700 * kPortalDayMs).allowed);

  clock_.advance_ms(2 * kPortalDayMs);
  auto no = call("POST", "/c/" + t, "answer=no", "application/x-www-form-urlencoded");
  ASSERT_EQ(no.response.status, 200);
  EXPECT_NE(no.response.body.find("수신 거부가 처리되었습니다"), std::string::npos);
  EXPECT_FALSE(customers::ad_permission(customer(), "sms", clock_.now_ms()).allowed);
  EXPECT_EQ(events().back().source, "re-confirmation link");
  EXPECT_FALSE(events().back().granted);
  EXPECT_EQ(call("POST", "/c/" + t, "answer=maybe", "application/x-www-form-urlencoded").response.status, 400);
}

TEST_F(PortalRoutes, ShortLinkRedirectsAndCountsClicks) {
  ASSERT_TRUE(store_->run_now([](store::StoreSession& s) {
    return s.insert_short_link(store::ShortLinkRecord{"Ab3dE5gH", "m-new", "https://t.example.kr/track?a=1&b=2", 1, 0, 0});
  }));
  auto a = call("GET", "/s/Ab3dE5gH");
  ASSERT_TRUE(a.handled);
  EXPECT_EQ(a.response.status, 302);
  EXPECT_EQ(a.header("Location"), "https://t.example.kr/track?a=1&b=2");
  EXPECT_EQ(a.header("Cache-Control"), "no-store");
  clock_.advance_ms(5000);
  EXPECT_EQ(call("GET", "/s/Ab3dE5gH").response.status, 302);
  std::vector<store::ShortLinkRecord> links;
  ASSERT_TRUE(store_->run_now([&](store::StoreSession& s) -> Status {
    auto r = s.list_short_links("m-new");
    if (!r) return r.error();
    links = *r;
    return {};
  }));
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].clicks, 2);
  EXPECT_EQ(links[0].last_click_ms, kNow + 5000);

  auto unknown = call("GET", "/s/Zz9Yy8Xw");
  EXPECT_EQ(unknown.response.status, 404);
  EXPECT_NE(unknown.response.body.find("찾을 수 없는 링크"), std::string::npos);
  EXPECT_EQ(call("GET", "/s/bad!code").response.status, 404);
  EXPECT_EQ(call("GET", "/s/").response.status, 404);
  EXPECT_EQ(call("POST", "/s/Ab3dE5gH").response.status, 405);
}

TEST_F(PortalRoutes, BadTokensAreRefusedAndChangeNothing) {
  const std::string good = token(kUnsubscribePurpose, "c-1|sms");
  std::string tampered = good;
  tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
  const std::string one_click = "List-Unsubscribe=One-Click";
  const std::string form = "application/x-www-form-urlencoded";
  struct Case {
    std::string method, target, body;
    int status;
  };
  const std::vector<Case> cases = {
      {"POST", "/u/" + tampered, one_click, 404},
      {"POST", "/u/" + token(kInboxPurpose, "c-1|sms"), one_click, 404},  // another purpose's token
      {"POST", "/u/" + token(kUnsubscribePurpose, "c-1|sms", kNow), one_click, 410},  // expired
      {"POST", "/u/" + token(kUnsubscribePurpose, "c-1|fax"), one_click, 404},
      {"POST", "/u/" + token(kUnsubscribePurpose, "c-1"), one_click, 404},
      {"POST", "/u/" + token(kUnsubscribePurpose, "nobody|sms"), one_click, 404},
      {"POST", "/u/" + token(kUnsubscribePurpose, "../x|sms"), one_click, 404},
      {"GET", "/u/", "", 404},
      {"GET", "/u/not-a-token", "", 404},
      {"POST", "/c/" + token(kInboxPurpose, "c-1"), "answer=no", 404},
      {"POST", "/c/" + token(kReconfirmPurpose, "c-1", kNow - 1), "answer=no", 410},
      {"GET", "/i/" + token(kReconfirmPurpose, "c-1"), "", 404},
      {"GET", "/i/" + token(kInboxPurpose, "c-1", kNow - 1000), "", 410},
      {"GET", "/i/" + token(kInboxPurpose, "nobody"), "", 404},
      {"POST", "/i/" + tampered + "/read", "all=1", 404},
  };
  for (const auto& c : cases) {
    auto a = call(c.method, c.target, c.body, form);
    ASSERT_TRUE(a.handled) << c.target;
    EXPECT_EQ(a.response.status, c.status) << c.method << " " << c.target;
    EXPECT_EQ(a.response.content_type, "text/html; charset=utf-8") << c.target;
    expect_secure_headers(a);
    if (c.status == 410) {
      EXPECT_NE(a.response.body.find("만료"), std::string::npos);
      EXPECT_NE(a.response.body.find("expired"), std::string::npos);
    } else {
      EXPECT_NE(a.response.body.find("유효하지 않"), std::string::npos) << a.response.body;
      EXPECT_NE(a.response.body.find("not valid"), std::string::npos);
    }
  }
  auto json_route = call("GET", "/i/" + tampered + "/messages.json");
  EXPECT_EQ(json_route.response.status, 404);
  EXPECT_EQ(json::parse(json_route.response.body).as_object().at("error").as_object().at("code").as_string(), "invalid_link");
  EXPECT_TRUE(events().empty());
  EXPECT_EQ(unread("c-1"), 2);
  EXPECT_TRUE(customers::ad_permission(customer(), "sms", kNow).allowed);
  EXPECT_EQ(notices_composed_, 0);
}

TEST_F(PortalRoutes, AnErasedCustomersLinksStopWorking) {
  const std::string t = token(kInboxPurpose, "c-1");
  ASSERT_TRUE(store_->run_now([](store::StoreSession& s) -> Status {
    auto r = s.erase_customer("c-1", kNow);
    if (!r) return r.error();
    return {};
  }));
  EXPECT_EQ(call("GET", "/i/" + t).response.status, 404);
  EXPECT_EQ(call("POST", "/u/" + token(kUnsubscribePurpose, "c-1|sms"), "confirm=yes",
                 "application/x-www-form-urlencoded")
                .response.status,
            404);
}

TEST_F(PortalRoutes, EnglishCustomersSeeEnglishFirst) {
  auto a = call("GET", "/u/" + token(kUnsubscribePurpose, "c-2|*"));
  ASSERT_EQ(a.response.status, 200);
  const std::string& html = a.response.body;
  EXPECT_NE(html.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_LT(html.find("Stop advertising messages"), html.find("광고성 정보 수신 거부"));
}

TEST_F(PortalRoutes, LinksAreMadeFromThePublicUrl) {
  const auto& links = portal_->links();
  std::string inbox = links.inbox("c-1", kNow);
  ASSERT_EQ(inbox.rfind("https://n.jarip.kr/i/", 0), 0u) << inbox;
  EXPECT_EQ(call("GET", inbox.substr(std::string("https://n.jarip.kr").size())).response.status, 200);
  std::string unsubscribe = links.unsubscribe("c-1", "sms", kNow);
  ASSERT_EQ(unsubscribe.rfind("https://n.jarip.kr/u/", 0), 0u);
  EXPECT_EQ(call("GET", unsubscribe.substr(18)).response.status, 200);
  std::string reconfirm = links.reconfirm("c-1", kNow);
  EXPECT_EQ(call("GET", reconfirm.substr(18)).response.status, 200);
  // The inbox link lasts 90 days by default.
  clock_.advance_ms(90 * kPortalDayMs);
  EXPECT_EQ(call("GET", inbox.substr(18)).response.status, 410);
}

}  // namespace
}  // namespace jarip::portal
