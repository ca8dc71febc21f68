// Staff alerts: what the detector makes of successive engine snapshots (pure, fake clock), and what
// the service stores and sends against a real SQLite store: quiet period and dedup across nodes,
// on-duty filtering, texts in Korean and English with the board link, an email provider failing
// itself, and no alert storm from a flapping breaker.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>

#include "alerts/alert_texts.hpp"
#include "alerts/staff_alerts.hpp"
#include "notify/compose.hpp"

namespace jarip::alerts {
namespace {

namespace json = boost::json;

constexpr TimeMs kStart = 1'790'000'000'000;  // 2026-09-21T23:13:20+09:00
constexpr TimeMs kQuiet = 600'000;

notify::ChannelStatus provider(const std::string& name, std::vector<std::string> channels, const std::string& state) {
  notify::ChannelStatus p;
  p.provider = name;
  p.channels = std::move(channels);
  p.breaker_state = state;
  return p;
}

// solapi and nhn both serve AlimTalk and SMS; ses and smtp serve email.
Snapshot snapshot(const std::string& solapi, const std::string& nhn = "closed", const std::string& ses = "closed",
                  const std::string& smtp = "closed") {
  Snapshot s;
  s.providers = {provider("solapi", {"alimtalk", "sms"}, solapi), provider("nhn", {"alimtalk", "sms"}, nhn),
                 provider("ses", {"email"}, ses), provider("smtp", {"email"}, smtp)};
  return s;
}

StaffAlertOptions test_options() {
  StaffAlertOptions o;
  o.console_url = "https://shop.example/";
  return o;
}

std::string kinds_of(const std::vector<AlertEvent>& events) {
  std::string out;
  for (const auto& e : events) out += (out.empty() ? "" : " ") + e.kind + ":" + e.subject + ":" + e.severity;
  return out;
}

// ---- detection --------------------------------------------------------------------------------

struct BreakerRow {
  const char* name;
  std::string solapi_before, nhn_before;
  std::string solapi_after, nhn_after;
  std::string expected;  // "kind:subject:severity …"
};

TEST(AlertDetection, BreakerTransitionTable) {
  const std::vector<BreakerRow> rows = {
      {"steady", "closed", "closed", "closed", "closed", ""},
      {"opens, nhn takes over", "closed", "closed", "open", "closed", "breaker_open:solapi:warning"},
      {"drained by an operator", "closed", "closed", "forced_open", "closed", "breaker_open:solapi:warning"},
      {"open fell between polls", "closed", "closed", "half_open", "closed", "breaker_open:solapi:warning"},
      {"probing", "open", "closed", "half_open", "closed", ""},
      {"probe failed", "half_open", "closed", "open", "closed", ""},
      {"drained while open", "open", "closed", "forced_open", "closed", ""},
      {"recovers", "open", "closed", "closed", "closed", "breaker_closed:solapi:info"},
      {"probe passed", "half_open", "closed", "closed", "closed", "breaker_closed:solapi:info"},
      {"drain cleared", "forced_open", "closed", "closed", "closed", "breaker_closed:solapi:info"},
      {"last provider of its channels", "closed", "open", "open", "open", "breaker_open:solapi:critical"},
      {"the other is only probing", "closed", "half_open", "open", "half_open", "breaker_open:solapi:warning"},
      {"both at once", "closed", "closed", "open", "open", "breaker_open:solapi:critical breaker_open:nhn:critical"},
      {"one closes as the other opens", "open", "closed", "closed", "open",
       "breaker_closed:solapi:info breaker_open:nhn:warning"},
  };
  for (const auto& row : rows) {
    AlertDetector d(test_options());
    EXPECT_EQ(kinds_of(d.observe(snapshot(row.solapi_before, row.nhn_before), kStart)), "") << row.name;
    EXPECT_EQ(kinds_of(d.observe(snapshot(row.solapi_after, row.nhn_after), kStart + 1000)), row.expected) << row.name;
  }
}

TEST(AlertDetection, FirstSnapshotIsTheBaseline) {
  AlertDetector d(test_options());
  EXPECT_TRUE(d.observe(snapshot("forced_open", "open"), kStart).empty());
  EXPECT_EQ(kinds_of(d.observe(snapshot("closed", "open"), kStart + 1000)), "breaker_closed:solapi:info");
}

TEST(AlertDetection, AnOutageWithProbesIsOneOpenAndOneClose) {
  AlertDetector d(test_options());
  std::vector<std::string> states = {"closed", "open", "half_open", "open", "half_open", "open", "half_open", "closed"};
  std::string all;
  TimeMs t = kStart;
  for (const auto& s : states) {
    auto events = d.observe(snapshot(s), t += 1000);
    if (!events.empty()) all += (all.empty() ? "" : " ") + kinds_of(events);
  }
  EXPECT_EQ(all, "breaker_open:solapi:warning breaker_closed:solapi:info");
}

TEST(AlertDetection, KindsCanBeTurnedOff) {
  auto o = test_options();
  o.kinds = {kBreakerOpen};
  AlertDetector d(o);
  (void)d.observe(snapshot("closed"), kStart);
  EXPECT_EQ(kinds_of(d.observe(snapshot("open"), kStart + 1000)), "breaker_open:solapi:warning");
  EXPECT_TRUE(d.observe(snapshot("closed"), kStart + 2000).empty());
}

TEST(AlertDetection, TextsInKoreanAndEnglishLinkToTheBoard) {
  // The issue's own example: AlimTalk on solapi alone, SMS on nhn.
  Snapshot before, after;
  before.providers = {provider("solapi", {"alimtalk"}, "closed"), provider("nhn", {"sms"}, "closed")};
  after.providers = {provider("solapi", {"alimtalk"}, "open"), provider("nhn", {"sms"}, "closed")};
  AlertDetector d(test_options());
  (void)d.observe(before, kStart);
  auto events = d.observe(after, kStart + 1000);
  ASSERT_EQ(events.size(), 1u);
  const auto& e = events[0];
  EXPECT_EQ(e.text_ko, "[jarip] 카카오 알림톡 제공자 'solapi' 장애: 차단기 열림 — 문자로 우회 발송 중");
  EXPECT_EQ(e.text_en, "[jarip] KakaoTalk AlimTalk provider 'solapi' failing: breaker open — messages go by SMS meanwhile");
  EXPECT_EQ(e.severity, "critical");  // no AlimTalk provider left, even though SMS carries the messages
  auto detail = json::parse(e.detail_json).as_object();
  EXPECT_EQ(detail["board_url"], "https://shop.example/console/#/board");
  EXPECT_EQ(detail["channels_down"], (json::array{"alimtalk"}));
  EXPECT_EQ(detail["from"], "closed");
  EXPECT_EQ(detail["to"], "open");

  // Both channels of solapi, nhn taking both over.
  AlertDetector d2(test_options());
  (void)d2.observe(snapshot("closed"), kStart);
  auto two = d2.observe(snapshot("open"), kStart + 1000);
  ASSERT_EQ(two.size(), 1u);
  EXPECT_EQ(two[0].text_ko, "[jarip] 카카오 알림톡·문자 제공자 'solapi' 장애: 차단기 열림 — 'nhn'(으)로 우회 발송 중");
  EXPECT_EQ(two[0].text_en,
            "[jarip] KakaoTalk AlimTalk/SMS provider 'solapi' failing: breaker open — messages go by 'nhn' meanwhile");
  auto back = d2.observe(snapshot("closed"), kStart + 2000);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].text_ko, "[jarip] 카카오 알림톡·문자 제공자 'solapi' 복구: 차단기 닫힘 — 다시 정상 발송 중");
  EXPECT_EQ(back[0].text_en,
            "[jarip] KakaoTalk AlimTalk/SMS provider 'solapi' recovered: breaker closed — sending normally again");

