// StatusService against a real SQLite store: automatic notices open once across nodes and resolve on
// recovery; the status is published (routes, on_change, static copy).
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <future>
#include <sstream>
#include <thread>

#include "status/service.hpp"
#include "store/store.hpp"

namespace jarip::status {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
constexpr TimeMs kNow = 1'796'000'000'000;

TEST(StatusAutoNoticePlan, OpensAndResolves) {
  NoticeTemplates t;
  std::vector<ChannelState> channels = {{"alimtalk", kDown, {}}, {"sms", kOperational, {}}, {"email", kDown, {}}};
  store::StatusNoticeRecord email_open;
  email_open.id = "ntc_e";
  email_open.kind = "auto";
  email_open.channel = "email";
  store::StatusNoticeRecord sms_open = email_open;
  sms_open.id = "ntc_s";
  sms_open.channel = "sms";
  store::StatusNoticeRecord manual = email_open;
  manual.id = "ntc_m";
  manual.kind = "manual";
  manual.channel = "sms";

  auto plan = plan_auto_notices(channels, {email_open, sms_open, manual}, t, kNow, true);
  ASSERT_EQ(plan.open.size(), 1u);  // email already has one
  auto& n = plan.open[0];
  EXPECT_EQ(n.channel, "alimtalk");
  EXPECT_EQ(n.kind, "auto");
  EXPECT_EQ(n.severity, "outage");
  EXPECT_EQ(n.created_by, "system");
  EXPECT_TRUE(n.id.starts_with("ntc_"));
  EXPECT_EQ(n.title_ko, "카카오톡 알림톡 알림이 지연되어 문자로 안내드리고 있습니다");
  EXPECT_EQ(n.created_ms, kNow);
  EXPECT_EQ(n.resolved_ms, 0);
  ASSERT_EQ(plan.resolve.size(), 1u);  // sms recovered; the manual notice is the operators' to close
  EXPECT_EQ(plan.resolve[0].id, "ntc_s");
  EXPECT_EQ(plan.resolve[0].resolved_ms, kNow);
  EXPECT_EQ(plan.resolve[0].body_ko, "문자 알림이 정상화되었습니다");
  EXPECT_EQ(plan.resolve[0].body_en, "SMS notifications are back to normal");

  auto blind = plan_auto_notices(channels, {sms_open}, t, kNow, false);
  EXPECT_TRUE(blind.open.empty());
  EXPECT_TRUE(blind.resolve.empty());
}

// Holds the first `hold` writes back until all of them arrived, then lets them through together:
// two services that both decided to open a notice really race to insert it.
class GatedStore : public store::Store {
 public:
  GatedStore(store::Store& inner, int hold) : inner_(inner), hold_(hold) {}
  void write(WriteOp op, Done done) override {
    std::vector<std::pair<WriteOp, Done>> release;
    {
      std::lock_guard lock(mutex_);
      if (held_ < hold_) {
        queue_.emplace_back(std::move(op), std::move(done));
        if (++held_ < hold_) return;
        release.swap(queue_);
      }
    }
    if (release.empty()) return inner_.write(std::move(op), std::move(done));
    for (auto& [o, d] : release) inner_.write(std::move(o), std::move(d));
  }
  void read(ReadOp op) override { inner_.read(std::move(op)); }
  store::StoreStats stats() const override { return inner_.stats(); }
  const char* engine() const override { return inner_.engine(); }
  void stop() override {}

 private:
  store::Store& inner_;
  std::mutex mutex_;
  std::vector<std::pair<WriteOp, Done>> queue_;
  int hold_;
  int held_ = 0;
};

class StatusServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("jarip-status-svc-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "copy");
    store::SqliteOptions options;
    options.path = (dir_ / "jarip.db").string();
    auto s = store::open_sqlite_store(options);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    io_thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    services_.clear();
    work_.reset();
    io_thread_.join();
    if (store_) store_->stop();
    fs::remove_all(dir_);
  }

