#include <gtest/gtest.h>

#include "sim/simulator.hpp"
#include "sim_test_util.hpp"

namespace jarip::sim {
namespace {

class Nhn : public ::testing::Test {
 protected:
  FakeClock clock{test::kT0};
  SimConfig cfg = default_config();
  Simulator sim{cfg, clock, 5};

  std::string alimtalk_body(const std::string& key = "m1.1") {
    return R"({"senderKey":")" + cfg.nhn.sender_key + R"(","templateCode":")" + cfg.nhn.templates[0].id +
           R"(","recipientList":[{"recipientNo":"01012345678","templateParameter":{"name":"a","order":"1"},"recipientGroupingKey":")" +
           key + "\"}]}";
  }
  HttpIn alimtalk(const std::string& idem) {
    auto in = test::nhn_post(cfg, "/alimtalk/v2.3/appkeys/" + cfg.nhn.alimtalk_appkey + "/messages", alimtalk_body());
    if (!idem.empty()) in.headers.emplace_back("X-NC-API-IDEMPOTENCY-KEY", idem);
    return in;
  }
};

TEST_F(Nhn, IdempotencyKeyIsRefusedForTenMinutes) {
  EXPECT_NE(sim.handle(Endpoint::nhn_alimtalk, alimtalk("k")).out.body.find("\"isSuccessful\":true"), std::string::npos);
  clock.advance_ms(10 * 60 * 1000 - 1);
  EXPECT_NE(sim.handle(Endpoint::nhn_alimtalk, alimtalk("k")).out.body.find("\"resultCode\":-1005"), std::string::npos);
  clock.advance_ms(1);
  EXPECT_NE(sim.handle(Endpoint::nhn_alimtalk, alimtalk("k")).out.body.find("\"isSuccessful\":true"), std::string::npos);
  // Every request is recorded, including the refused one: the simulator does not deduplicate.
  EXPECT_EQ(sim.context().store.requests().size(), 3u);
}

TEST_F(Nhn, PathSpellingMatters) {
  auto at = test::nhn_post(cfg, "/alimtalk/v2.3/appKeys/" + cfg.nhn.alimtalk_appkey + "/messages", alimtalk_body());
  EXPECT_EQ(sim.handle(Endpoint::nhn_alimtalk, at).out.status, 404);
  const std::string sms = R"({"title":"t","body":"b","sendNo":"0212345678","recipientList":[{"recipientNo":"01012345678"}]})";
  EXPECT_EQ(sim.handle(Endpoint::nhn_sms, test::nhn_post(cfg, "/sms/v3.0/appKeys/" + cfg.nhn.sms_appkey + "/sender/lms", sms)).out.status, 404);
  EXPECT_EQ(sim.handle(Endpoint::nhn_sms, test::nhn_post(cfg, "/sms/v3.0/appkeys/" + cfg.nhn.sms_appkey + "/sender/mms", sms)).out.status, 404);
  auto ok = sim.handle(Endpoint::nhn_sms, test::nhn_post(cfg, "/sms/v3.0/appKeys/" + cfg.nhn.sms_appkey + "/sender/mms", sms));
  EXPECT_NE(ok.out.body.find("\"isSuccessful\":true"), std::string::npos) << ok.out.body;
  EXPECT_EQ(sim.context().store.messages().back().kind, Kind::lms);
}

TEST_F(Nhn, WrongCredentials) {
  auto in = alimtalk("");
  in.headers[0].second = "wrong";
  EXPECT_NE(sim.handle(Endpoint::nhn_alimtalk, in).out.body.find("\"resultCode\":-1001"), std::string::npos);
  auto bad_key = test::nhn_post(cfg, "/alimtalk/v2.3/appkeys/nope/messages", alimtalk_body());
  EXPECT_NE(sim.handle(Endpoint::nhn_alimtalk, bad_key).out.body.find("\"resultCode\":-1000"), std::string::npos);
}

TEST_F(Nhn, GroupingKeyCarriesJaripIds) {
  sim.handle(Endpoint::nhn_alimtalk, alimtalk(""));
  const auto& m = sim.context().store.messages().back();
  EXPECT_EQ(m.jarip_message_id, "m1");
  EXPECT_EQ(m.dedup_key, "m1.1");
  EXPECT_EQ(m.text, "a님 주문 1번이 발송되었습니다.");
}

TEST_F(Nhn, StatusQueriesSeeTheFinalResult) {
  sim.handle(Endpoint::nhn_alimtalk, alimtalk(""));
  const auto& m = sim.context().store.messages().back();
  HttpIn q;
  q.method = "GET";
  q.target = "/alimtalk/v2.3/appkeys/" + cfg.nhn.alimtalk_appkey + "/messages/" + m.provider_message_id + "/1";
  q.headers = {{"X-Secret-Key", cfg.nhn.secret_key}};
  EXPECT_NE(sim.handle(Endpoint::nhn_alimtalk, q).out.body.find("\"messageStatus\":\"INPROGRESS\""), std::string::npos);
  clock.advance_ms(cfg.report_delay_ms);
  auto due = sim.take_due(Stream::nhn_alimtalk, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_NE(sim.handle(Endpoint::nhn_alimtalk, q).out.body.find("\"resultCode\":\"1000\""), std::string::npos);
  q.target = "/alimtalk/v2.3/appkeys/" + cfg.nhn.alimtalk_appkey + "/messages?requestId=" + m.provider_message_id +
             "&recipientGroupingKey=m1.1";
  auto list = sim.handle(Endpoint::nhn_alimtalk, q).out.body;
  EXPECT_NE(list.find("\"totalCount\":1"), std::string::npos) << list;
  auto hook = sim.report_body(Stream::nhn_alimtalk, due);
  EXPECT_NE(hook.find("\"event\":\"MESSAGE_RESULT_UPDATE\""), std::string::npos);
  EXPECT_NE(hook.find("\"recipientGroupingKey\":\"m1.1\""), std::string::npos);
}

TEST_F(Nhn, MalformedInputNeverThrows) {
  for (const char* body : {"", "{", "[]", "null", "{\"recipientList\":5}", "{\"senderKey\":1}",
                           "{\"recipientList\":[null,1,\"x\",{}]}"}) {
    for (auto e : {Endpoint::nhn_alimtalk, Endpoint::nhn_sms, Endpoint::solapi}) {
      HttpIn in = e == Endpoint::solapi
                      ? test::solapi_send(cfg, clock.now_ms(), body)
                      : test::nhn_post(cfg, e == Endpoint::nhn_sms ? "/sms/v3.0/appKeys/" + cfg.nhn.sms_appkey + "/sender/sms"
                                                                   : "/alimtalk/v2.3/appkeys/" + cfg.nhn.alimtalk_appkey + "/messages",
                                       body);
      EXPECT_NO_THROW(sim.handle(e, in)) << body;
    }
  }
  for (const char* target : {"/", "//", "/alimtalk", "/sms/v3.0/appKeys//sender/sms/x/y", "/messages/v4/list?limit=abc&%zz"}) {
    HttpIn in;
    in.method = "GET";
    in.target = target;
    for (auto e : {Endpoint::nhn_alimtalk, Endpoint::nhn_sms, Endpoint::solapi}) EXPECT_NO_THROW(sim.handle(e, in));
    EXPECT_NO_THROW(sim.handle_admin(in));
  }
}

TEST(AdminApi, ReceivedSummaryCountsPerMessageId) {
  FakeClock clock{test::kT0};
  SimConfig cfg = default_config();
  Simulator sim{cfg, clock, 1};
  const std::string body =
      R"({"messages":[{"to":"01012345678","from":"0212345678","text":"x","customFields":{"jarip_message_id":"A"}}]})";
  sim.handle(Endpoint::solapi, test::solapi_send(cfg, clock.now_ms(), body));
  sim.handle(Endpoint::solapi, test::solapi_send(cfg, clock.now_ms(), body));
  HttpIn q;
  q.method = "GET";
  q.target = "/_sim/received?provider=solapi&summary=1";
  auto out = sim.handle_admin(q).body;
  EXPECT_NE(out.find("\"A\":2"), std::string::npos) << out;
  EXPECT_NE(out.find("\"ids_with_duplicates\":1"), std::string::npos) << out;
  q.method = "DELETE";
  q.target = "/_sim/received";
  sim.handle_admin(q);
  EXPECT_TRUE(sim.context().store.messages().empty());
}

}  // namespace
}  // namespace jarip::sim
