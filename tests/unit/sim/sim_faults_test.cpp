#include <gtest/gtest.h>

#include "sim/faults.hpp"
#include "sim/simulator.hpp"
#include "sim_test_util.hpp"

namespace jarip::sim {
namespace {

double never() { return 0.99; }
double always() { return 0.0; }

TEST(FaultTable, NoRuleMeansPass) {
  FaultTable t;
  EXPECT_EQ(t.decide(Provider::solapi, Channel::sms, 0, never).effect, Effect::pass);
}

TEST(FaultTable, MostSpecificRuleWins) {
  FaultTable t;
  ASSERT_TRUE(t.set_from_json(R"({"provider":"*","channel":"*","mode":"down"})", 0));
  ASSERT_TRUE(t.set_from_json(R"({"provider":"nhn","channel":"sms","mode":"ok"})", 0));
  EXPECT_EQ(t.decide(Provider::nhn, Channel::sms, 0, never).effect, Effect::pass);
  EXPECT_EQ(t.decide(Provider::nhn, Channel::alimtalk, 0, never).effect, Effect::refuse);
  EXPECT_EQ(t.decide(Provider::solapi, Channel::sms, 0, never).effect, Effect::refuse);
}

TEST(FaultTable, ErrorRateUsesTheInjectedRandomSource) {
  FaultTable t;
  ASSERT_TRUE(t.set_from_json(R"({"provider":"solapi","mode":"error","error_rate":0.4})", 0));
  EXPECT_EQ(t.decide(Provider::solapi, Channel::sms, 0, [] { return 0.39; }).effect, Effect::error);
  EXPECT_EQ(t.decide(Provider::solapi, Channel::sms, 0, [] { return 0.41; }).effect, Effect::pass);
}

TEST(FaultTable, LoseAnswerRateUsesTheInjectedRandomSource) {
  FaultTable t;
  ASSERT_TRUE(t.set_from_json(R"({"provider":"nhn","mode":"lose_answer","error_rate":0.4})", 0));
  EXPECT_EQ(t.decide(Provider::nhn, Channel::sms, 0, [] { return 0.39; }).effect, Effect::lose_answer);
  EXPECT_EQ(t.decide(Provider::nhn, Channel::sms, 0, [] { return 0.41; }).effect, Effect::pass);
  EXPECT_NE(t.to_json(0).find("\"mode\":\"lose_answer\""), std::string::npos) << t.to_json(0);
  EXPECT_FALSE(t.set_from_json(R"({"mode":"lose_answer","error_rate":-0.1})", 0));
}

TEST(FaultTable, FlapAlternatesDownAndOkEveryPeriod) {
  FakeClock clock(test::kT0);
  FaultTable t;
  ASSERT_TRUE(t.set_from_json(R"({"provider":"nhn","channel":"alimtalk","mode":"flap","period_ms":300})", clock.now_ms()));
  std::vector<bool> down;
  for (int i = 0; i < 8; ++i) {
    down.push_back(t.is_down(Provider::nhn, Channel::alimtalk, clock.now_ms()));
    clock.advance_ms(150);
  }
  EXPECT_EQ(down, (std::vector<bool>{true, true, false, false, true, true, false, false}));
  EXPECT_FALSE(t.is_down(Provider::nhn, Channel::sms, clock.now_ms()));
}

TEST(FaultTable, ModesMapToEffects) {
  FaultTable t;
  ASSERT_TRUE(t.set_from_json(R"({"provider":"solapi","channel":"sms","mode":"slow","latency_ms":250})", 0));
  auto d = t.decide(Provider::solapi, Channel::sms, 0, always);
  EXPECT_EQ(d.effect, Effect::slow);
  EXPECT_EQ(d.latency_ms, 250);
  ASSERT_TRUE(t.set_from_json(R"({"provider":"solapi","channel":"sms","mode":"timeout"})", 0));
  EXPECT_EQ(t.decide(Provider::solapi, Channel::sms, 0, always).effect, Effect::hang);
  ASSERT_TRUE(t.set_from_json(R"({"provider":"solapi","channel":"sms","mode":"accept_then_fail"})", 0));
  EXPECT_EQ(t.decide(Provider::solapi, Channel::sms, 0, always).effect, Effect::accept_then_fail);
  ASSERT_TRUE(t.set_from_json(R"({"provider":"solapi","channel":"sms","mode":"blackhole"})", 0));
  EXPECT_EQ(t.decide(Provider::solapi, Channel::sms, 0, always).effect, Effect::blackhole);
  ASSERT_TRUE(t.set_from_json(R"({"provider":"solapi","channel":"sms","mode":"lose_answer"})", 0));
  EXPECT_EQ(t.decide(Provider::solapi, Channel::sms, 0, never).effect, Effect::lose_answer);  // default rate 1
  EXPECT_EQ(t.rules().size(), 1u);  // same key replaced
  t.reset();
  EXPECT_TRUE(t.rules().empty());
}

TEST(FaultTable, RejectsBadInput) {
  FaultTable t;
  EXPECT_FALSE(t.set_from_json("not json", 0));
  EXPECT_FALSE(t.set_from_json(R"({"mode":"explode"})", 0));
  EXPECT_FALSE(t.set_from_json(R"({"mode":"error","error_rate":2})", 0));
  EXPECT_FALSE(t.set_from_json(R"({"provider":"kakao","mode":"down"})", 0));
  EXPECT_FALSE(t.set_from_json(R"({"mode":"flap","period_ms":0})", 0));
  EXPECT_TRUE(t.rules().empty());
}

class SimulatorFaults : public ::testing::Test {
 protected:
  FakeClock clock{test::kT0};
  SimConfig cfg = default_config();
  Simulator sim{cfg, clock, 11};

