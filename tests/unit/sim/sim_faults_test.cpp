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

}  // namespace
}  // namespace jarip::sim
