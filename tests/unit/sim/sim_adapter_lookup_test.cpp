// jarip's real provider adapters against the simulator, with no network between them: the adapter's
// build_send / build_status_query output goes into Simulator::handle, and the simulator's answers into
// parse_send / parse_status. The two sides share no code, so this checks that the simulator's lookups
// answer what the adapters ask the way the adapters read it, including after a lost send answer.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <vector>

#include "channels/nhn/nhn_adapter.hpp"
#include "channels/solapi/solapi_adapter.hpp"
#include "sim/simulator.hpp"
#include "sim_test_util.hpp"

namespace jarip::sim {
namespace {

namespace ch = jarip::channels;
using ch::SendKind;
using ch::StatusAnswer;

ch::ProviderSettings solapi_settings(const SimConfig& cfg) {
  ch::ProviderSettings s;
  s.name = "solapi";
  s.type = "solapi";
  s.values = {{"base_url", "http://127.0.0.1:" + std::to_string(cfg.solapi.port)},
              {"api_key", cfg.solapi.api_key},
              {"api_secret", cfg.solapi.api_secret},
              {"sender", cfg.solapi.senders[0]},
              {"pf_id", cfg.solapi.pf_id},
              {"report_token", "sim-report-token-0123456789"}};
  return s;
}

ch::ProviderSettings nhn_settings(const SimConfig& cfg) {
  ch::ProviderSettings s;
  s.name = "nhn";
  s.type = "nhn";
  s.values = {{"alimtalk_base_url", "http://127.0.0.1:" + std::to_string(cfg.nhn.alimtalk_port)},
              {"sms_base_url", "http://127.0.0.1:" + std::to_string(cfg.nhn.sms_port)},
              {"alimtalk_appkey", cfg.nhn.alimtalk_appkey},
              {"sms_appkey", cfg.nhn.sms_appkey},
              {"secret_key", cfg.nhn.secret_key},
              {"sender_key", cfg.nhn.sender_key},
              {"sender", cfg.nhn.send_nos[0]},
              {"webhook_signature", cfg.nhn.webhook_signature}};
  return s;
}

// The adapter's absolute URL as the simulator's server would see it: path and query only.
HttpIn to_sim(const ch::OutboundRequest& r) {
  HttpIn in;
  in.method = r.method;
  const auto host = r.url.find("://") + 3;
  in.target = r.url.substr(r.url.find('/', host));
  for (const auto& h : r.headers) in.headers.emplace_back(h.name, h.value);
  in.body = r.body;
  return in;
}

class AdapterAgainstSim : public ::testing::Test {
 protected:
  FakeClock clock{test::kT0};
  SimConfig cfg = default_config();
  Simulator sim{cfg, clock, 17};
  std::unique_ptr<ch::ProviderAdapter> solapi = must(ch::solapi::make_solapi_adapter(solapi_settings(cfg)));
  std::unique_ptr<ch::ProviderAdapter> nhn = must(ch::nhn::make_nhn_adapter(nhn_settings(cfg)));
  int nonce_seq = 0;

  static std::unique_ptr<ch::ProviderAdapter> must(Result<std::unique_ptr<ch::ProviderAdapter>> r) {
    if (!r) {
      ADD_FAILURE() << r.error().code << " " << r.error().message;
      return nullptr;
    }
    return std::move(r).value();
  }

  ch::RequestContext context() {
    return ch::RequestContext{clock.now_ms(), "0123456789abcdef0123456789abcdef" + std::to_string(++nonce_seq)};
  }

  static Endpoint endpoint_for(const ch::ProviderAdapter& a, SendKind kind) {
    if (a.name() == "solapi") return Endpoint::solapi;
    return kind == SendKind::alimtalk ? Endpoint::nhn_alimtalk : Endpoint::nhn_sms;
  }

  // Sends one message; nullopt when the simulator closed the connection without an answer.
  std::optional<ch::SendResult> send(const ch::ProviderAdapter& a, const ch::OutboundMessage& m) {
    std::vector<ch::OutboundMessage> batch{m};
    auto request = a.build_send(m.kind, batch, context());
    EXPECT_TRUE(request) << request.error().message;
    if (!request) return std::nullopt;
    Handled h = sim.handle(endpoint_for(a, m.kind), to_sim(*request));
    if (h.how != Disposition::respond) return std::nullopt;
    auto results = a.parse_send(m.kind, batch, ch::InboundResponse{h.out.status, h.out.body});
    EXPECT_EQ(results.size(), 1u);
    return results.empty() ? std::nullopt : std::optional<ch::SendResult>(results[0]);
  }