  void fault(const std::string& json) { ASSERT_TRUE(sim.context().faults.set_from_json(json, clock.now_ms())); }
  HttpIn sms_request() {
    return test::solapi_send(cfg, clock.now_ms(),
                             R"({"messages":[{"to":"01012345678","from":"0212345678","text":"hi","customFields":{"jarip_message_id":"m1"}}]})");
  }
  HttpIn ata_request(const std::string& to) {
    return test::solapi_send(cfg, clock.now_ms(),
                             R"({"messages":[{"to":")" + to + R"(","kakaoOptions":{"pfId":")" + cfg.solapi.pf_id +
                                 R"(","templateId":")" + cfg.solapi.templates[0].id +
                                 R"(","variables":{"#{name}":"a","#{order}":"1"}}}]})");
  }
};

TEST_F(SimulatorFaults, DownOnWholePortClosesTheListener) {
  fault(R"({"provider":"nhn","channel":"sms","mode":"down"})");
  EXPECT_FALSE(sim.should_listen(Endpoint::nhn_sms));
  EXPECT_TRUE(sim.should_listen(Endpoint::nhn_alimtalk));
  fault(R"({"provider":"solapi","channel":"alimtalk","mode":"down"})");
  EXPECT_TRUE(sim.should_listen(Endpoint::solapi));  // Solapi's port also serves SMS
  EXPECT_EQ(sim.handle(Endpoint::solapi, ata_request("01012345678")).how, Disposition::close);
  EXPECT_EQ(sim.handle(Endpoint::solapi, sms_request()).how, Disposition::respond);
  sim.context().faults.reset();
  EXPECT_TRUE(sim.should_listen(Endpoint::nhn_sms));
}

TEST_F(SimulatorFaults, ErrorAnswersProviderShapedFiveHundredAndRecordsNoMessage) {
  fault(R"({"provider":"solapi","mode":"error","error_rate":1})");
  auto h = sim.handle(Endpoint::solapi, sms_request());
  EXPECT_EQ(h.out.status, 500);
  EXPECT_NE(h.out.body.find("\"errorCode\""), std::string::npos);
  EXPECT_TRUE(sim.context().store.messages().empty());
  EXPECT_EQ(sim.context().store.requests().size(), 1u);  // the raw request is still recorded
}