  StatusService& service(bool with_copy = false, store::Store* via = nullptr) {
    StatusServiceOptions o;
    o.merchant = "자립상점";
    o.public_url = "https://n.jarip.kr";
    o.chains = {{"alimtalk", {"solapi"}}, {"sms", {"nhn"}}};
    if (with_copy) o.static_dir = (dir_ / "copy").string();
    o.on_change = [this](std::shared_ptr<const RenderedStatus>) { ++changes_; };
    services_.push_back(std::make_unique<StatusService>(io_, via ? *via : *store_, clock_, std::move(o)));
    return *services_.back();
  }

  void publish(const std::string& node, const std::string& solapi_breaker, TimeMs updated) {
    store::NodeStatusRecord r;
    r.node_id = node;
    r.started_ms = kNow - 60'000;
    r.updated_ms = updated;
    r.status_json = json::serialize(json::object{
        {"providers", json::array{json::object{{"provider", "solapi"}, {"channels", json::array{"alimtalk"}}, {"breaker", solapi_breaker}},
                                  json::object{{"provider", "nhn"}, {"channels", json::array{"sms"}}, {"breaker", "closed"}}}}});
    ASSERT_TRUE(store_->run_now([&](store::StoreSession& s) { return s.put_node_status(r); }));
  }

  std::vector<store::StatusNoticeRecord> notices() {
    std::promise<std::vector<store::StatusNoticeRecord>> p;
    store_->read([&](store::StoreSession& s) {
      auto r = s.list_status_notices(0, 100);
      p.set_value(r ? *r : std::vector<store::StatusNoticeRecord>{});
    });
    return p.get_future().get();
  }

  fs::path dir_;
  FakeClock clock_{kNow};
  std::unique_ptr<store::Store> store_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{io_.get_executor()};
  std::thread io_thread_;
  std::vector<std::unique_ptr<StatusService>> services_;
  std::atomic<int> changes_{0};
};

TEST_F(StatusServiceTest, OpensOneNoticeAcrossNodesAndResolvesIt) {
  auto& a = service(true);
  auto& b = service();
  publish("node-a", "open", kNow);
  publish("node-b", "open", kNow);

  // Both "nodes" evaluate at about the same time: the store lets only one notice open.
  a.refresh();
  b.refresh();
  a.refresh_now();
  b.refresh_now();
  a.refresh_now();
  auto list = notices();
  ASSERT_EQ(list.size(), 1u);
  store::StatusNoticeRecord n = list[0];  // a copy: `list` is read again below
  EXPECT_EQ(n.kind, "auto");
  EXPECT_EQ(n.channel, "alimtalk");
  EXPECT_EQ(n.severity, "outage");
  EXPECT_EQ(n.created_by, "system");
  EXPECT_EQ(n.title_ko, "카카오톡 알림톡 알림이 지연되어 문자로 안내드리고 있습니다");
  EXPECT_EQ(n.resolved_ms, 0);

  for (auto* svc : {&a, &b}) {
    auto current = svc->current();
    ASSERT_TRUE(current);
    EXPECT_EQ(current->snapshot.state, kDegraded);
    ASSERT_EQ(current->snapshot.channels.size(), 2u);
    EXPECT_EQ(current->snapshot.channels[0].state, kDown);
    ASSERT_EQ(current->snapshot.notices.size(), 1u);
    EXPECT_EQ(current->snapshot.notices[0].id, n.id);
  }
  EXPECT_EQ(content_version(a.current()->snapshot), content_version(b.current()->snapshot));
  EXPECT_GE(changes_.load(), 2);
  // The static copy followed.
  std::ifstream in(dir_ / "copy" / "index.html");
  std::stringstream html;
  html << in.rdbuf();
  EXPECT_NE(html.str().find("카카오톡 알림톡 알림이 지연되어 문자로 안내드리고 있습니다"), std::string::npos);

  // Unchanged status: no new change reported.
  int before = changes_;
  clock_.advance_ms(1000);
  a.refresh_now();
  EXPECT_EQ(changes_.load(), before);

  // Recovery on every node: resolved once, with the recovered wording.
  clock_.advance_ms(1000);
  publish("node-a", "closed", clock_.now_ms());
  publish("node-b", "closed", clock_.now_ms());
  b.refresh_now();
  a.refresh_now();
  list = notices();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].resolved_ms, clock_.now_ms());
  EXPECT_EQ(list[0].body_ko, "카카오톡 알림톡 알림이 정상화되었습니다");
  EXPECT_EQ(list[0].body_en, "KakaoTalk notifications are back to normal");
  EXPECT_EQ(list[0].title_ko, n.title_ko);
  EXPECT_EQ(a.current()->snapshot.state, kOperational);
  EXPECT_EQ(a.current()->snapshot.notices.size(), 1u);  // resolved, still listed for 7 days

  // Down again later: a new notice, not the old one reopened.
  clock_.advance_ms(1000);
  publish("node-a", "forced_open", clock_.now_ms());
  publish("node-b", "open", clock_.now_ms());
  a.refresh_now();
  b.refresh_now();
  list = notices();
  ASSERT_EQ(list.size(), 2u);
  int open = 0;
  for (auto& x : list) open += x.resolved_ms == 0;
  EXPECT_EQ(open, 1);
}