  ch::StatusQuery query(const ch::OutboundMessage& m, const std::string& provider_message_id) const {
    ch::StatusQuery q;
    q.kind = m.kind;
    q.message_id = m.message_id;
    q.dedup_key = m.dedup_key;
    q.provider_message_id = provider_message_id;
    q.to = m.to;
    q.attempted_at_ms = clock.now_ms();
    return q;
  }

  // The adapter's answer to its own status query as it reads the simulator's reply: a result or an error.
  Result<ch::StatusResult> ask(const ch::ProviderAdapter& a, const ch::StatusQuery& q) {
    auto request = a.build_status_query(q, context());
    if (!request) return make_error("no_query", a.name() + " builds no status query for " + q.dedup_key);
    Handled h = sim.handle(endpoint_for(a, q.kind), to_sim(*request));
    EXPECT_EQ(h.how, Disposition::respond) << request->url;
    EXPECT_EQ(h.out.status, 200) << request->url << "\n" << h.out.body;
    return a.parse_status(q, ch::InboundResponse{h.out.status, h.out.body});
  }

  // What the adapter concludes from the simulator's answer to its own status query.
  ch::StatusResult status(const ch::ProviderAdapter& a, const ch::StatusQuery& q) {
    auto request = a.build_status_query(q, context());
    if (!request) {
      ADD_FAILURE() << a.name() << " builds no status query for " << q.dedup_key;
      return {};
    }
    Handled h = sim.handle(endpoint_for(a, q.kind), to_sim(*request));
    EXPECT_EQ(h.how, Disposition::respond) << request->url;
    auto result = a.parse_status(q, ch::InboundResponse{h.out.status, h.out.body});
    if (!result) {
      ADD_FAILURE() << request->url << ": " << result.error().message << "\n" << h.out.body;
      return {};
    }
    return *result;
  }

  // One message to a normal recipient; AlimTalk uses the template registered with the simulator.
  ch::OutboundMessage for_provider(const ch::ProviderAdapter& a, SendKind kind, const std::string& id) const {
    ch::OutboundMessage m;
    m.message_id = id;
    m.dedup_key = id + ".0";
    m.kind = kind;
    m.to = "01012345678";
    if (kind == SendKind::alimtalk) {
      m.template_code = a.name() == "solapi" ? cfg.solapi.templates[0].id : cfg.nhn.templates[0].id;
      m.text = "a님 주문 1번이 발송되었습니다.";
      m.variables = {{"name", "a"}, {"order", "1"}};
    } else {
      m.text = kind == SendKind::lms ? "a longer body" : "hi";
      if (kind == SendKind::lms) m.subject = "subject";
    }
    return m;
  }

  void fault(const std::string& json) { ASSERT_TRUE(sim.context().faults.set_from_json(json, clock.now_ms())); }

  // Sends under `mode` and returns the provider message id the send answer carried.
  std::string accepted(const ch::ProviderAdapter& a, const ch::OutboundMessage& m, const std::string& mode) {
    fault(R"({"mode":")" + mode + "\"}");
    auto r = send(a, m);
    sim.context().faults.reset();
    if (!r) {
      ADD_FAILURE() << "no answer to " << m.message_id;
      return {};
    }
    EXPECT_EQ(r->outcome, ch::SendOutcome::accepted) << r->error_code << " " << r->error_text;
    EXPECT_FALSE(r->provider_message_id.empty());
    return r->provider_message_id;
  }

