#include "sim/simulator.hpp"

#include <algorithm>
#include <limits>

#include "sim/nhn_alimtalk.hpp"
#include "sim/nhn_common.hpp"
#include "sim/nhn_report.hpp"
#include "sim/nhn_sms.hpp"
#include "sim/solapi_auth.hpp"
#include "sim/solapi_codes.hpp"
#include "sim/solapi_report.hpp"
#include "sim/solapi_send.hpp"

namespace jarip::sim {

Simulator::Simulator(SimConfig config, const Clock& clock, std::uint64_t seed)
    : ctx_(std::move(config), clock, seed), push_(clock) {}

Stream stream_of(const MessageRecord& m) {
  if (m.provider == Provider::solapi) return Stream::solapi;
  return m.channel == Channel::alimtalk ? Stream::nhn_alimtalk : Stream::nhn_sms;
}

bool is_delivered_code(const std::string& code) { return code == "4000" || code == "1000"; }

std::string final_code_for(const SimContext& ctx, const MessageRecord& m, bool kakao_side_failure) {
  const bool at = m.channel == Channel::alimtalk;
  const bool non_user = at && ctx.non_kakao_users.count(m.to);
  const bool blocked = at && ctx.kakao_blocked.count(m.to);
  if (m.provider == Provider::solapi) {
    if (kakao_side_failure) return solapi_code::kPartnerServerError;
    if (non_user) return solapi_code::kNotKakaoUser;
    if (blocked) return solapi_code::kKakaoBlocked;
    return solapi_code::kDelivered;
  }
  if (!at) return kakao_side_failure ? nhn_code::kSmsServerError : nhn_code::kDelivered;
  if (kakao_side_failure) return nhn_code::kAlimtalkKakaoFailure;
  if (non_user) return nhn_code::kAlimtalkNotKakaoUser;
  if (blocked) return nhn_code::kAlimtalkBlocked;
  return nhn_code::kDelivered;
}

static std::vector<Channel> channels_of(Endpoint e, const HttpIn& in, const ParsedBody& body) {
  switch (e) {
    case Endpoint::solapi: return solapi_channels(in, body);
    case Endpoint::nhn_alimtalk: return {Channel::alimtalk};
    case Endpoint::nhn_sms: return {Channel::sms};
  }
  return {Channel::sms};
}

static HttpOut injected_error(Endpoint e) {
  if (e == Endpoint::solapi)
    return HttpOut{500, solapi_error_json("InternalError", "일시적인 서버 오류가 발생했습니다. (jarip-sim fault injection)")};
  return nhn_error(500, -9999, "System error. Please inquire at support@toast.com.");
}

ProviderResult Simulator::dispatch(Endpoint e, const HttpIn& in, const ParsedBody& body, std::uint32_t request_index) {
  switch (e) {
    case Endpoint::solapi: return solapi_handle(ctx_, in, body, request_index);
    case Endpoint::nhn_alimtalk: return nhn_alimtalk_handle(ctx_, in, body, request_index);
    case Endpoint::nhn_sms: return nhn_sms_handle(ctx_, in, body, request_index);
  }
  return {};
}

// Among the rules a request meets, the worst decides. A lost answer ranks below a hang: both leave the
// caller without an answer, but a hang also costs it its whole timeout.
static int severity(Effect e) {
  switch (e) {
    case Effect::refuse: return 6;
    case Effect::error: return 5;
    case Effect::hang: return 4;
    case Effect::lose_answer: return 3;
    case Effect::slow: return 2;
    default: return 0;
  }
}

// Only a send loses its answer (every POST on a provider port is one). Lookups stay answered: they are
// how the caller settles the ambiguity, and losing their answer would change nothing at the provider.
static Decision for_request(Decision d, const HttpIn& in) {
  if (d.effect == Effect::lose_answer && in.method != "POST") return {};
  return d;
}

Handled Simulator::handle(Endpoint e, const HttpIn& in) {
  ++ctx_.counters.requests;
  finalize_due();  // a lookup must not depend on when the last tick ran
  const auto now = ctx_.now();
  ParsedBody body = in.method == "POST" ? parse_body(in.body) : std::nullopt;
  Decision worst;
  bool fail_at = false, fail_sms = false, hole_at = false, hole_sms = false;
  for (Channel c : channels_of(e, in, body)) {
    Decision d = for_request(ctx_.faults.decide(provider_of(e), c, now, [this] { return ctx_.uniform(); }), in);
    if (severity(d.effect) > severity(worst.effect)) worst = d;
    if (d.effect == Effect::accept_then_fail) (c == Channel::alimtalk ? fail_at : fail_sms) = true;
    if (d.effect == Effect::blackhole) (c == Channel::alimtalk ? hole_at : hole_sms) = true;
  }
  RequestRecord rec;
  rec.received_ms = now;
  rec.endpoint = e;
  rec.method = in.method;
  rec.target = in.target;
  rec.body = in.body;
  const std::uint32_t ri = ctx_.store.add_request(std::move(rec));
  Handled h;
  if (worst.effect == Effect::refuse) {
    ++ctx_.counters.refused;
    ctx_.store.request(ri).disposition = "refused";
    h.how = Disposition::close;
    return h;
  }
  if (worst.effect == Effect::error) {
    ++ctx_.counters.errors_injected;
    h.out = injected_error(e);
    ctx_.store.request(ri).disposition = "error";
    ctx_.store.request(ri).http_status = h.out.status;
    return h;
  }
  ProviderResult r = dispatch(e, in, body, ri);
  auto& req = ctx_.store.request(ri);
  req.provider_request_id = r.provider_request_id;
  if (!r.messages.empty()) {
    req.first_message = r.messages.front();
    req.message_count = static_cast<std::uint32_t>(r.messages.size());
  }
  plan_reports(r.messages, fail_at, fail_sms, hole_at, hole_sms);
  h.out = std::move(r.out);
  if (worst.effect == Effect::hang) {
    ++ctx_.counters.hung;
    req.disposition = "hang";
    h.how = Disposition::hang;
    return h;
  }
  if (worst.effect == Effect::lose_answer) {
    ++ctx_.counters.answers_lost;
    req.disposition = "answer_lost";
    h.how = Disposition::close;
    return h;
  }
  req.http_status = h.out.status;
  req.disposition = worst.effect == Effect::slow ? "slow" : "answered";
  if (worst.effect == Effect::slow) {
    ++ctx_.counters.slowed;
    h.delay_ms = worst.latency_ms;
  }
  return h;
}

ProviderResult Simulator::handle_without_faults(Endpoint e, const HttpIn& in) {
  finalize_due();
  ParsedBody body = in.method == "POST" ? parse_body(in.body) : std::nullopt;
  RequestRecord rec;
  rec.received_ms = ctx_.now();
  rec.endpoint = e;
  rec.method = in.method;
  rec.target = in.target;
  rec.body = in.body;
  const std::uint32_t ri = ctx_.store.add_request(std::move(rec));
  ProviderResult r = dispatch(e, in, body, ri);
  ctx_.store.request(ri).http_status = r.out.status;
  ctx_.store.request(ri).disposition = "answered";
  plan_reports(r.messages, false, false, false, false);
  return r;
}

void Simulator::plan_reports(const std::vector<std::uint32_t>& messages, bool fail_at, bool fail_sms, bool hole_at,
                             bool hole_sms) {
  const auto due = ctx_.now() + ctx_.config.report_delay_ms;
  for (auto i : messages) {
    auto& m = ctx_.store.message(i);
    ++ctx_.counters.messages;
    if (m.outcome == Outcome::rejected) {
      ++ctx_.counters.rejected;
      continue;
    }
    ++ctx_.counters.accepted;
    const bool at = m.channel == Channel::alimtalk;
    if (at ? hole_at : hole_sms) {
      ++ctx_.counters.blackholed;
      continue;
    }
    m.final_code = final_code_for(ctx_, m, at ? fail_at : fail_sms);
    m.report_planned = true;
    ctx_.due[static_cast<int>(stream_of(m))].push_back(DueReport{due, i});
    ++ctx_.counters.reports_due;
  }
}

void Simulator::finalize_due() {
  const auto now = ctx_.now();
  for (int s = 0; s < kStreams; ++s) {
    auto& q = ctx_.due[s];
    while (!q.empty() && q.front().due_ms <= now) {
      auto& m = ctx_.store.message(q.front().message);
      m.status_code = m.final_code;
      m.outcome = is_delivered_code(m.final_code) ? Outcome::delivered : Outcome::failed;
      m.status_message = m.provider == Provider::solapi ? solapi_code::message_for(m.final_code.c_str())
                                                        : nhn_result_code_name(m.channel, m.final_code);
      m.final_ms = q.front().due_ms;
      ctx_.outbox[s].push_back(q.front().message);
      q.pop_front();
    }
  }
}

std::vector<std::uint32_t> Simulator::take_due(Stream s, std::size_t max) {
  finalize_due();
  auto& q = ctx_.outbox[static_cast<int>(s)];
  const auto n = std::min(max, q.size());
  std::vector<std::uint32_t> out(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(n));
  q.erase(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(n));
  return out;
}

std::int64_t Simulator::next_due_ms(Stream s) const {
  const auto& out = ctx_.outbox[static_cast<int>(s)];
  if (!out.empty()) return ctx_.store.messages()[out.front()].final_ms;
  const auto& q = ctx_.due[static_cast<int>(s)];
  return q.empty() ? std::numeric_limits<std::int64_t>::max() : q.front().due_ms;
}

std::string Simulator::report_body(Stream s, const std::vector<std::uint32_t>& messages) {
  const auto& store = ctx_.store;
  const std::string hooks_id = ctx_.nhn_request_id() + std::to_string(++hooks_seq_);
  switch (s) {
    case Stream::solapi: return solapi_report_body(store, messages, ctx_.config.solapi.pf_id);
    case Stream::nhn_alimtalk: return nhn_alimtalk_report_body(store, messages, ctx_.config.nhn, hooks_id);
    case Stream::nhn_sms: return nhn_sms_report_body(store, messages, ctx_.config.nhn, hooks_id);
  }
  return "[]";
}

bool Simulator::should_listen(Endpoint e) const {
  const auto now = ctx_.now();
  switch (e) {
    case Endpoint::solapi:
      return !(ctx_.faults.is_down(Provider::solapi, Channel::alimtalk, now) &&
               ctx_.faults.is_down(Provider::solapi, Channel::sms, now));
    case Endpoint::nhn_alimtalk: return !ctx_.faults.is_down(Provider::nhn, Channel::alimtalk, now);
    case Endpoint::nhn_sms: return !ctx_.faults.is_down(Provider::nhn, Channel::sms, now);
  }
  return true;
}

void Simulator::clear_records() {
  ctx_.store.clear();
  push_.clear_messages();
  for (auto& q : ctx_.due) q.clear();
  for (auto& q : ctx_.outbox) q.clear();
}

}  // namespace jarip::sim