TEST_F(StatusServiceTest, TwoNodesRacingToOpenLeaveOneNotice) {
  GatedStore gated(*store_, 2);
  auto& a = service(false, &gated);
  auto& b = service(false, &gated);
  publish("node-a", "open", kNow);
  a.refresh();
  b.refresh();  // both read "no notice yet" before either insert is let through
  a.refresh_now();
  b.refresh_now();
  auto list = notices();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].resolved_ms, 0);
  // The loser took the store's conflict as "done already" and shows the winner's notice.
  ASSERT_TRUE(a.current() && b.current());
  ASSERT_EQ(a.current()->snapshot.notices.size(), 1u);
  ASSERT_EQ(b.current()->snapshot.notices.size(), 1u);
  EXPECT_EQ(a.current()->snapshot.notices[0].id, list[0].id);
  EXPECT_EQ(b.current()->snapshot.notices[0].id, list[0].id);
}

TEST_F(StatusServiceTest, StaleRowsOpenNothingAndTemplatesApply) {
  auto& a = service();
  publish("node-a", "open", kNow - 60'000);  // stopped publishing a minute ago
  a.refresh_now();
  EXPECT_TRUE(notices().empty());
  ASSERT_TRUE(a.current());
  EXPECT_EQ(a.current()->snapshot.state, kOperational);

  ASSERT_TRUE(store_->run_now([](store::StoreSession& s) {
    return s.put_setting({"status.templates", R"({"down_ko":"{channel} 지연, {fallback}(으)로 보냅니다"})", kNow, "op"});
  }));
  ASSERT_TRUE(store_->run_now([](store::StoreSession& s) {
    return s.put_setting({"provider.nhn", R"({"enabled":true,"drained":false})", kNow, "op"});
  }));
  publish("node-a", "open", kNow);
  a.refresh_now();
  auto list = notices();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].title_ko, "카카오톡 알림톡 지연, 문자로 보냅니다");
  EXPECT_EQ(list[0].title_en, "KakaoTalk notifications are delayed; we are reaching you by SMS meanwhile");
}

TEST_F(StatusServiceTest, RunsOnItsTimerAndServesRoutes) {
  StatusServiceOptions o;
  o.merchant = "자립상점";
  o.chains = {{"sms", {"nhn"}}};
  o.interval_ms = 20;
  auto svc = std::make_unique<StatusService>(io_, *store_, clock_, std::move(o));
  auto source = svc->source();
  svc->start();
  for (int i = 0; i < 200 && !svc->current(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(svc->current());
  svc->stop();
  svc.reset();
  // The route source outlives the service.
  http::Request req;
  req.method = "GET";
  req.path = "/status.json";
  std::optional<http::Response> out;
  ASSERT_TRUE(handle_status_route(req, [&](http::Response r) { out = std::move(r); }, source));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 200);
  EXPECT_EQ(json::parse(out->body).at("merchant").as_string(), "자립상점");
}

}  // namespace
}  // namespace jarip::status
