#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include "notify/report_ops.hpp"

namespace jarip::notify {
namespace {

class ReportOps : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = std::filesystem::temp_directory_path() / ("jarip-reportops-" + std::to_string(::getpid()));
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
    message_.chain_json = R"(["alimtalk@solapi","sms@nhn"])";
    message_.metadata_json = "{}";
    message_.state = store::kStateSending;
    attempt_.message_id = "msg_1";
    attempt_.channel = "alimtalk";
    attempt_.provider = "solapi";
    attempt_.send_kind = "alimtalk";
    attempt_.dedup_key = "msg_1.0";
    attempt_.started_ms = 100;
    ASSERT_TRUE(run([&](store::StoreSession& s) -> Status {
      if (auto st = s.insert_message(message_); !st) return st;
      return s.insert_attempt(attempt_);
    }));
  }

  Status run(const store::Store::WriteOp& op) { return store_->run_now(op); }

  store::MessageRecord stored_message() {
    store::MessageRecord m;
    EXPECT_TRUE(run([&](store::StoreSession& s) -> Status {
      m = **s.get_message("msg_1");
      return {};
    }));
    return m;
  }
  std::vector<store::AttemptRecord> stored_attempts() {
    std::vector<store::AttemptRecord> a;
    EXPECT_TRUE(run([&](store::StoreSession& s) -> Status {
      a = *s.list_attempts("msg_1");
      return {};
    }));
    return a;
  }

  channels::ReportBatch report(channels::ReportOutcome outcome) {
    channels::ReportBatch b;
    channels::DeliveryReport r;
    r.provider_message_id = "P1";
    r.dedup_key = "msg_1.0";
    r.outcome = outcome;
    b.reports.push_back(r);
    return b;
  }

  std::string path_;
  std::unique_ptr<store::Store> store_;
  store::MessageRecord message_;
  store::AttemptRecord attempt_;
};

TEST_F(ReportOps, ReportThatOvertakesTheSendAnswerWinsAndTheAnswerDoesNotUndoIt) {
  ReportEffects effects;
  ASSERT_TRUE(run([&](store::StoreSession& s) {
    return apply_report_batch(s, "solapi", report(channels::ReportOutcome::delivered), 200, effects, false);
  }));
  EXPECT_EQ(stored_message().state, store::kStateDelivered);
  // The send's own answer ("accepted") arrives afterwards and must change nothing.
  store::MessageRecord late = message_;
  late.state = store::kStateSent;
  store::AttemptRecord answered = attempt_;
  answered.outcome = "accepted";
  answered.provider_message_id = "P1";
  bool written = true;
  ASSERT_TRUE(run([&](store::StoreSession& s) -> Status {
    if (auto st = s.finish_attempt(answered); !st) return st;
    auto w = s.update_message_if(late, store::kStateSending, 0);
    written = *w;
    return {};
  }));
  EXPECT_FALSE(written);
  EXPECT_EQ(stored_message().state, store::kStateDelivered);
  EXPECT_EQ(stored_attempts().front().outcome, "delivered");
}

TEST_F(ReportOps, FailureReportMovesTheMessageToItsNextStep) {
  ASSERT_TRUE(run([&](store::StoreSession& s) {
    message_.state = store::kStateSent;
    return s.update_message(message_);
  }));
  ReportEffects effects;
  ASSERT_TRUE(run([&](store::StoreSession& s) {
    return apply_report_batch(s, "solapi", report(channels::ReportOutcome::failed_next_channel), 200, effects, false);
  }));
  auto m = stored_message();
  EXPECT_EQ(m.state, store::kStateAccepted);
  EXPECT_EQ(m.step, 1);
  EXPECT_EQ(effects.moved_on, 1);
}

