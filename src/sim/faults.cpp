#include "sim/faults.hpp"

#include <boost/json.hpp>

#include "sim/json_text.hpp"

namespace jarip::sim {
namespace json = boost::json;

const char* to_string(Provider p) { return p == Provider::solapi ? "solapi" : p == Provider::nhn ? "nhn" : "push"; }
const char* to_string(Channel c) { return c == Channel::alimtalk ? "alimtalk" : c == Channel::sms ? "sms" : "push"; }

const char* to_string(FaultMode m) {
  switch (m) {
    case FaultMode::ok: return "ok";
    case FaultMode::down: return "down";
    case FaultMode::error: return "error";
    case FaultMode::slow: return "slow";
    case FaultMode::timeout: return "timeout";
    case FaultMode::flap: return "flap";
    case FaultMode::accept_then_fail: return "accept_then_fail";
    case FaultMode::blackhole: return "blackhole";
    case FaultMode::lose_answer: return "lose_answer";
  }
  return "ok";
}

std::optional<FaultMode> fault_mode_from(std::string_view t) {
  for (auto m : {FaultMode::ok, FaultMode::down, FaultMode::error, FaultMode::slow, FaultMode::timeout,
                 FaultMode::flap, FaultMode::accept_then_fail, FaultMode::blackhole, FaultMode::lose_answer})
    if (t == to_string(m)) return m;
  return std::nullopt;
}

Status FaultTable::set_from_json(std::string_view text, std::int64_t now_ms) {
  json::value v;
  try {
    v = json::parse(json::string_view(text.data(), text.size()));
  } catch (const std::exception&) {
    return make_error("invalid_json", "body is not JSON");
  }
  if (!v.is_object()) return make_error("invalid_json", "body must be a JSON object");
  FaultRule r;
  r.set_at_ms = now_ms;
  r.provider = get_string(v, "provider").value_or("*");
  r.channel = get_string(v, "channel").value_or("*");
  if (r.provider != "*" && r.provider != "solapi" && r.provider != "nhn" && r.provider != "push")
    return make_error("invalid_provider", "provider must be solapi, nhn, push or *", "provider");
  if (r.channel != "*" && r.channel != "alimtalk" && r.channel != "sms" && r.channel != "push")
    return make_error("invalid_channel", "channel must be alimtalk, sms, push or *", "channel");
  auto mode = fault_mode_from(get_string(v, "mode").value_or(""));
  if (!mode) return make_error("invalid_mode", "mode must be one of ok|down|error|slow|timeout|flap|accept_then_fail|blackhole|lose_answer", "mode");
  r.mode = *mode;
  if (const auto* f = find_field(v, "error_rate")) {
    if (!f->is_number()) return make_error("invalid_error_rate", "error_rate must be a number", "error_rate");
    r.error_rate = f->to_number<double>();
    if (!(r.error_rate >= 0.0 && r.error_rate <= 1.0))
      return make_error("invalid_error_rate", "error_rate must be within 0..1", "error_rate");
  }
  auto read_ms = [&](const char* key, int& out, int lo) -> Status {
    if (const auto* f = find_field(v, key)) {
      auto n = get_int(v, key);
      if (!n || *n < lo || *n > 3'600'000) return make_error("invalid_" + std::string(key), std::string(key) + " out of range", key);
      out = static_cast<int>(*n);
      (void)f;
    }
    return {};
  };
  if (auto s = read_ms("latency_ms", r.latency_ms, 0); !s) return s;
  if (auto s = read_ms("period_ms", r.period_ms, 1); !s) return s;
  set(std::move(r));
  return {};
}

void FaultTable::set(FaultRule rule) {
  for (auto& r : rules_) {
    if (r.provider == rule.provider && r.channel == rule.channel) {
      r = std::move(rule);
      return;
    }
  }
  rules_.push_back(std::move(rule));
}

const FaultRule* FaultTable::rule_for(Provider p, Channel c) const {
  const std::string ps = to_string(p), cs = to_string(c);
  const std::pair<std::string, std::string> order[] = {{ps, cs}, {ps, "*"}, {"*", cs}, {"*", "*"}};
  for (const auto& [rp, rc] : order)
    for (const auto& r : rules_)
      if (r.provider == rp && r.channel == rc) return &r;
  return nullptr;
}

static bool flap_down(const FaultRule& r, std::int64_t now_ms) {
  std::int64_t elapsed = now_ms - r.set_at_ms;
  if (elapsed < 0) elapsed = 0;
  return (elapsed / r.period_ms) % 2 == 0;  // starts in the down half
}

bool FaultTable::is_down(Provider p, Channel c, std::int64_t now_ms) const {
  const FaultRule* r = rule_for(p, c);
  if (!r) return false;
  if (r->mode == FaultMode::down) return true;
  if (r->mode == FaultMode::flap) return flap_down(*r, now_ms);
  return false;
}

Decision FaultTable::decide(Provider p, Channel c, std::int64_t now_ms, const std::function<double()>& uniform) const {
  const FaultRule* r = rule_for(p, c);
  if (!r) return {};
  switch (r->mode) {
    case FaultMode::ok: return {};
    case FaultMode::down: return {Effect::refuse, 0};
    case FaultMode::flap: return flap_down(*r, now_ms) ? Decision{Effect::refuse, 0} : Decision{};
    case FaultMode::error: return uniform() < r->error_rate ? Decision{Effect::error, 0} : Decision{};
    case FaultMode::slow: return {Effect::slow, r->latency_ms};
    case FaultMode::timeout: return {Effect::hang, 0};
    case FaultMode::accept_then_fail: return {Effect::accept_then_fail, 0};
    case FaultMode::blackhole: return {Effect::blackhole, 0};
    case FaultMode::lose_answer: return uniform() < r->error_rate ? Decision{Effect::lose_answer, 0} : Decision{};
  }
  return {};
}

std::string FaultTable::to_json(std::int64_t now_ms) const {
  json::array arr;
  for (const auto& r : rules_) {
    json::object o;
    o["provider"] = r.provider;
    o["channel"] = r.channel;
    o["mode"] = to_string(r.mode);
    o["error_rate"] = r.error_rate;
    o["latency_ms"] = r.latency_ms;
    o["period_ms"] = r.period_ms;
    o["age_ms"] = now_ms - r.set_at_ms;
    if (r.mode == FaultMode::flap) o["currently_down"] = flap_down(r, now_ms);
    arr.push_back(std::move(o));
  }
  json::object root;
  root["faults"] = std::move(arr);
  return json::serialize(root);
}

}  // namespace jarip::sim
