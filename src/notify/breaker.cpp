#include "notify/breaker.hpp"

#include <algorithm>
#include <cstdio>

namespace jarip::notify {

std::string_view to_string(BreakerState state) {
  switch (state) {
    case BreakerState::closed: return "closed";
    case BreakerState::open: return "open";
    case BreakerState::half_open: return "half_open";
    case BreakerState::forced_open: return "forced_open";
  }
  return "unknown";
}

double WindowStats::success_ratio() const {
  std::uint64_t n = total();
  return n == 0 ? 1.0 : static_cast<double>(successes) / static_cast<double>(n);
}

ProviderBreaker::ProviderBreaker(const Clock& clock, BreakerConfig config, TransitionCallback on_transition)
    : clock_(clock),
      config_(config),
      on_transition_(std::move(on_transition)),
      bucket_ms_(std::max<TimeMs>(1, config.window_ms / std::max(1, config.window_buckets))),
      since_ms_(clock.now_ms()),
      open_period_ms_(config.open_ms),
      buckets_(static_cast<std::size_t>(std::max(1, config.window_buckets))) {}

Permit ProviderBreaker::try_acquire() {
  poll();
  switch (state_) {
    case BreakerState::closed:
      return Permit{PermitKind::normal, 0};
    case BreakerState::half_open:
      if (static_cast<int>(probes_.size()) >= config_.half_open_probes) return Permit{};
      probes_.push_back({next_probe_id_, clock_.now_ms() + config_.probe_report_timeout_ms});
      return Permit{PermitKind::probe, next_probe_id_++};
    case BreakerState::open:
    case BreakerState::forced_open:
      return Permit{};
  }
  return Permit{};
}

void ProviderBreaker::record(const Permit& permit, Outcome outcome) {
  poll();
  TimeMs now = clock_.now_ms();
  count(outcome, now);
  if (permit.kind == PermitKind::probe) {
    on_probe_outcome(permit.probe_id, outcome == Outcome::success,
                     outcome == Outcome::timeout ? "probe timed out" : "probe failed");
    return;
  }
  if (permit.kind != PermitKind::normal) return;
  if (outcome == Outcome::success) {
    consecutive_failures_ = 0;
    return;
  }
  // Failures of requests admitted before the breaker opened say nothing new about the provider.
  if (state_ != BreakerState::closed) return;
  ++consecutive_failures_;
  judge_closed(now);
}

void ProviderBreaker::record_answered() {
  poll();
  if (state_ == BreakerState::closed) consecutive_failures_ = 0;
}

void ProviderBreaker::record_pending_probe(const Permit& permit) {
  poll();
  if (permit.kind != PermitKind::probe) return;
  for (auto& probe : probes_) {
    if (probe.id == permit.probe_id) probe.deadline_ms = clock_.now_ms() + config_.probe_report_timeout_ms;
  }
}

void ProviderBreaker::record_report(const Permit& permit, bool delivered) {
  record(permit, delivered ? Outcome::success : Outcome::failure);
}

void ProviderBreaker::release(const Permit& permit) {
  if (permit.kind == PermitKind::probe) take_probe(permit.probe_id);
}

void ProviderBreaker::force_open(std::string_view reason) {
  poll();
  if (state_ == BreakerState::forced_open) return;
  probes_.clear();
  transition(BreakerState::forced_open, std::string("forced: ") + std::string(reason));
}

void ProviderBreaker::clear_forced() {
  if (state_ != BreakerState::forced_open) return;
  consecutive_failures_ = 0;
  open_period_ms_ = config_.open_ms;
  transition(BreakerState::closed, "forced open cleared");
}

void ProviderBreaker::poll() {
  TimeMs now = clock_.now_ms();
  if (state_ == BreakerState::open && now >= since_ms_ + open_period_ms_) {
    probes_.clear();
    probe_successes_ = 0;
    // Entered when it fell due, not when someone looked: since_ms() stays independent of traffic.
    transition(BreakerState::half_open, "open period elapsed", since_ms_ + open_period_ms_);
  }
  if (state_ != BreakerState::half_open) return;
  for (const auto& probe : probes_) {
    if (now >= probe.deadline_ms) {
      // A probe that never reports is the failure mode of providers that accept and then drop.
      count(Outcome::timeout, now);
      on_probe_outcome(probe.id, false, "probe report timed out");
      return;  // the re-open cleared probes_
    }
  }
}

WindowStats ProviderBreaker::window_stats() const {
  std::int64_t current = clock_.now_ms() / bucket_ms_;
  std::int64_t oldest = current - static_cast<std::int64_t>(buckets_.size()) + 1;
  WindowStats sum;
  for (const auto& bucket : buckets_) {
    if (bucket.index < oldest || bucket.index > current) continue;
    sum.successes += bucket.stats.successes;
    sum.failures += bucket.stats.failures;
    sum.timeouts += bucket.stats.timeouts;
  }
  return sum;
}

void ProviderBreaker::count(Outcome outcome, TimeMs now) {
  std::int64_t index = now / bucket_ms_;
  Bucket& bucket = buckets_[static_cast<std::size_t>(index % static_cast<std::int64_t>(buckets_.size()))];
  if (bucket.index != index) bucket = Bucket{index, {}};
  switch (outcome) {
    case Outcome::success: ++bucket.stats.successes; break;
    case Outcome::failure: ++bucket.stats.failures; break;
    case Outcome::timeout: ++bucket.stats.timeouts; break;
  }
}

void ProviderBreaker::judge_closed(TimeMs now) {
  if (consecutive_failures_ >= config_.consecutive_failures) {
    open(std::to_string(consecutive_failures_) + " consecutive failures");
    return;
  }
  // The whole window keeps a blip from opening the breaker; the newest bucket alone sees a provider
  // that has just started failing, before the healthy minutes before it have slid out of the window.
  const Bucket& newest = buckets_[static_cast<std::size_t>((now / bucket_ms_) % static_cast<std::int64_t>(buckets_.size()))];
  WindowStats recent = newest.index == now / bucket_ms_ ? newest.stats : WindowStats{};
  for (auto [stats, span] : {std::pair{window_stats(), config_.window_ms}, std::pair{recent, bucket_ms_}}) {
    if (stats.total() < static_cast<std::uint64_t>(config_.min_requests)) continue;
    double failed = static_cast<double>(stats.failures + stats.timeouts) / static_cast<double>(stats.total());
    if (failed >= config_.failure_ratio) {
      char reason[128];
      std::snprintf(reason, sizeof reason, "failure ratio %.2f over %llu requests in %lld ms", failed,
                    static_cast<unsigned long long>(stats.total()), static_cast<long long>(span));
      open(reason);
      return;
    }
  }
}

void ProviderBreaker::trip(std::string_view reason) {
  poll();
  if (state_ != BreakerState::closed && state_ != BreakerState::half_open) return;
  if (state_ == BreakerState::half_open) open_period_ms_ = std::min(open_period_ms_ * 2, config_.max_open_ms);
  open(reason);
}

void ProviderBreaker::on_probe_outcome(std::uint64_t probe_id, bool ok, std::string_view failure_reason) {
  if (state_ != BreakerState::half_open || !take_probe(probe_id)) return;
  if (!ok) {
    open_period_ms_ = std::min(open_period_ms_ * 2, config_.max_open_ms);
    open(failure_reason);
    return;
  }
  if (++probe_successes_ < config_.probes_to_close) return;
  open_period_ms_ = config_.open_ms;
  consecutive_failures_ = 0;
  probes_.clear();
  // Old failures still in the window would otherwise re-trip the breaker on the first new one.
  reset_window();
  transition(BreakerState::closed, std::to_string(probe_successes_) + " probes succeeded");
}

bool ProviderBreaker::take_probe(std::uint64_t probe_id) {
  auto it = std::find_if(probes_.begin(), probes_.end(), [&](const auto& p) { return p.id == probe_id; });
  if (it == probes_.end()) return false;
  probes_.erase(it);
  return true;
}

void ProviderBreaker::open(std::string_view reason) {
  consecutive_failures_ = 0;
  probes_.clear();
  probe_successes_ = 0;
  transition(BreakerState::open, reason);
}

void ProviderBreaker::reset_window() {
  for (auto& bucket : buckets_) bucket = Bucket{};
}

void ProviderBreaker::transition(BreakerState to, std::string_view reason) {
  transition(to, reason, clock_.now_ms());
}

void ProviderBreaker::transition(BreakerState to, std::string_view reason, TimeMs at) {
  BreakerState from = state_;
  state_ = to;
  since_ms_ = at;
  if (on_transition_) on_transition_(from, to, reason);
}

}  // namespace jarip::notify