TEST_F(ReportOps, LateReportKeepsTheAmbiguousMark) {
  store::MessageRecord m = message_;
  m.state = store::kStateSent;
  ASSERT_TRUE(run([&](store::StoreSession& s) -> Status {
    if (auto st = s.update_message(m); !st) return st;
    auto provider = expire_report_deadline(s, m, 5000);
    EXPECT_TRUE(provider.ok());
    return {};
  }));
  // expire_report_deadline only marks an attempt that was accepted; make it so first.
  auto first = stored_attempts().front();
  ASSERT_TRUE(run([&](store::StoreSession& s) -> Status {
    auto a = first;
    a.outcome = "ambiguous";
    a.error_code = "report_timeout";
    return s.update_attempt(a);
  }));
  ReportEffects effects;
  ASSERT_TRUE(run([&](store::StoreSession& s) {
    return apply_report_batch(s, "solapi", report(channels::ReportOutcome::delivered), 6000, effects, false);
  }));
  auto a = stored_attempts().front();
  EXPECT_EQ(a.outcome, "ambiguous");
  EXPECT_EQ(a.error_code, "report_timeout");
  EXPECT_NE(a.error_text.find("provider reported later: delivered"), std::string::npos) << a.error_text;
  EXPECT_EQ(effects.late, 1);
}

Status recover(store::StoreSession& s, store::MessageRecord& m, TimeMs now, const DedupRules& rules,
               const CanQueryStatus& can_query = {}, std::optional<store::AttemptRecord>* settle = nullptr) {
  auto r = recover_interrupted_send(s, m, now, rules, can_query);
  if (!r) return r.error();
  if (settle) *settle = *r;
  return {};
}

TEST_F(ReportOps, InterruptedSendIsAmbiguousAndRepeatsOnlyWithinTheDedupWindow) {
  store::MessageRecord m = message_;
  ASSERT_TRUE(run([&](store::StoreSession& s) {
    return recover(s, m, 1000, DedupRules{{"solapi/alimtalk", 600'000}});
  }));
  EXPECT_EQ(m.step, 0);  // the provider deduplicates on our key: the same step is safe
  EXPECT_EQ(stored_attempts().front().outcome, "ambiguous");
  EXPECT_EQ(stored_attempts().front().error_code, "interrupted");

  store::MessageRecord other = message_;
  ASSERT_TRUE(run([&](store::StoreSession& s) -> Status {
    auto again = attempt_;
    again.id = 0;
    return s.insert_attempt(again);
  }));
  ASSERT_TRUE(run([&](store::StoreSession& s) { return recover(s, other, 1000, DedupRules{}); }));
  EXPECT_EQ(other.step, 1);  // no dedup: repeating could send twice, so move on
}

TEST_F(ReportOps, InterruptedSendWithoutDedupIsHandedBackForAStatusQueryWhereOneExists) {
  store::MessageRecord m = message_;
  std::optional<store::AttemptRecord> settle;
  ASSERT_TRUE(run([&](store::StoreSession& s) {
    return recover(s, m, 1000, DedupRules{}, [](const store::AttemptRecord&, const store::MessageRecord&) { return true; }, &settle);
  }));
  ASSERT_TRUE(settle.has_value());
  EXPECT_EQ(settle->outcome, "ambiguous");
  EXPECT_EQ(settle->error_code, "interrupted");
  EXPECT_EQ(stored_message().state, store::kStateSending);  // undecided until the provider answers
  EXPECT_EQ(stored_message().step, 0);
}

TEST_F(ReportOps, CancelIsRefusedOnceAProviderWasAsked) {
  std::string state;
  auto refused = Status();
  ASSERT_TRUE(run([&](store::StoreSession& s) -> Status {
    message_.state = store::kStateAccepted;
    return s.update_message(message_);
  }));
  ASSERT_TRUE(run([&](store::StoreSession& s) -> Status {
    refused = cancel_stored_message(s, "msg_1", 1000, state);
    return {};
  }));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "conflict");
}

}  // namespace
}  // namespace jarip::notify
