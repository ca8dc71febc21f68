#include "notify/breaker.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace jarip::notify {
namespace {

struct Transition {
  BreakerState from;
  BreakerState to;
  std::string reason;
};

class BreakerTest : public ::testing::Test {
 protected:
  ProviderBreaker make(BreakerConfig config = {}) {
    return ProviderBreaker(clock_, config, [this](BreakerState from, BreakerState to, std::string_view reason) {
      transitions_.push_back({from, to, std::string(reason)});
    });
  }

  static void fail_n(ProviderBreaker& breaker, int n, Outcome outcome = Outcome::failure) {
    for (int i = 0; i < n; ++i) {
      Permit permit = breaker.try_acquire();
      ASSERT_EQ(permit.kind, PermitKind::normal);
      breaker.record(permit, outcome);
    }
  }

  static void succeed_n(ProviderBreaker& breaker, int n) {
    for (int i = 0; i < n; ++i) {
      Permit permit = breaker.try_acquire();
      ASSERT_EQ(permit.kind, PermitKind::normal);
      breaker.record(permit, Outcome::success);
    }
  }

  // Opens a default breaker by consecutive failures and lets the open period pass.
  void open_then_half_open(ProviderBreaker& breaker) {
    fail_n(breaker, 5);
    ASSERT_EQ(breaker.state(), BreakerState::open);
    clock_.advance_ms(breaker.current_open_ms());
    breaker.poll();
    ASSERT_EQ(breaker.state(), BreakerState::half_open);
  }

