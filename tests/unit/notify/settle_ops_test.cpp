#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include "notify/settle_ops.hpp"

namespace jarip::notify {
namespace {

using channels::StatusAnswer;
using channels::StatusResult;

// An attempt whose outcome jarip could not see, and the provider's answer to the status query.
class SettleOps : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = std::filesystem::temp_directory_path() / ("jarip-settleops-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    path_ = (dir / (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".db")).string();
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
    auto s = store::open_sqlite_store({path_});
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    message_.id = "msg_1";
    message_.api_key_id = "k";
    message_.recipient_json = "{}";
    message_.phone = "01012345678";
    message_.rendered_json = "{}";
    message_.chain_json = R"(["sms@nhn","sms@solapi"])";
    message_.metadata_json = "{}";
    message_.state = store::kStateSending;
    message_.step_attempts = 1;
    attempt_.message_id = "msg_1";
    attempt_.channel = "sms";
    attempt_.provider = "nhn";
    attempt_.send_kind = "sms";
    attempt_.dedup_key = "msg_1.0";
    attempt_.started_ms = 100;
    attempt_.ended_ms = 3100;
    attempt_.outcome = "ambiguous";
    attempt_.error_code = "transport";
    ASSERT_TRUE(run([&](store::StoreSession& s) -> Status {
      if (auto st = s.insert_message(message_); !st) return st;
      return s.insert_attempt(attempt_);
    }));
  }

  Status run(const store::Store::WriteOp& op) { return store_->run_now(op); }