TEST_F(SimulatorFaults, TimeoutProcessesButNeverAnswers) {
  fault(R"({"provider":"solapi","mode":"timeout"})");
  EXPECT_EQ(sim.handle(Endpoint::solapi, sms_request()).how, Disposition::hang);
  ASSERT_EQ(sim.context().store.messages().size(), 1u);
  EXPECT_EQ(sim.context().store.messages()[0].outcome, Outcome::accepted);
}

TEST_F(SimulatorFaults, LoseAnswerProcessesTheSendThenClosesWithoutAnAnswer) {
  fault(R"({"provider":"solapi","mode":"lose_answer"})");
  auto h = sim.handle(Endpoint::solapi, sms_request());
  EXPECT_EQ(h.how, Disposition::close);
  EXPECT_EQ(h.out.status, 200);  // what would have been answered: a normal acceptance
  const auto& store = sim.context().store;
  ASSERT_EQ(store.messages().size(), 1u);
  EXPECT_EQ(store.messages()[0].outcome, Outcome::accepted);
  EXPECT_EQ(store.messages()[0].status_code, "2000");
  ASSERT_EQ(store.requests().size(), 1u);
  EXPECT_EQ(store.requests()[0].disposition, "answer_lost");
  EXPECT_EQ(store.requests()[0].http_status, 0);
  EXPECT_EQ(store.requests()[0].message_count, 1u);
  EXPECT_FALSE(store.requests()[0].provider_request_id.empty());
  const auto& c = sim.context().counters;
  EXPECT_EQ(c.answers_lost, 1u);
  EXPECT_EQ(c.refused, 0u);
  EXPECT_EQ(c.hung, 0u);
  EXPECT_EQ(c.accepted, 1u);
  // The normal report follows, as in mode ok.
  clock.advance_ms(cfg.report_delay_ms);
  auto due = sim.take_due(Stream::solapi, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(store.messages()[due[0]].status_code, "4000");
}

TEST_F(SimulatorFaults, LoseAnswerCoversEveryNhnSendEndpoint) {
  fault(R"({"provider":"nhn","mode":"lose_answer"})");
  const std::string at = R"({"senderKey":")" + cfg.nhn.sender_key + R"(","templateCode":")" + cfg.nhn.templates[0].id +
                         R"(","recipientList":[{"recipientNo":"01012345678","templateParameter":{"name":"a","order":"1"},"recipientGroupingKey":"m1.0"}]})";
  const std::string sms = R"({"body":"hi","sendNo":"0212345678","recipientList":[{"recipientNo":"01012345678","recipientGroupingKey":"m2.0"}]})";
  const std::string lms = R"({"title":"t","body":"long","sendNo":"0212345678","recipientList":[{"recipientNo":"01012345678","recipientGroupingKey":"m3.0"}]})";
  EXPECT_EQ(sim.handle(Endpoint::nhn_alimtalk, test::nhn_post(cfg, test::nhn_alimtalk_path(cfg), at)).how, Disposition::close);
  EXPECT_EQ(sim.handle(Endpoint::nhn_sms, test::nhn_post(cfg, test::nhn_sms_path(cfg), sms)).how, Disposition::close);
  EXPECT_EQ(sim.handle(Endpoint::nhn_sms, test::nhn_post(cfg, test::nhn_sms_path(cfg, true), lms)).how, Disposition::close);
  const auto& store = sim.context().store;
  ASSERT_EQ(store.messages().size(), 3u);
  for (const auto& m : store.messages()) EXPECT_EQ(m.outcome, Outcome::accepted) << m.dedup_key;
  for (const auto& r : store.requests()) EXPECT_EQ(r.disposition, "answer_lost") << r.target;
  EXPECT_EQ(sim.context().counters.answers_lost, 3u);
  // Lookups on the same ports are answered.
  const auto& m = store.messages()[0];
  auto single = sim.handle(Endpoint::nhn_alimtalk,
                           test::nhn_get(cfg, test::nhn_alimtalk_path(cfg) + "/" + m.provider_message_id + "/1"));
  EXPECT_EQ(single.how, Disposition::respond);
  EXPECT_NE(single.out.body.find("\"recipientGroupingKey\":\"m1.0\""), std::string::npos) << single.out.body;
  auto list = sim.handle(Endpoint::nhn_sms, test::nhn_get(cfg, test::nhn_sms_path(cfg) + "?requestId=" +
                                                                   store.messages()[1].provider_message_id));
  EXPECT_EQ(list.how, Disposition::respond);
  EXPECT_NE(list.out.body.find("\"totalCount\":1"), std::string::npos) << list.out.body;
  EXPECT_EQ(store.requests().back().disposition, "answered");
  EXPECT_EQ(sim.context().counters.answers_lost, 3u);
}