  FakeClock clock_;
  std::vector<Transition> transitions_;
};

TEST_F(BreakerTest, StartsClosedAndAdmitsNormally) {
  auto breaker = make();
  EXPECT_EQ(breaker.state(), BreakerState::closed);
  EXPECT_EQ(breaker.since_ms(), clock_.now_ms());
  EXPECT_EQ(breaker.try_acquire().kind, PermitKind::normal);
  EXPECT_TRUE(transitions_.empty());
}

TEST_F(BreakerTest, OpensAfterConsecutiveFailures) {
  auto breaker = make();
  fail_n(breaker, 4);
  EXPECT_EQ(breaker.state(), BreakerState::closed);
  fail_n(breaker, 1, Outcome::timeout);
  EXPECT_EQ(breaker.state(), BreakerState::open);
  EXPECT_EQ(breaker.try_acquire().kind, PermitKind::rejected);
  ASSERT_EQ(transitions_.size(), 1u);
  EXPECT_EQ(transitions_[0].from, BreakerState::closed);
  EXPECT_EQ(transitions_[0].to, BreakerState::open);
  EXPECT_EQ(transitions_[0].reason, "5 consecutive failures");
}

TEST_F(BreakerTest, SuccessResetsConsecutiveCount) {
  auto breaker = make();
  fail_n(breaker, 4);
  succeed_n(breaker, 1);
  fail_n(breaker, 4);
  EXPECT_EQ(breaker.state(), BreakerState::closed);
}

TEST_F(BreakerTest, OpensOnFailureRatioWithEnoughRequests) {
  // Alternating outcomes never make 5 in a row; the ratio rule has to catch them.
  auto breaker = make();
  for (int i = 0; i < 4; ++i) {
    succeed_n(breaker, 1);
    fail_n(breaker, 1);
  }
  EXPECT_EQ(breaker.state(), BreakerState::closed) << "8 requests are below min_requests";
  succeed_n(breaker, 1);
  fail_n(breaker, 1);  // 10 requests, 5 failed: ratio 0.5
  EXPECT_EQ(breaker.state(), BreakerState::open);
  ASSERT_EQ(transitions_.size(), 1u);
  EXPECT_NE(transitions_[0].reason.find("failure ratio 0.50 over 10 requests"), std::string::npos)
      << transitions_[0].reason;
}

TEST_F(BreakerTest, RatioBelowThresholdStaysClosed) {
  auto breaker = make();
  for (int i = 0; i < 20; ++i) {
    succeed_n(breaker, 2);
    fail_n(breaker, 1);  // one third failed
  }
  EXPECT_EQ(breaker.state(), BreakerState::closed);
}

TEST_F(BreakerTest, OldOutcomesSlideOutOfTheWindow) {
  auto breaker = make();
  fail_n(breaker, 4);
  succeed_n(breaker, 1);
  fail_n(breaker, 4);
  succeed_n(breaker, 1);  // 8 of 10 failed, but only a failure triggers a judgement
  clock_.advance_ms(10'000);
  EXPECT_EQ(breaker.window_stats().total(), 0u);
  fail_n(breaker, 1);
  EXPECT_EQ(breaker.state(), BreakerState::closed) << "1 request in the window is below min_requests";
}

TEST_F(BreakerTest, SuddenFailureOpensWithinOneBucketDespiteAHealthyWindow) {
  // A provider that has served 200 messages well and then fails half of them: over the whole
  // window the ratio stays far below 0.5 for seconds, but the newest bucket shows it at once.
  auto breaker = make();  // 20 buckets of 500 ms
  for (int i = 0; i < 20; ++i) {
    succeed_n(breaker, 10);
    clock_.advance_ms(400);
  }
  clock_.advance_ms(500 - clock_.now_ms() % 500);  // the start of a new bucket
  for (int i = 0; i < 5 && breaker.state() == BreakerState::closed; ++i) {
    succeed_n(breaker, 1);
    fail_n(breaker, 1);
  }
  EXPECT_EQ(breaker.state(), BreakerState::open);
  ASSERT_EQ(transitions_.size(), 1u);
  EXPECT_NE(transitions_[0].reason.find("in 500 ms"), std::string::npos) << transitions_[0].reason;
}

TEST_F(BreakerTest, NewestBucketNeedsMinRequestsToo) {
  auto breaker = make();
  succeed_n(breaker, 50);
  clock_.advance_ms(500);
  succeed_n(breaker, 1);
  fail_n(breaker, 2);  // 2 of 3 in the newest bucket: too few to judge
  EXPECT_EQ(breaker.state(), BreakerState::closed);
}

TEST_F(BreakerTest, AnAcceptedAnswerBreaksARunOfTransportFailuresButIsNoSuccess) {
  auto breaker = make();
  fail_n(breaker, 4, Outcome::timeout);
  breaker.record_answered();
  fail_n(breaker, 4, Outcome::timeout);
  EXPECT_EQ(breaker.state(), BreakerState::closed);
  EXPECT_EQ(breaker.window_stats().successes, 0u);
  fail_n(breaker, 1, Outcome::timeout);
  EXPECT_EQ(breaker.state(), BreakerState::open) << "five in a row since the answer";
}

TEST_F(BreakerTest, TripOpensFromClosedAndHalfOpenOnly) {
  auto breaker = make();
  breaker.trip("5 requests unanswered for over 250 ms");
  EXPECT_EQ(breaker.state(), BreakerState::open);
  ASSERT_EQ(transitions_.size(), 1u);
  EXPECT_EQ(transitions_[0].reason, "5 requests unanswered for over 250 ms");
  breaker.trip("again");  // already open: nothing
  EXPECT_EQ(transitions_.size(), 1u);
  clock_.advance_ms(breaker.current_open_ms());
  breaker.poll();
  ASSERT_EQ(breaker.state(), BreakerState::half_open);
  TimeMs period = breaker.current_open_ms();
  breaker.trip("probes stalled");
  EXPECT_EQ(breaker.state(), BreakerState::open);
  EXPECT_EQ(breaker.current_open_ms(), 2 * period);
  breaker.force_open("maintenance");
  breaker.trip("stalled");
  EXPECT_EQ(breaker.state(), BreakerState::forced_open);
}

TEST_F(BreakerTest, WindowStatsCountEachOutcome) {
  auto breaker = make();
  succeed_n(breaker, 3);
  fail_n(breaker, 1);
  fail_n(breaker, 1, Outcome::timeout);
  WindowStats stats = breaker.window_stats();
  EXPECT_EQ(stats.successes, 3u);
  EXPECT_EQ(stats.failures, 1u);
  EXPECT_EQ(stats.timeouts, 1u);
  EXPECT_DOUBLE_EQ(stats.success_ratio(), 0.6);
  EXPECT_DOUBLE_EQ(WindowStats{}.success_ratio(), 1.0);
}

TEST_F(BreakerTest, WindowSlidesBucketByBucket) {
  auto breaker = make();  // 20 buckets of 500 ms
  succeed_n(breaker, 1);
  clock_.advance_ms(5'000);
  succeed_n(breaker, 2);
  clock_.advance_ms(5'000);  // the first success is now 10 s old: out
  EXPECT_EQ(breaker.window_stats().successes, 2u);
  clock_.advance_ms(5'000);
  EXPECT_EQ(breaker.window_stats().successes, 0u);
}

TEST_F(BreakerTest, OpenTurnsHalfOpenAfterOpenPeriod) {
  auto breaker = make();
  fail_n(breaker, 5);
  TimeMs opened = clock_.now_ms();
  EXPECT_EQ(breaker.since_ms(), opened);
  clock_.advance_ms(4'999);
  EXPECT_EQ(breaker.try_acquire().kind, PermitKind::rejected);
  clock_.advance_ms(1'000);
  Permit permit = breaker.try_acquire();
  EXPECT_EQ(permit.kind, PermitKind::probe);
  EXPECT_EQ(breaker.state(), BreakerState::half_open);
  EXPECT_EQ(breaker.since_ms(), opened + 5'000) << "entered when due, not when observed";
  ASSERT_EQ(transitions_.size(), 2u);
  EXPECT_EQ(transitions_[1].from, BreakerState::open);
  EXPECT_EQ(transitions_[1].to, BreakerState::half_open);
}

TEST_F(BreakerTest, HalfOpenAdmitsLimitedConcurrentProbes) {
  auto breaker = make();
  open_then_half_open(breaker);
  Permit a = breaker.try_acquire();
  Permit b = breaker.try_acquire();
  Permit c = breaker.try_acquire();
  EXPECT_EQ(a.kind, PermitKind::probe);
  EXPECT_EQ(b.kind, PermitKind::probe);
  EXPECT_EQ(c.kind, PermitKind::probe);
  EXPECT_NE(a.probe_id, b.probe_id);
  EXPECT_EQ(breaker.try_acquire().kind, PermitKind::rejected);
  breaker.record(a, Outcome::success);  // frees a slot
  EXPECT_EQ(breaker.state(), BreakerState::half_open);
  EXPECT_EQ(breaker.try_acquire().kind, PermitKind::probe);
}

TEST_F(BreakerTest, ProbeSuccessesClose) {
  auto breaker = make();
  open_then_half_open(breaker);
  Permit a = breaker.try_acquire();
  Permit b = breaker.try_acquire();
  breaker.record(a, Outcome::success);
  EXPECT_EQ(breaker.state(), BreakerState::half_open);
  breaker.record(b, Outcome::success);
  EXPECT_EQ(breaker.state(), BreakerState::closed);
  EXPECT_EQ(transitions_.back().reason, "2 probes succeeded");
  EXPECT_EQ(breaker.window_stats().total(), 0u) << "a close starts from a clean window";
  EXPECT_EQ(breaker.try_acquire().kind, PermitKind::normal);
}

TEST_F(BreakerTest, ProbeFailureReopensWithDoubledPeriodUpToCap) {
  auto breaker = make();
  open_then_half_open(breaker);
  std::vector<TimeMs> periods;
  for (int i = 0; i < 6; ++i) {
    breaker.record(breaker.try_acquire(), Outcome::failure);
    ASSERT_EQ(breaker.state(), BreakerState::open);
    periods.push_back(breaker.current_open_ms());
    clock_.advance_ms(breaker.current_open_ms() - 1);
    breaker.poll();
    ASSERT_EQ(breaker.state(), BreakerState::open);
    clock_.advance_ms(1);
    breaker.poll();
    ASSERT_EQ(breaker.state(), BreakerState::half_open);
  }
  EXPECT_EQ(periods, (std::vector<TimeMs>{10'000, 20'000, 40'000, 60'000, 60'000, 60'000}));
  EXPECT_EQ(transitions_[2].reason, "probe failed");
}

TEST_F(BreakerTest, FullCloseResetsOpenPeriod) {
  auto breaker = make();
  open_then_half_open(breaker);
  breaker.record(breaker.try_acquire(), Outcome::timeout);
  EXPECT_EQ(breaker.current_open_ms(), 10'000);
  EXPECT_EQ(transitions_.back().reason, "probe timed out");
  clock_.advance_ms(10'000);
  breaker.record(breaker.try_acquire(), Outcome::success);
  breaker.record(breaker.try_acquire(), Outcome::success);
  ASSERT_EQ(breaker.state(), BreakerState::closed);
  EXPECT_EQ(breaker.current_open_ms(), 5'000);
  fail_n(breaker, 5);
  EXPECT_EQ(breaker.state(), BreakerState::open);
  EXPECT_EQ(breaker.current_open_ms(), 5'000);
}

TEST_F(BreakerTest, AnyProbeFailureReopensEvenAfterASuccess) {
  auto breaker = make();
  open_then_half_open(breaker);
  Permit a = breaker.try_acquire();
  Permit b = breaker.try_acquire();
  breaker.record(a, Outcome::success);
  breaker.record(b, Outcome::failure);
  EXPECT_EQ(breaker.state(), BreakerState::open);
}

TEST_F(BreakerTest, OutcomeOfAbandonedProbeDecidesNothing) {
  auto breaker = make();
  open_then_half_open(breaker);
  Permit a = breaker.try_acquire();
  Permit b = breaker.try_acquire();
  breaker.record(a, Outcome::failure);  // re-opens, abandoning b
  clock_.advance_ms(breaker.current_open_ms());
  breaker.poll();
  ASSERT_EQ(breaker.state(), BreakerState::half_open);
  breaker.record(b, Outcome::success);
  breaker.record(b, Outcome::success);
  EXPECT_EQ(breaker.state(), BreakerState::half_open);
  EXPECT_EQ(breaker.outstanding_probes(), 0);
}

TEST_F(BreakerTest, LateNormalFailuresDoNotReopenHalfOpen) {
  auto breaker = make();
  std::vector<Permit> in_flight;
  for (int i = 0; i < 8; ++i) in_flight.push_back(breaker.try_acquire());
  for (int i = 0; i < 5; ++i) breaker.record(in_flight[i], Outcome::failure);
  ASSERT_EQ(breaker.state(), BreakerState::open);
  clock_.advance_ms(5'000);
  breaker.poll();
  for (int i = 5; i < 8; ++i) breaker.record(in_flight[i], Outcome::timeout);
  EXPECT_EQ(breaker.state(), BreakerState::half_open);
  EXPECT_EQ(breaker.window_stats().timeouts, 3u) << "still counted";
}

TEST_F(BreakerTest, ReleasedProbeFreesItsSlotWithoutEvidence) {
  auto breaker = make();
  open_then_half_open(breaker);
  std::vector<Permit> probes;
  for (int i = 0; i < 3; ++i) probes.push_back(breaker.try_acquire());
  EXPECT_EQ(breaker.try_acquire().kind, PermitKind::rejected);
  breaker.release(probes[0]);
  breaker.release(probes[1]);
  EXPECT_EQ(breaker.state(), BreakerState::half_open) << "unused probes prove nothing";
  EXPECT_EQ(breaker.outstanding_probes(), 1);
  EXPECT_EQ(breaker.try_acquire().kind, PermitKind::probe);
  breaker.release(Permit{PermitKind::normal, 0});
  EXPECT_EQ(breaker.window_stats().total(), 5u) << "only the failures that opened it";
}

TEST_F(BreakerTest, PendingProbeWaitsForDeliveryReport) {
  auto breaker = make();
  open_then_half_open(breaker);
  Permit a = breaker.try_acquire();
  Permit b = breaker.try_acquire();
  breaker.record_pending_probe(a);
  breaker.record_pending_probe(b);
  EXPECT_EQ(breaker.outstanding_probes(), 2);
  clock_.advance_ms(20'000);
  breaker.record_report(a, true);
  EXPECT_EQ(breaker.state(), BreakerState::half_open);
  breaker.record_report(b, true);
  EXPECT_EQ(breaker.state(), BreakerState::closed);
}

TEST_F(BreakerTest, FailedDeliveryReportReopens) {
  auto breaker = make();
  open_then_half_open(breaker);
  Permit a = breaker.try_acquire();
  breaker.record_pending_probe(a);
  clock_.advance_ms(1'000);
  breaker.record_report(a, false);
  EXPECT_EQ(breaker.state(), BreakerState::open);
  EXPECT_EQ(breaker.window_stats().failures, 6u);
}

TEST_F(BreakerTest, MissingDeliveryReportCountsAsFailure) {
  BreakerConfig config;
  config.probe_report_timeout_ms = 10'000;
  auto breaker = make(config);
  open_then_half_open(breaker);
  Permit a = breaker.try_acquire();
  clock_.advance_ms(3'000);
  breaker.record_pending_probe(a);  // the deadline restarts here
  clock_.advance_ms(9'999);
  breaker.poll();
  EXPECT_EQ(breaker.state(), BreakerState::half_open);
  clock_.advance_ms(1);
  breaker.poll();
  EXPECT_EQ(breaker.state(), BreakerState::open);
  EXPECT_EQ(transitions_.back().reason, "probe report timed out");
  breaker.record_report(a, true);  // too late to count
  EXPECT_EQ(breaker.state(), BreakerState::open);
}

TEST_F(BreakerTest, ForgottenProbeDoesNotWedgeHalfOpen) {
  auto breaker = make();
  open_then_half_open(breaker);
  for (int i = 0; i < 3; ++i) (void)breaker.try_acquire();  // never recorded
  EXPECT_EQ(breaker.try_acquire().kind, PermitKind::rejected);
  clock_.advance_ms(30'000);
  breaker.poll();
  EXPECT_EQ(breaker.state(), BreakerState::open);
}

TEST_F(BreakerTest, NormalReportFeedsWindow) {
  auto breaker = make();
  for (int i = 0; i < 5; ++i) breaker.record_report(breaker.try_acquire(), false);
  EXPECT_EQ(breaker.state(), BreakerState::open);
}

TEST_F(BreakerTest, ForceOpenRejectsUntilCleared) {
  auto breaker = make();
  breaker.force_open("maintenance window");
  EXPECT_EQ(breaker.state(), BreakerState::forced_open);
  EXPECT_EQ(transitions_.back().reason, "forced: maintenance window");
  clock_.advance_ms(120'000);
  EXPECT_EQ(breaker.try_acquire().kind, PermitKind::rejected) << "no timer leaves forced_open";
  breaker.clear_forced();
  EXPECT_EQ(breaker.state(), BreakerState::closed);
  EXPECT_EQ(breaker.since_ms(), clock_.now_ms());
  EXPECT_EQ(transitions_.back().from, BreakerState::forced_open);
  EXPECT_EQ(transitions_.back().to, BreakerState::closed);
  EXPECT_EQ(breaker.try_acquire().kind, PermitKind::normal);
}

TEST_F(BreakerTest, ForceOpenOverridesHalfOpenAndAbandonsProbes) {
  auto breaker = make();
  open_then_half_open(breaker);
  Permit probe = breaker.try_acquire();
  breaker.force_open("drain");
  EXPECT_EQ(breaker.outstanding_probes(), 0);
  breaker.record(probe, Outcome::success);
  breaker.record(probe, Outcome::success);
  EXPECT_EQ(breaker.state(), BreakerState::forced_open);
  breaker.clear_forced();
  EXPECT_EQ(breaker.current_open_ms(), 5'000);
}

TEST_F(BreakerTest, ForceOpenTwiceAndClearWhenNotForcedAreNoOps) {
  auto breaker = make();
  breaker.clear_forced();
  EXPECT_TRUE(transitions_.empty());
  breaker.force_open("a");
  breaker.force_open("b");
  EXPECT_EQ(transitions_.size(), 1u);
}

TEST_F(BreakerTest, StateNamesAreStable) {
  EXPECT_EQ(to_string(BreakerState::closed), "closed");
  EXPECT_EQ(to_string(BreakerState::open), "open");
  EXPECT_EQ(to_string(BreakerState::half_open), "half_open");
  EXPECT_EQ(to_string(BreakerState::forced_open), "forced_open");
}

}  // namespace
}  // namespace jarip::notify