  // Nothing left anywhere: messages wait.
  AlertDetector d3(test_options());
  (void)d3.observe(snapshot("closed", "open"), kStart);
  auto none = d3.observe(snapshot("forced_open", "open"), kStart + 1000);
  ASSERT_EQ(none.size(), 1u);
  EXPECT_EQ(none[0].text_ko,
            "[jarip] 카카오 알림톡·문자 제공자 'solapi' 발송 중지: 운영자가 차단기를 강제로 열었습니다 — "
            "카카오 알림톡: 보낼 수 있는 제공자가 없어 카카오 알림톡 메시지는 복구될 때까지 대기, "
            "문자: 보낼 수 있는 제공자가 없어 문자 메시지는 복구될 때까지 대기");
  EXPECT_EQ(none[0].severity, "critical");

  EXPECT_EQ(board_url("https://shop.example"), "https://shop.example/console/#/board");
  EXPECT_EQ(board_url(""), "");
}

TEST(AlertDetection, QueueBacklogAfterItsTimeAndRecoveryAfterAsLong) {
  AlertDetector d(test_options());  // 1,000 for 60 s
  auto at = [&](std::int64_t depth, TimeMs t) {
    Snapshot s = snapshot("closed");
    s.queue_depth = depth;
    return kinds_of(d.observe(s, kStart + t));
  };
  EXPECT_EQ(at(1500, 0), "");
  EXPECT_EQ(at(1500, 30'000), "");
  EXPECT_EQ(at(900, 40'000), "");     // a dip starts the count again
  EXPECT_EQ(at(1500, 50'000), "");
  EXPECT_EQ(at(1500, 109'000), "");
  EXPECT_EQ(at(2500, 110'000), "queue_backlog:queue:warning");
  EXPECT_EQ(at(3000, 200'000), "");   // once per episode
  EXPECT_EQ(at(10, 210'000), "");
  EXPECT_EQ(at(1200, 220'000), "");   // back above: the recovery count starts again
  EXPECT_EQ(at(10, 230'000), "");
  EXPECT_EQ(at(10, 289'000), "");
  EXPECT_EQ(at(5, 290'000), "queue_recovered:queue:info");
  EXPECT_EQ(at(5, 400'000), "");

  auto current = d.current(kQueueRecovered, "queue", kStart + 400'000);
  ASSERT_TRUE(current);
  EXPECT_EQ(current->text_ko, "[jarip] 발송 대기열 정상화: 5건 대기 중 (기준 1,000건 이하)");
  EXPECT_FALSE(d.current(kQueueBacklog, "queue", kStart + 400'000));

  AlertDetector e(test_options());
  Snapshot s = snapshot("closed");
  s.queue_depth = 1'234'567;
  (void)e.observe(s, kStart);
  auto events = e.observe(s, kStart + 60'000);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].text_ko, "[jarip] 발송 대기열 적체: 1,234,567건 대기 중 (1,000건 초과 상태가 60초 넘게 지속)");
  EXPECT_EQ(events[0].text_en, "[jarip] Queue backed up: 1,234,567 messages waiting (over 1,000 for more than 60 s)");
}

TEST(AlertDetection, SpendingCapHitsRaiseAWarning) {
  AlertDetector d(test_options());
  Snapshot s = snapshot("closed");
  s.cap_hits = {{"sms", 0}};
  EXPECT_TRUE(d.observe(s, kStart).empty());
  s.cap_hits = {{"sms", 3}};
  auto events = d.observe(s, kStart + 1000);
  EXPECT_EQ(kinds_of(events), "spending_cap:sms:warning");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].text_ko, "[jarip] 문자 일일 비용 한도 도달: 한도를 넘는 메시지는 자정(KST)까지 보류됩니다");
  EXPECT_EQ(json::parse(events[0].detail_json).at("held"), 3);
  EXPECT_TRUE(d.observe(s, kStart + 2000).empty());  // unchanged
  s.cap_hits["alimtalk"] = 1;                          // a counter created after the baseline
  EXPECT_EQ(kinds_of(d.observe(s, kStart + 3000)), "spending_cap:alimtalk:warning");
  EXPECT_FALSE(d.current(kSpendingCap, "sms", kStart + 3000));
}

TEST(AlertDetection, DedupKeyBucketsByQuietPeriodAndCapsByKstDay) {
  AlertEvent e{kBreakerOpen, "solapi", "warning", "", "", "{}", 1'800'000};
  EXPECT_EQ(alert_dedup_key(e, 600'000), "breaker_open:solapi:3");
  e.at_ms = 1'799'999;
  EXPECT_EQ(alert_dedup_key(e, 600'000), "breaker_open:solapi:2");
  AlertEvent cap{kSpendingCap, "sms", "warning", "", "", "{}", kStart};
  EXPECT_EQ(alert_dedup_key(cap, 600'000), "spending_cap:sms:2026-09-21");
  cap.at_ms = kStart + 3'600'000;  // 00:13 KST the next day
  EXPECT_EQ(alert_dedup_key(cap, 600'000), "spending_cap:sms:2026-09-22");
}

TEST(AlertTexts, EmailBodyCarriesSeverityTimeAndBoard) {
  auto ko = texts::email_body("[jarip] 줄", "critical", kStart, "https://x/console/#/board", true);
  EXPECT_NE(ko.find("심각도: 긴급"), std::string::npos) << ko;
  EXPECT_NE(ko.find("시각: 2026-09-21T23:13:20+09:00"), std::string::npos) << ko;
  EXPECT_NE(ko.find("상황판: https://x/console/#/board"), std::string::npos) << ko;
  auto en = texts::email_body("[jarip] line", "warning", kStart, "", false);
  EXPECT_NE(en.find("Severity: warning"), std::string::npos) << en;
  EXPECT_EQ(en.find("Board:"), std::string::npos) << en;
  EXPECT_EQ(texts::thousands(0), "0");
  EXPECT_EQ(texts::thousands(999), "999");
  EXPECT_EQ(texts::thousands(1000), "1,000");
  EXPECT_EQ(texts::thousands(-1234567), "-1,234,567");
}

// ---- the service, against SQLite ----------------------------------------------------------------

class StaffAlertServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = std::filesystem::temp_directory_path() / ("jarip-alerts-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    path_ = (dir / (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".db")).string();
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
    store::SqliteOptions options;
    options.path = path_;
    auto s = store::open_sqlite_store(options);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);

    delivery_.channel_providers = {{"email", {"ses", "smtp"}}, {"alimtalk", {"solapi", "nhn"}}, {"sms", {"nhn", "solapi"}}};
    for (auto [name, channel] : {std::pair{"ses", "email"}, {"smtp", "email"}}) {
      notify::ProviderRuntime p;
      p.name = name;
      p.channels = {channel};
      providers_[name] = p;
    }
    add_operator("op_ko", "kim@shop.example", "ko", true, 0);
    add_operator("op_en", "lee@shop.example", "en", true, 0);
    add_operator("op_off", "park@shop.example", "ko", false, 0);
    add_operator("op_gone", "choi@shop.example", "ko", true, kStart - 1000);
  }

  void TearDown() override {
    if (store_) store_->stop();
  }

  void add_operator(const std::string& id, const std::string& email, const std::string& locale, bool on_duty,
                    TimeMs disabled_ms) {
    store::OperatorRecord op;
    op.id = id;
    op.email = email;
    op.name = id;
    op.role = "agent";
    op.password_hash = "x";
    op.locale = locale;
    op.on_duty = on_duty;
    op.created_ms = op.updated_ms = kStart - 10'000;
    op.disabled_ms = disabled_ms;
    Status st = store_->run_now([&](store::StoreSession& s) { return s.insert_operator(op); });
    ASSERT_TRUE(st.ok()) << st.error().message;
  }

  // As notify::Api::message_composer() does it.
  MessageComposer composer(const notify::DeliveryOptions* options = nullptr) {
    const notify::DeliveryOptions* o = options ? options : &delivery_;
    return [this, o](const json::value& request) {
      notify::ComposeContext ctx{*o, [](const std::string&) { return std::optional<notify::Template>(); },
                                 [this](const std::string& n) -> const notify::ProviderRuntime* {
                                   auto it = providers_.find(n);
                                   return it == providers_.end() ? nullptr : &it->second;
                                 },
                                 clock_.now_ms(), "system"};
      return notify::compose_message(request, ctx);
    };
  }

  std::unique_ptr<StaffAlertService> service(Snapshot* source, MessageComposer compose, StaffAlertOptions o = test_options()) {
    StaffAlertHooks hooks;
    hooks.compose = std::move(compose);
    hooks.wake = [this] { ++wakes_; };
    hooks.on_alert = [this](const store::StaffAlertRecord& a) { published_.push_back(a); };
    return std::make_unique<StaffAlertService>(io_, *store_, clock_, [source] { return *source; }, o, hooks, metrics_);
  }

  // Polls each service once, then waits for their writes and runs what the writes posted back.
  void poll(std::initializer_list<StaffAlertService*> services) {
    for (auto* s : services) s->poll_once();
    flush();
  }

  void flush() {
    ASSERT_TRUE(store_->run_now([](store::StoreSession&) { return Status(); }).ok());
    io_.restart();
    io_.poll();
  }

  std::vector<store::StaffAlertRecord> alerts() {
    std::vector<store::StaffAlertRecord> out;
    Status st = store_->run_now([&](store::StoreSession& s) -> Status {
      auto r = s.list_staff_alerts(0, 100);
      if (!r) return r.error();
      out = *r;
      return {};
    });
    EXPECT_TRUE(st.ok()) << st.error().message;
    std::reverse(out.begin(), out.end());  // oldest first
    return out;
  }

  store::MessageRecord message(const std::string& id) {
    store::MessageRecord out;
    Status st = store_->run_now([&](store::StoreSession& s) -> Status {
      auto r = s.get_message(id);
      if (!r) return r.error();
      if (!*r) return make_error("not_found", id);
      out = **r;
      return {};
    });
    EXPECT_TRUE(st.ok()) << st.error().message;
    return out;
  }

  std::string kinds(const std::vector<store::StaffAlertRecord>& list) {
    std::string out;
    for (const auto& a : list) out += (out.empty() ? "" : " ") + a.kind + ":" + a.subject;
    return out;
  }

  std::string path_;
  std::unique_ptr<store::Store> store_;
  FakeClock clock_{kStart};
  boost::asio::io_context io_;
  MetricsRegistry metrics_;
  notify::DeliveryOptions delivery_;
  std::map<std::string, notify::ProviderRuntime> providers_;
  int wakes_ = 0;
  std::vector<store::StaffAlertRecord> published_;
};

TEST_F(StaffAlertServiceTest, BreakerOpenTellsOnDutyOperatorsByEmailInTheirLanguage) {
  Snapshot now = snapshot("closed");
  auto svc = service(&now, composer());
  poll({svc.get()});
  now = snapshot("open");
  clock_.advance_ms(1000);
  poll({svc.get()});

  auto list = alerts();
  ASSERT_EQ(list.size(), 1u);
  const auto& a = list[0];
  EXPECT_EQ(a.kind, "breaker_open");
  EXPECT_EQ(a.subject, "solapi");
  EXPECT_EQ(a.severity, "warning");
  EXPECT_EQ(a.created_ms, kStart + 1000);
  EXPECT_EQ(a.dedup_key, "breaker_open:solapi:" + std::to_string((kStart + 1000) / kQuiet));
  EXPECT_EQ(json::parse(a.detail_json).at("board_url"), "https://shop.example/console/#/board");

  // Told: the two enabled operators on duty, not the one off duty nor the disabled one.
  auto delivery = json::parse(a.delivery_json).as_array();
  ASSERT_EQ(delivery.size(), 2u);
  std::map<std::string, std::string> message_of;
  for (auto& d : delivery) {
    EXPECT_EQ(d.at("via"), "email");
    message_of[std::string(d.at("operator").as_string())] = std::string(d.at("message_id").as_string());
  }
  ASSERT_EQ(message_of.size(), 2u);
  ASSERT_TRUE(message_of.count("op_ko"));
  ASSERT_TRUE(message_of.count("op_en"));

  auto ko = message(message_of["op_ko"]);
  EXPECT_EQ(ko.kind, "info");
  EXPECT_EQ(ko.api_key_id, "system");
  EXPECT_EQ(ko.chain_json, R"(["email@ses","email@smtp"])");  // never the failing AlimTalk/SMS provider
  EXPECT_EQ(json::parse(ko.recipient_json).at("email"), "kim@shop.example");
  auto ko_email = json::parse(ko.rendered_json).at("email").as_object();
  EXPECT_EQ(ko_email.at("subject"), json::value(a.text_ko));
  std::string ko_body(ko_email.at("text").as_string());
  EXPECT_NE(ko_body.find(a.text_ko), std::string::npos) << ko_body;
  EXPECT_NE(ko_body.find("상황판: https://shop.example/console/#/board"), std::string::npos) << ko_body;

  auto en = message(message_of["op_en"]);
  EXPECT_EQ(json::parse(en.recipient_json).at("email"), "lee@shop.example");
  auto en_email = json::parse(en.rendered_json).at("email").as_object();
  EXPECT_EQ(en_email.at("subject"), json::value(a.text_en));
  std::string en_body(en_email.at("text").as_string());
  EXPECT_NE(en_body.find("Board: https://shop.example/console/#/board"), std::string::npos) << en_body;

  EXPECT_EQ(wakes_, 1);
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0].id, a.id);
  EXPECT_EQ(published_[0].delivery_json, a.delivery_json);
}

TEST_F(StaffAlertServiceTest, TwoNodesSeeingTheSameEventAlertOnce) {
  Snapshot a_view = snapshot("closed"), b_view = snapshot("closed");
  auto a = service(&a_view, composer());
  auto b = service(&b_view, composer());
  poll({a.get(), b.get()});
  a_view = snapshot("open");
  clock_.advance_ms(1000);
  poll({a.get()});
  b_view = snapshot("open");  // node b's own breaker opens two seconds later
  clock_.advance_ms(2000);
  poll({b.get()});
  EXPECT_EQ(kinds(alerts()), "breaker_open:solapi");
  EXPECT_EQ(published_.size(), 1u);

  // Both see it recover: one breaker_closed.
  a_view = b_view = snapshot("closed");
  clock_.advance_ms(30'000);
  poll({a.get(), b.get()});
  EXPECT_EQ(kinds(alerts()), "breaker_open:solapi breaker_closed:solapi");

  // Long after, b (whose view was held back) has nothing to put right: operators know it is closed.
  clock_.advance_ms(2 * kQuiet);
  poll({a.get(), b.get()});
  EXPECT_EQ(alerts().size(), 2u);
}

TEST_F(StaffAlertServiceTest, SameInstantOnTwoNodesIsOneRowByDedupKey) {
  AlertEvent e{kBreakerOpen, "solapi", "warning", "ko", "en", "{}", kStart};
  int inserted = 0;
  for (int node = 0; node < 2; ++node) {
    ASSERT_TRUE(store_->run_now([&](store::StoreSession& s) -> Status {
      // No quiet period at all: only the dedup key keeps the second out.
      StaffAlertOptions o = test_options();
      o.quiet_ms = 0;
      auto r = record_staff_alert(s, e, composer(), o, false);
      if (!r) return r.error();
      inserted += r->inserted;
      return {};
    }).ok());
  }
  EXPECT_EQ(inserted, 1);
}

TEST_F(StaffAlertServiceTest, AFlappingBreakerDoesNotStormAndTheLastWordIsPutRight) {
  Snapshot now = snapshot("closed");
  auto svc = service(&now, composer());
  poll({svc.get()});
  // Ten changes, one every 20 s: open, closed, open, … ending open.
  for (int i = 0; i < 10; ++i) {
    now = snapshot(i % 2 == 0 ? "open" : "closed");
    clock_.advance_ms(20'000);
    poll({svc.get()});
  }
  now = snapshot("open");
  clock_.advance_ms(1000);
  poll({svc.get()});
  EXPECT_EQ(kinds(alerts()), "breaker_open:solapi breaker_closed:solapi");
  EXPECT_EQ(published_.size(), 2u);

  // Polling on through the quiet period (10 minutes from the first alert) changes nothing…
  for (int i = 0; i < 30; ++i) {
    clock_.advance_ms(10'000);
    poll({svc.get()});
  }
  EXPECT_EQ(alerts().size(), 2u);
  for (int i = 0; i < 20; ++i) {
    clock_.advance_ms(10'000);
    poll({svc.get()});
  }
  auto list = alerts();
  // …until it ends: the breaker is open, operators were last told "closed", so they are told.
  EXPECT_EQ(kinds(list), "breaker_open:solapi breaker_closed:solapi breaker_open:solapi");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_GE(list[2].created_ms - list[0].created_ms, kQuiet);
  EXPECT_EQ(json::parse(list[2].delivery_json).as_array().size(), 2u);

  // And nothing more while it stays open.
  for (int i = 0; i < 200; ++i) {
    clock_.advance_ms(10'000);
    poll({svc.get()});
  }
  EXPECT_EQ(alerts().size(), 3u);
}

TEST_F(StaffAlertServiceTest, AFlappingBreakerEndingClosedAddsNothingLater) {
  Snapshot now = snapshot("closed");
  auto svc = service(&now, composer());
  poll({svc.get()});
  for (int i = 0; i < 10; ++i) {
    now = snapshot(i % 2 == 0 ? "open" : "closed");  // ends closed
    clock_.advance_ms(5'000);
    poll({svc.get()});
  }
  for (int i = 0; i < 150; ++i) {
    clock_.advance_ms(10'000);
    poll({svc.get()});
  }
  EXPECT_EQ(kinds(alerts()), "breaker_open:solapi breaker_closed:solapi");
}

TEST_F(StaffAlertServiceTest, ProviderFailingOnTheEmailChannelItself) {
  Snapshot now = snapshot("closed");
  auto svc = service(&now, composer());
  poll({svc.get()});
  now = snapshot("closed", "closed", "open");  // ses, the first email provider
  clock_.advance_ms(1000);
  poll({svc.get()});
  auto list = alerts();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].subject, "ses");
  EXPECT_EQ(list[0].severity, "warning");
  EXPECT_EQ(list[0].text_ko, "[jarip] 이메일 제공자 'ses' 장애: 차단기 열림 — 'smtp'(으)로 우회 발송 중");
  // The alert's own emails still carry the whole email chain: the engine's breaker skips ses.
  auto delivery = json::parse(list[0].delivery_json).as_array();
  ASSERT_EQ(delivery.size(), 2u);
  EXPECT_EQ(message(std::string(delivery[0].at("message_id").as_string())).chain_json, R"(["email@ses","email@smtp"])");

  // With smtp down as well, the email channel is down: critical, and the emails wait for a provider.
  now = snapshot("closed", "closed", "open", "open");
  clock_.advance_ms(1000);
  poll({svc.get()});
  list = alerts();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1].subject, "smtp");
  EXPECT_EQ(list[1].severity, "critical");
  EXPECT_EQ(json::parse(list[1].detail_json).at("channels_down"), (json::array{"email"}));
}

TEST_F(StaffAlertServiceTest, NoEmailProviderStoresTheConsoleAlertWithAReason) {
  notify::DeliveryOptions no_email;
  no_email.channel_providers = {{"sms", {"nhn"}}};
  Snapshot now = snapshot("closed");
  auto svc = service(&now, composer(&no_email));
  poll({svc.get()});
  now = snapshot("open");
  clock_.advance_ms(1000);
  poll({svc.get()});
  auto list = alerts();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].delivery_json, "[]");
  EXPECT_EQ(json::parse(list[0].detail_json).at("delivery_reason"), "no email provider is configured");
  EXPECT_EQ(wakes_, 0);
  EXPECT_EQ(published_.size(), 1u);  // the console is still told
}

TEST_F(StaffAlertServiceTest, NobodyOnDutyStillRecordsTheAlert) {
  Status st = store_->run_now([&](store::StoreSession& s) -> Status {
    auto ops = s.list_operators();
    if (!ops) return ops.error();
    for (auto op : *ops) {
      op.on_duty = false;
      if (auto u = s.update_operator(op); !u) return u;
    }
    return {};
  });
  ASSERT_TRUE(st.ok()) << st.error().message;
  Snapshot now = snapshot("closed");
  auto svc = service(&now, composer());
  poll({svc.get()});
  now = snapshot("open");
  clock_.advance_ms(1000);
  poll({svc.get()});
  auto list = alerts();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].delivery_json, "[]");
  EXPECT_EQ(json::parse(list[0].detail_json).at("delivery_reason"), "no operator is on duty");
}

TEST_F(StaffAlertServiceTest, SpendingCapAlertsOncePerDayAndQueueBacklogOnce) {
  Snapshot now = snapshot("closed");
  now.cap_hits = {{"sms", 0}};
  auto svc = service(&now, composer());
  poll({svc.get()});
  // Held messages every poll for half an hour: one alert.
  for (int i = 1; i <= 1800; i += 10) {
    now.cap_hits["sms"] = static_cast<std::uint64_t>(i);
    clock_.advance_ms(10'000);
    poll({svc.get()});
  }
  EXPECT_EQ(kinds(alerts()), "spending_cap:sms");
  // The next KST day (midnight is 47 minutes after the start): once more.
  clock_.set_ms(kStart + 3'600'000);
  now.cap_hits["sms"] += 5;
  poll({svc.get()});
  EXPECT_EQ(kinds(alerts()), "spending_cap:sms spending_cap:sms");

  now.queue_depth = 5000;
  for (int i = 0; i < 20; ++i) {
    clock_.advance_ms(10'000);
    poll({svc.get()});
  }
  now.queue_depth = 0;
  for (int i = 0; i < 10; ++i) {
    clock_.advance_ms(10'000);
    poll({svc.get()});
  }
  EXPECT_EQ(kinds(alerts()), "spending_cap:sms spending_cap:sms queue_backlog:queue queue_recovered:queue");
}

TEST_F(StaffAlertServiceTest, WithoutAComposerOnlyTheConsoleIsTold) {
  Snapshot now = snapshot("closed");
  auto svc = service(&now, nullptr);
  poll({svc.get()});
  now = snapshot("open");
  clock_.advance_ms(1000);
  poll({svc.get()});
  auto list = alerts();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].delivery_json, "[]");
  EXPECT_EQ(json::parse(list[0].detail_json).at("delivery_reason"), "alert emails are not configured");
}

TEST_F(StaffAlertServiceTest, AFailedWriteIsTriedAgainAsTheStateThenStands) {
  // A message id already taken makes the alert's write fail as a whole (rolled back, alert included).
  auto base = composer();
  store::MessageRecord taken = *base(json::parse(R"({"recipient":{"email":"x@shop.example"},"text":"t","channels":["email"]})"));
  ASSERT_TRUE(store_->run_now([&](store::StoreSession& s) { return s.insert_message(taken); }).ok());
  bool fail = true;
  MessageComposer flaky = [&](const json::value& request) -> Result<store::MessageRecord> {
    auto m = base(request);
    if (m && fail) m->id = taken.id;
    return m;
  };
  Snapshot now = snapshot("closed");
  auto svc = service(&now, flaky);
  poll({svc.get()});
  now = snapshot("open");
  clock_.advance_ms(1000);
  poll({svc.get()});
  EXPECT_TRUE(alerts().empty());
  fail = false;
  clock_.advance_ms(1000);
  poll({svc.get()});
  EXPECT_TRUE(alerts().empty());  // not before a few seconds
  clock_.advance_ms(5000);
  poll({svc.get()});
  auto list = alerts();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].kind, "breaker_open");
  EXPECT_EQ(list[0].created_ms, kStart + 7000);
  EXPECT_EQ(json::parse(list[0].delivery_json).as_array().size(), 2u);
}

TEST_F(StaffAlertServiceTest, StartPollsOnItsOwnUntilStopped) {
  Snapshot now = snapshot("closed");
  std::mutex mutex;
  StaffAlertOptions o = test_options();
  o.poll_ms = 5;
  StaffAlertHooks hooks;
  hooks.compose = composer();
  hooks.on_alert = [this](const store::StaffAlertRecord& a) { published_.push_back(a); };
  StaffAlertService svc(io_, *store_, clock_, [&] {
    std::lock_guard lock(mutex);
    return now;
  }, o, hooks, metrics_);
  svc.start();
  io_.run_for(std::chrono::milliseconds(50));
  {
    std::lock_guard lock(mutex);
    now = snapshot("open");
  }
  for (int i = 0; i < 200 && published_.empty(); ++i) {
    io_.restart();
    io_.run_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0].kind, "breaker_open");
  svc.stop();
  io_.restart();
  io_.run_for(std::chrono::milliseconds(20));
  io_.restart();
  EXPECT_EQ(io_.poll(), 0u);  // the timer is gone
  EXPECT_EQ(metrics_.render().find("jarip_staff_alerts_total{kind=\"breaker_open\"} 1") != std::string::npos, true)
      << metrics_.render();
}

TEST_F(StaffAlertServiceTest, DisabledServiceDoesNotPoll) {
  Snapshot now = snapshot("closed");
  StaffAlertOptions o = test_options();
  o.enabled = false;
  int polled = 0;
  StaffAlertService svc(io_, *store_, clock_, [&] {
    ++polled;
    return now;
  }, o, {}, metrics_);
  svc.start();
  io_.run_for(std::chrono::milliseconds(30));
  EXPECT_EQ(polled, 0);
}

}  // namespace
}  // namespace jarip::alerts