TEST_F(SimulatorFaults, LoseAnswerLeavesSolapiLookupsAnswered) {
  fault(R"({"provider":"*","channel":"*","mode":"lose_answer"})");
  ASSERT_EQ(sim.handle(Endpoint::solapi, sms_request()).how, Disposition::close);
  const std::string id = sim.context().store.messages()[0].provider_message_id;
  auto h = sim.handle(Endpoint::solapi, test::solapi_get(cfg, clock.now_ms(), "/messages/v4/list?messageId=" + id));
  EXPECT_EQ(h.how, Disposition::respond);
  EXPECT_EQ(h.out.status, 200);
  EXPECT_NE(h.out.body.find("\"messageId\":\"" + id + "\""), std::string::npos) << h.out.body;
  EXPECT_EQ(sim.context().counters.answers_lost, 1u);
}

TEST_F(SimulatorFaults, LoseAnswerErrorRateIsTheShareOfSendsLosingTheirAnswer) {
  fault(R"({"provider":"nhn","channel":"sms","mode":"lose_answer","error_rate":0.25})");
  const std::string sms = R"({"body":"hi","sendNo":"0212345678","recipientList":[{"recipientNo":"01012345678"}]})";
  int lost = 0;
  for (int i = 0; i < 400; ++i)
    lost += sim.handle(Endpoint::nhn_sms, test::nhn_post(cfg, test::nhn_sms_path(cfg), sms)).how == Disposition::close;
  EXPECT_GT(lost, 70);  // 100 expected; the bounds are 3.5 standard deviations
  EXPECT_LT(lost, 130);
  EXPECT_EQ(sim.context().counters.answers_lost, static_cast<std::uint64_t>(lost));
  EXPECT_EQ(sim.context().store.messages().size(), 400u);  // answered or not, every send was processed
  fault(R"({"provider":"nhn","channel":"sms","mode":"lose_answer","error_rate":0})");
  EXPECT_EQ(sim.handle(Endpoint::nhn_sms, test::nhn_post(cfg, test::nhn_sms_path(cfg), sms)).how, Disposition::respond);
}

TEST_F(SimulatorFaults, AlimtalkRetryAfterALostAnswerMeetsTheIdempotencyKey) {
  // What makes NHN AlimTalk safe to resend: the first request took effect, so its key is taken.
  fault(R"({"provider":"nhn","channel":"alimtalk","mode":"lose_answer"})");
  const std::string at = R"({"senderKey":")" + cfg.nhn.sender_key + R"(","templateCode":")" + cfg.nhn.templates[0].id +
                         R"(","recipientList":[{"recipientNo":"01012345678","templateParameter":{"name":"a","order":"1"},"recipientGroupingKey":"m1.0"}]})";
  auto send = [&] {
    auto in = test::nhn_post(cfg, test::nhn_alimtalk_path(cfg), at);
    in.headers.emplace_back("X-NC-API-IDEMPOTENCY-KEY", "key-1");
    return sim.handle(Endpoint::nhn_alimtalk, in);
  };
  EXPECT_EQ(send().how, Disposition::close);
  sim.context().faults.reset();
  auto retry = send();
  EXPECT_EQ(retry.how, Disposition::respond);
  EXPECT_NE(retry.out.body.find("\"resultCode\":-1005"), std::string::npos) << retry.out.body;
  EXPECT_EQ(sim.context().store.messages().size(), 1u);
}