  // pending → delivered; pending → failed with `fail_code`; blackholed pending forever; unknown not found.
  void check_states(const ch::ProviderAdapter& a, SendKind kind, const std::string& fail_code,
                    const std::string& unknown_id) {
    SCOPED_TRACE(a.name() + " " + std::string(ch::to_string(kind)));
    auto ok = for_provider(a, kind, "ok-" + std::string(ch::to_string(kind)));
    auto fail = for_provider(a, kind, "fail-" + std::string(ch::to_string(kind)));
    auto hole = for_provider(a, kind, "hole-" + std::string(ch::to_string(kind)));
    const auto ok_q = query(ok, accepted(a, ok, "ok"));
    const auto fail_q = query(fail, accepted(a, fail, "accept_then_fail"));
    const auto hole_q = query(hole, accepted(a, hole, "blackhole"));
    for (const auto* q : {&ok_q, &fail_q, &hole_q}) {
      auto s = status(a, *q);
      EXPECT_EQ(s.answer, StatusAnswer::pending) << q->dedup_key;
      EXPECT_EQ(s.provider_message_id, q->provider_message_id);
    }
    clock.advance_ms(cfg.report_delay_ms);
    EXPECT_EQ(status(a, ok_q).answer, StatusAnswer::delivered);
    auto failed = status(a, fail_q);
    EXPECT_EQ(failed.answer, StatusAnswer::failed);
    EXPECT_EQ(failed.error_code, fail_code);
    clock.advance_ms(3'600'000);
    EXPECT_EQ(status(a, hole_q).answer, StatusAnswer::pending);
    auto unknown = query(for_provider(a, kind, "never-sent"), unknown_id);
    EXPECT_EQ(status(a, unknown).answer, StatusAnswer::not_found);
  }