  SettleResult settle(SettleCause cause, const Result<StatusResult>& answer) {
    SettleResult out;
    EXPECT_TRUE(run([&](store::StoreSession& s) -> Status {
      auto r = apply_status_answer(s, attempt_, cause, answer, 5000, 30'000, true);
      if (!r) return r.error();
      out = *r;
      return {};
    }));
    return out;
  }

  static StatusResult answer(StatusAnswer a, std::string code = {}) {
    StatusResult r;
    r.answer = a;
    r.provider_message_id = "REQ-1:1";
    r.error_code = std::move(code);
    return r;
  }

  store::MessageRecord stored_message() {
    store::MessageRecord m;
    EXPECT_TRUE(run([&](store::StoreSession& s) -> Status {
      m = **s.get_message("msg_1");
      return {};
    }));
    return m;
  }
  store::AttemptRecord stored_attempt() {
    store::AttemptRecord a;
    EXPECT_TRUE(run([&](store::StoreSession& s) -> Status {
      a = s.list_attempts("msg_1")->front();
      return {};
    }));
    return a;
  }
  void set_state(const char* state) {
    message_.state = state;
    ASSERT_TRUE(run([&](store::StoreSession& s) { return s.update_message(message_); }));
  }

  std::string path_;
  std::unique_ptr<store::Store> store_;
  store::MessageRecord message_;
  store::AttemptRecord attempt_;
};

TEST_F(SettleOps, QueryIsBuiltFromTheStoredAttempt) {
  attempt_.provider_message_id = "REQ-9:2";
  attempt_.send_kind = "lms";
  auto q = status_query_for(attempt_, "01012345678");
  EXPECT_EQ(q.kind, channels::SendKind::lms);
  EXPECT_EQ(q.message_id, "msg_1");
  EXPECT_EQ(q.dedup_key, "msg_1.0");
  EXPECT_EQ(q.provider_message_id, "REQ-9:2");
  EXPECT_EQ(q.to, "01012345678");
  EXPECT_EQ(q.attempted_at_ms, 100);
}

TEST_F(SettleOps, LostAnswerForAMessageTheProviderHasBecomesAcceptedAndWaitsForItsReport) {
  auto r = settle(SettleCause::answer_lost, answer(StatusAnswer::pending));
  EXPECT_EQ(r.decision, SettleDecision::awaiting_report);
  auto m = stored_message();
  EXPECT_EQ(m.state, store::kStateSent);
  EXPECT_EQ(m.step, 0);  // no second copy on the next channel
  EXPECT_EQ(m.step_deadline_ms, 35'000);
  auto a = stored_attempt();
  EXPECT_EQ(a.outcome, "accepted");
  EXPECT_EQ(a.provider_message_id, "REQ-1:1");  // later reports can find it
  EXPECT_NE(a.error_text.find("status query"), std::string::npos) << a.error_text;
}

TEST_F(SettleOps, LostAnswerForAMessageTheProviderNeverGotIsSentAgainOnTheSameStep) {
  auto r = settle(SettleCause::answer_lost, answer(StatusAnswer::not_found));
  EXPECT_EQ(r.decision, SettleDecision::resend);
  EXPECT_EQ(r.message.step, 0);
  EXPECT_EQ(stored_message().state, store::kStateAccepted);
  EXPECT_EQ(stored_attempt().outcome, "not_received");
}

TEST_F(SettleOps, DeliveredAnswerDeliversTheMessageWithAWebhookEvent) {
  auto r = settle(SettleCause::interrupted, answer(StatusAnswer::delivered));
  EXPECT_EQ(r.decision, SettleDecision::finished);
  ASSERT_EQ(r.effects.outcomes.size(), 1u);
  EXPECT_TRUE(r.effects.outcomes[0].delivered);
  auto m = stored_message();
  EXPECT_EQ(m.state, store::kStateDelivered);
  EXPECT_EQ(m.delivered_via, "sms@nhn");
  std::size_t events = 0;
  ASSERT_TRUE(run([&](store::StoreSession& s) -> Status {
    auto due = s.due_webhook_events(1'000'000, 10);
    if (!due) return due.error();
    events = due->size();
    return {};
  }));
  EXPECT_EQ(events, 1u);
}

TEST_F(SettleOps, FailedAnswerMovesTheMessageOnLikeAFailureReport) {
  auto r = settle(SettleCause::answer_lost, answer(StatusAnswer::failed, "3104"));
  EXPECT_EQ(r.decision, SettleDecision::finished);
  EXPECT_EQ(r.effects.moved_on, 1);
  auto m = stored_message();
  EXPECT_EQ(m.state, store::kStateAccepted);
  EXPECT_EQ(m.step, 1);
}

TEST_F(SettleOps, NoUsableAnswerKeepsTheAttemptAmbiguousAndMovesOn) {
  auto r = settle(SettleCause::answer_lost, make_error("provider_unavailable", "timed out"));
  EXPECT_EQ(r.decision, SettleDecision::moved_on);
  EXPECT_EQ(r.message.step, 1);
  auto a = stored_attempt();
  EXPECT_EQ(a.outcome, "ambiguous");
  EXPECT_NE(a.error_text.find("status query failed: timed out"), std::string::npos) << a.error_text;
  EXPECT_EQ(stored_message().step, 1);
}

TEST_F(SettleOps, OverdueReportStillPendingMovesOnAsAmbiguous) {
  attempt_.outcome = "accepted";
  ASSERT_TRUE(run([&](store::StoreSession& s) { return s.update_attempt(attempt_); }));
  set_state(store::kStateSent);
  auto r = settle(SettleCause::report_overdue, answer(StatusAnswer::pending));
  EXPECT_EQ(r.decision, SettleDecision::moved_on);
  auto a = stored_attempt();
  EXPECT_EQ(a.outcome, "ambiguous");
  EXPECT_EQ(a.error_code, "report_timeout");
  EXPECT_EQ(stored_message().step, 1);
}

TEST_F(SettleOps, OverdueReportThatWasDeliveredIsNotSentAgain) {
  attempt_.outcome = "accepted";
  ASSERT_TRUE(run([&](store::StoreSession& s) { return s.update_attempt(attempt_); }));
  set_state(store::kStateSent);
  auto r = settle(SettleCause::report_overdue, answer(StatusAnswer::delivered));
  EXPECT_EQ(r.decision, SettleDecision::finished);
  EXPECT_EQ(stored_message().state, store::kStateDelivered);
}

TEST_F(SettleOps, AReportThatCameFirstWins) {
  set_state(store::kStateDelivered);
  auto r = settle(SettleCause::answer_lost, answer(StatusAnswer::not_found));
  EXPECT_EQ(r.decision, SettleDecision::superseded);
  EXPECT_EQ(stored_message().state, store::kStateDelivered);
  EXPECT_EQ(stored_attempt().outcome, "ambiguous");
}

TEST_F(SettleOps, AMessageOnAnotherStepIsLeftAlone) {
  message_.step = 1;
  set_state(store::kStateSending);
  auto r = settle(SettleCause::answer_lost, answer(StatusAnswer::not_found));
  EXPECT_EQ(r.decision, SettleDecision::superseded);
  EXPECT_EQ(stored_message().step, 1);
}

}  // namespace
}  // namespace jarip::notify
