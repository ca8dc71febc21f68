// A circuit breaker per provider: stops sending to a provider that is failing, so that the engine
// fails over to the next provider in the chain at once instead of waiting out timeouts, and lets a
// few probe requests through later to find out whether the provider has recovered.
//
//   closed ──(failure ratio over the window or its newest bucket, N consecutive failures, trip())──▶ open
//   open ──(open period elapsed)──▶ half_open
//   half_open ──(probes_to_close probe successes)──▶ closed
//   half_open ──(any probe failure, timeout or missing report)──▶ open (period doubled, capped)
//   any ──force_open()──▶ forced_open ──clear_forced()──▶ closed
//
// Some providers answer "accepted" and report the failure only later in a delivery report. A probe
// in that situation is kept outstanding with record_pending_probe() until record_report() resolves
// it; no report within probe_report_timeout_ms counts as a probe failure.
//
// Time-driven transitions (open → half_open, probe deadlines) are applied lazily by every mutating
// call and by poll(); call poll() before reading state() when no traffic flows.
//
// Not thread-safe: the engine calls it from one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"

namespace jarip::notify {

enum class BreakerState { closed, open, half_open, forced_open };
std::string_view to_string(BreakerState state);

enum class Outcome { success, failure, timeout };

enum class PermitKind { normal, probe, rejected };

// What try_acquire() hands out. A probe carries an id so that a late outcome or delivery report
// can be matched to it; probe ids are never reused by one breaker.
struct Permit {
  PermitKind kind = PermitKind::rejected;
  std::uint64_t probe_id = 0;  // 0 unless kind == probe

  bool admitted() const { return kind != PermitKind::rejected; }
};

struct BreakerConfig {
  TimeMs window_ms = 10'000;  // sliding window of outcomes judged for the failure ratio
  int window_buckets = 20;    // the window slides in steps of window_ms / window_buckets; the newest
                              // step is also judged alone, so a sudden failure shows within one step
  int min_requests = 10;      // fewer outcomes than this in the window never trip the ratio rule
  double failure_ratio = 0.5; // (failures + timeouts) / outcomes at or above this opens
  int consecutive_failures = 5;
  TimeMs open_ms = 5'000;     // first open period; doubles on each re-open from half_open
  TimeMs max_open_ms = 60'000;
  int half_open_probes = 3;   // probes outstanding at once in half_open
  int probes_to_close = 2;    // probe successes needed to close
  TimeMs probe_report_timeout_ms = 30'000;  // an unresolved probe fails after this long
};

struct WindowStats {
  std::uint64_t successes = 0;
  std::uint64_t failures = 0;
  std::uint64_t timeouts = 0;

  std::uint64_t total() const { return successes + failures + timeouts; }
  // 1.0 when the window is empty: no evidence is not evidence of failure.
  double success_ratio() const;
};

class ProviderBreaker {
 public:
  // Called after each state change, with the new state already in place. It may read the breaker
  // but must not call its mutating methods.
  using TransitionCallback = std::function<void(BreakerState from, BreakerState to, std::string_view reason)>;

  // REQUIRES: clock outlives the breaker; config values positive, window_ms divisible into
  // window_buckets steps of at least 1 ms.
  ProviderBreaker(const Clock& clock, BreakerConfig config = {}, TransitionCallback on_transition = {});

  // normal while closed, probe while half_open with a free probe slot, rejected otherwise.
  Permit try_acquire();

  // The outcome of a request made under `permit`. Outcomes of normal permits feed the window (and,
  // while closed, may open the breaker); a normal outcome that arrives after the breaker has left
  // closed is counted in the stats but decides nothing. A probe outcome decides half_open.
  // Outcomes for probes that are no longer outstanding (already resolved, or abandoned by a
  // re-open) only count in the stats. REQUIRES: permit.admitted().
  void record(const Permit& permit, Outcome outcome);

  // The provider answered a normal request and took it; its verdict comes with the delivery report.
  // Not a success for the window (providers accepted and then failed in 2022), but the provider is
  // reachable: a run of consecutive transport failures is broken. No-op unless closed.
  void record_answered();

  // The provider accepted the probe's request; the verdict comes with its delivery report.
  // Restarts the probe's deadline at now + probe_report_timeout_ms.
  void record_pending_probe(const Permit& permit);

  // The delivery report for a request made under `permit`: delivered or not. For a normal permit
  // this is record(permit, success|failure).
  void record_report(const Permit& permit, bool delivered);

  // Gives back a permit under which nothing was sent: frees its probe slot without counting any
  // outcome (recording a success instead would close the breaker on no evidence). No-op for normal.
  void release(const Permit& permit);

  // Evidence that outcomes cannot show yet, such as many requests left unanswered for far longer
  // than the provider usually takes: opens from closed or half_open. No-op otherwise.
  void trip(std::string_view reason);

  // Operator drain: reject everything until clear_forced(), whatever the traffic says.
  void force_open(std::string_view reason);
  // Back to closed with a clean slate (consecutive count, open period, probes).
  // No-op unless forced_open.
  void clear_forced();

  // Applies transitions that are due by time alone.
  void poll();

  BreakerState state() const { return state_; }
  TimeMs since_ms() const { return since_ms_; }  // when the current state was entered
  TimeMs current_open_ms() const { return open_period_ms_; }
  int outstanding_probes() const { return static_cast<int>(probes_.size()); }
  WindowStats window_stats() const;  // over the last window_ms, as of the clock's now

 private:
  struct Bucket {
    std::int64_t index = -1;  // which window_ms / window_buckets step of time this bucket holds
    WindowStats stats;
  };
  struct OutstandingProbe {
    std::uint64_t id;
    TimeMs deadline_ms;
  };

  void count(Outcome outcome, TimeMs now);
  void judge_closed(TimeMs now);
  void on_probe_outcome(std::uint64_t probe_id, bool ok, std::string_view failure_reason);
  bool take_probe(std::uint64_t probe_id);
  void transition(BreakerState to, std::string_view reason);
  void transition(BreakerState to, std::string_view reason, TimeMs at);
  void open(std::string_view reason);
  void reset_window();

  const Clock& clock_;
  BreakerConfig config_;
  TransitionCallback on_transition_;
  TimeMs bucket_ms_;

  BreakerState state_ = BreakerState::closed;
  TimeMs since_ms_;
  TimeMs open_period_ms_;
  int consecutive_failures_ = 0;
  std::vector<Bucket> buckets_;
  std::vector<OutstandingProbe> probes_;
  int probe_successes_ = 0;
  std::uint64_t next_probe_id_ = 1;
};

}  // namespace jarip::notify