TEST_F(SimulatorFaults, SlowAddsLatency) {
  fault(R"({"provider":"solapi","mode":"slow","latency_ms":700})");
  EXPECT_EQ(sim.handle(Endpoint::solapi, sms_request()).delay_ms, 700);
}

TEST_F(SimulatorFaults, ReportsFollowTheRecipientAndTheMode) {
  sim.handle(Endpoint::solapi, ata_request("01099990000"));  // not a KakaoTalk user
  sim.handle(Endpoint::solapi, ata_request("01099990001"));  // blocked
  fault(R"({"provider":"solapi","channel":"alimtalk","mode":"accept_then_fail"})");
  sim.handle(Endpoint::solapi, ata_request("01012345678"));
  fault(R"({"provider":"solapi","channel":"alimtalk","mode":"blackhole"})");
  sim.handle(Endpoint::solapi, ata_request("01012345679"));
  EXPECT_TRUE(sim.take_due(Stream::solapi, 100).empty());  // not before report_delay_ms
  clock.advance_ms(cfg.report_delay_ms);
  auto due = sim.take_due(Stream::solapi, 100);
  ASSERT_EQ(due.size(), 3u);
  const auto& msgs = sim.context().store.messages();
  EXPECT_EQ(msgs[due[0]].status_code, "3104");
  EXPECT_EQ(msgs[due[1]].status_code, "3107");
  EXPECT_EQ(msgs[due[2]].status_code, "3012");
  EXPECT_EQ(msgs[3].outcome, Outcome::accepted);  // blackholed: never final
  auto body = sim.report_body(Stream::solapi, due);
  EXPECT_EQ(body.front(), '[');
  EXPECT_NE(body.find("\"statusCode\":\"3104\""), std::string::npos);
}

TEST_F(SimulatorFaults, ReportBatchesRespectTheMaximum) {
  for (int i = 0; i < 5; ++i) sim.handle(Endpoint::solapi, sms_request());
  clock.advance_ms(cfg.report_delay_ms);
  EXPECT_EQ(sim.take_due(Stream::solapi, 2).size(), 2u);
  EXPECT_EQ(sim.take_due(Stream::solapi, 2).size(), 2u);
  EXPECT_EQ(sim.take_due(Stream::solapi, 2).size(), 1u);
}

TEST_F(SimulatorFaults, AdminAcceptsLoseAnswerAndTheRecordShowsIt) {
  auto admin = [&](const std::string& method, const std::string& target, const std::string& body = "") {
    HttpIn in;
    in.method = method;
    in.target = target;
    in.body = body;
    return sim.handle_admin(in);
  };
  auto set = admin("POST", "/_sim/faults", R"({"provider":"solapi","mode":"lose_answer","error_rate":1})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_NE(set.body.find("\"mode\":\"lose_answer\""), std::string::npos) << set.body;
  EXPECT_EQ(admin("POST", "/_sim/faults", R"({"mode":"lose-answer"})").status, 400);
  ASSERT_EQ(sim.handle(Endpoint::solapi, sms_request()).how, Disposition::close);
  auto received = admin("GET", "/_sim/received").body;
  EXPECT_NE(received.find("\"disposition\":\"answer_lost\""), std::string::npos) << received;
  auto requests = admin("GET", "/_sim/requests").body;
  EXPECT_NE(requests.find("\"http_status\":0,\"disposition\":\"answer_lost\""), std::string::npos) << requests;
  auto stats = admin("GET", "/_sim/stats").body;
  EXPECT_NE(stats.find("\"answers_lost\":1"), std::string::npos) << stats;
}

}  // namespace
}  // namespace jarip::sim