  // A send whose answer was lost: the caller has no provider message id, only its dedup key.
  void check_lost_answer_by_dedup_key(SendKind kind) {
    SCOPED_TRACE(ch::to_string(kind));
    auto m = for_provider(*nhn, kind, "lost-" + std::string(ch::to_string(kind)));
    fault(R"({"provider":"nhn","mode":"lose_answer"})");
    EXPECT_FALSE(send(*nhn, m).has_value());
    const auto q = query(m, "");
    auto s = status(*nhn, q);  // asked while the fault still holds: lookups are answered
    EXPECT_EQ(s.answer, StatusAnswer::pending);
    const auto& rec = sim.context().store.messages().back();
    EXPECT_EQ(s.provider_message_id, rec.provider_message_id + ":1");
    // Another dedup key in the same window is not found: that one is safe to send.
    EXPECT_EQ(status(*nhn, query(for_provider(*nhn, kind, "other"), "")).answer, StatusAnswer::not_found);
    clock.advance_ms(cfg.report_delay_ms);
    EXPECT_EQ(status(*nhn, q).answer, StatusAnswer::delivered);
    // Asked much later, the adapter's window around the attempt still covers it.
    clock.advance_ms(50 * 60 * 1000);
    EXPECT_EQ(status(*nhn, q).answer, StatusAnswer::delivered);
    sim.context().faults.reset();
  }
};

TEST_F(AdapterAgainstSim, SolapiStatesByMessageId) {
  check_states(*solapi, SendKind::sms, "3012", "M4V20240501100000UNKNOWNUNKNOWN");
  check_states(*solapi, SendKind::lms, "3012", "M4V20240501100000UNKNOWNUNKNOWN");
  check_states(*solapi, SendKind::alimtalk, "3012", "M4V20240501100000UNKNOWNUNKNOWN");
}

TEST_F(AdapterAgainstSim, NhnAlimtalkStatesByRequestIdAndSeq) {
  check_states(*nhn, SendKind::alimtalk, "3012", "20240501100000UnknownId00:1");
}

TEST_F(AdapterAgainstSim, NhnSmsAndLmsStatesByRequestIdAndSeq) {
  check_states(*nhn, SendKind::sms, "3011", "20240501100000UnknownId00:1");
  check_states(*nhn, SendKind::lms, "3011", "20240501100000UnknownId00:1");
}

TEST_F(AdapterAgainstSim, NhnLostAnswerIsSettledByDedupKeyWithinTheWindow) {
  check_lost_answer_by_dedup_key(SendKind::alimtalk);
  check_lost_answer_by_dedup_key(SendKind::sms);
  check_lost_answer_by_dedup_key(SendKind::lms);
}

TEST_F(AdapterAgainstSim, NhnFailureIsFoundByDedupKeyToo) {
  for (SendKind kind : {SendKind::alimtalk, SendKind::sms}) {
    auto m = for_provider(*nhn, kind, "fail-by-key-" + std::string(ch::to_string(kind)));
    accepted(*nhn, m, "accept_then_fail");
    clock.advance_ms(cfg.report_delay_ms);
    auto failed = status(*nhn, query(m, ""));
    EXPECT_EQ(failed.answer, StatusAnswer::failed);
    EXPECT_EQ(failed.error_code, kind == SendKind::alimtalk ? "3012" : "3011");
  }
}

// Solapi: after a lost answer jarip has no messageId, so the adapter lists the recipient's messages of
// the step's type around the attempt and recognises its own by the dedup key in customFields.
class SolapiSearch : public AdapterAgainstSim {
 protected:
  // Solapi messages of `kind` sent straight to the simulator (not through the adapter), each to
  // m.to with another jarip message's ids: what an earlier notification to the same person left.
  void others(const ch::OutboundMessage& m, int n, const std::string& prefix) {
    ASSERT_NE(m.kind, SendKind::alimtalk);
    std::string body = R"({"allowDuplicates":true,"messages":[)";
    for (int i = 0; i < n; ++i) {
      if (i > 0) body += ",";
      std::string id = prefix + std::to_string(i);
      body += R"({"to":")" + m.to + R"(","from":")" + cfg.solapi.senders[0] + R"(","type":")" +
              (m.kind == SendKind::sms ? "SMS" : "LMS") + R"(","text":"other","customFields":{"jarip_message_id":")" + id +
              R"(","jarip_dedup_key":")" + id + R"(.0"}})";
    }
    body += "]}";
    Handled h = sim.handle(Endpoint::solapi, test::solapi_send(cfg, clock.now_ms(), body));
    ASSERT_EQ(h.out.status, 200) << h.out.body;
  }

  // Sends `m` through the adapter while Solapi loses every send answer; returns Solapi's messageId for it.
  std::string lost(const ch::OutboundMessage& m) {
    fault(R"({"provider":"solapi","mode":"lose_answer"})");
    EXPECT_FALSE(send(*solapi, m).has_value());
    sim.context().faults.reset();
    const auto& rec = sim.context().store.messages().back();
    EXPECT_EQ(rec.dedup_key, m.dedup_key);
    return rec.provider_message_id;
  }

  void check_lost_answer(SendKind kind) {
    SCOPED_TRACE(ch::to_string(kind));
    const std::string k(ch::to_string(kind));
    // Earlier messages to the same person: another notification, and this message's own earlier step
    // of the same kind (same message id, another dedup key), both delivered.
    auto before = for_provider(*solapi, kind, "before-" + k);
    accepted(*solapi, before, "ok");
    auto step0 = for_provider(*solapi, kind, "lost-" + k);
    step0.dedup_key = "lost-" + k + ".0";
    accepted(*solapi, step0, "ok");
    clock.advance_ms(cfg.report_delay_ms);

    auto m = for_provider(*solapi, kind, "lost-" + k);
    m.dedup_key = "lost-" + k + ".1";
    const std::string id = lost(m);
    const auto q = query(m, "");
    auto request = solapi->build_status_query(q, context());
    ASSERT_TRUE(request.has_value());
    EXPECT_NE(request->url.find("to=01012345678"), std::string::npos) << request->url;
    auto s = status(*solapi, q);  // the others are delivered; this one is not: they are not mistaken for it
    EXPECT_EQ(s.answer, StatusAnswer::pending);
    EXPECT_EQ(s.provider_message_id, id);
    // A step Solapi never received, to the same person in the same window: safe to send.
    auto never = for_provider(*solapi, kind, "never-" + k);
    EXPECT_EQ(status(*solapi, query(never, "")).answer, StatusAnswer::not_found);
    clock.advance_ms(cfg.report_delay_ms);
    s = status(*solapi, q);
    EXPECT_EQ(s.answer, StatusAnswer::delivered);
    EXPECT_EQ(s.provider_message_id, id);
    // Asked much later, the window around the attempt still covers it.
    clock.advance_ms(14 * 60 * 1000);
    EXPECT_EQ(status(*solapi, q).answer, StatusAnswer::delivered);
  }
};

TEST_F(SolapiSearch, LostAnswerIsSettledByRecipientSearch) {
  check_lost_answer(SendKind::sms);
  check_lost_answer(SendKind::lms);
  check_lost_answer(SendKind::alimtalk);
}

TEST_F(SolapiSearch, FailureIsFoundByRecipientSearchToo) {
  for (SendKind kind : {SendKind::sms, SendKind::lms, SendKind::alimtalk}) {
    SCOPED_TRACE(ch::to_string(kind));
    auto m = for_provider(*solapi, kind, "fail-by-search-" + std::string(ch::to_string(kind)));
    accepted(*solapi, m, "accept_then_fail");
    EXPECT_EQ(status(*solapi, query(m, "")).answer, StatusAnswer::pending);
    clock.advance_ms(cfg.report_delay_ms);
    auto failed = status(*solapi, query(m, ""));
    EXPECT_EQ(failed.answer, StatusAnswer::failed);
    EXPECT_EQ(failed.error_code, "3012");
  }
}

TEST_F(SolapiSearch, TheSameStepOnceSentTwiceCountsItsBestOutcome) {
  auto m = for_provider(*solapi, SendKind::sms, "twice");
  accepted(*solapi, m, "accept_then_fail");
  const std::string second = lost(m);  // resent after a lost answer: now two messages carry the key
  clock.advance_ms(cfg.report_delay_ms);
  auto s = status(*solapi, query(m, ""));
  EXPECT_EQ(s.answer, StatusAnswer::delivered);
  EXPECT_EQ(s.provider_message_id, second);
}

TEST_F(SolapiSearch, NotFoundWhenSolapiNeverGotIt) {
  for (SendKind kind : {SendKind::sms, SendKind::lms, SendKind::alimtalk}) {
    auto m = for_provider(*solapi, kind, "never-" + std::string(ch::to_string(kind)));
    EXPECT_EQ(status(*solapi, query(m, "")).answer, StatusAnswer::not_found);
  }
  // Sent an hour before the attempt: outside the window, not this attempt.
  auto m = for_provider(*solapi, SendKind::sms, "old");
  accepted(*solapi, m, "ok");
  clock.advance_ms(60 * 60 * 1000);
  EXPECT_EQ(status(*solapi, query(m, "")).answer, StatusAnswer::not_found);
}

TEST_F(SolapiSearch, MorePagesThanOneIsAnErrorNotNotFound) {
  auto m = for_provider(*solapi, SendKind::sms, "crowded");
  const std::string id = lost(m);
  others(m, 500, "crowd-a");  // the attempt is now on the second page of the recipient's messages
  auto r = ask(*solapi, query(m, ""));
  ASSERT_FALSE(r.ok()) << "answered " << ch::to_string(r->answer);
  EXPECT_EQ(r.error().code, "provider_bad_answer");
  EXPECT_NE(r.error().message.find("too many messages"), std::string::npos) << r.error().message;
  auto never = ask(*solapi, query(for_provider(*solapi, SendKind::sms, "never"), ""));
  ASSERT_FALSE(never.ok()) << "answered " << ch::to_string(never->answer);
  EXPECT_EQ(never.error().code, "provider_bad_answer");
  // On the first page it is found all the same.
  auto newest = for_provider(*solapi, SendKind::sms, "newest");
  const std::string newest_id = lost(newest);
  auto found = ask(*solapi, query(newest, ""));
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(found->answer, StatusAnswer::pending);
  EXPECT_EQ(found->provider_message_id, newest_id);
  // Another type is another search: the crowd of SMS does not hide an LMS.
  auto lms = for_provider(*solapi, SendKind::lms, "lms-in-crowd");
  lost(lms);
  EXPECT_EQ(status(*solapi, query(lms, "")).answer, StatusAnswer::pending);
  EXPECT_FALSE(id.empty());
}

TEST_F(SolapiSearch, NothingToAskWithoutRecipientOrKeys) {
  auto m = for_provider(*solapi, SendKind::sms, "nothing");
  auto q = query(m, "");
  q.to.clear();
  EXPECT_FALSE(solapi->build_status_query(q, context()).has_value());
  q = query(m, "");
  q.message_id.clear();
  q.dedup_key.clear();
  EXPECT_FALSE(solapi->build_status_query(q, context()).has_value());
}

}  // namespace
}  // namespace jarip::sim
