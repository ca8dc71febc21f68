// Fault injection: which failure a provider (and channel) shows right now. Pure state over an injected
// clock and random source, so every mode, including flapping, is tested without sleeping.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace jarip::sim {

enum class Provider { solapi, nhn, push };
enum class Channel { alimtalk, sms, push };  // push: the push service's only channel
const char* to_string(Provider p);
const char* to_string(Channel c);

enum class FaultMode { ok, down, error, slow, timeout, flap, accept_then_fail, blackhole, lose_answer };
const char* to_string(FaultMode m);
std::optional<FaultMode> fault_mode_from(std::string_view text);

struct FaultRule {
  std::string provider = "*";  // solapi | nhn | push | *
  std::string channel = "*";   // alimtalk | sms | push | *
  FaultMode mode = FaultMode::ok;
  double error_rate = 1.0;  // mode error: probability of a 5xx; mode lose_answer: of a send losing its answer
  int latency_ms = 0;       // mode slow
  int period_ms = 1000;     // mode flap: down for period_ms, then ok for period_ms, …
  std::int64_t set_at_ms = 0;
};

// What a request to (provider, channel) meets now.
enum class Effect {
  pass,              // handle normally
  refuse,            // connection refused / closed without an answer
  error,             // 5xx with the provider's error JSON (request not processed)
  slow,              // processed, answered after latency_ms
  hang,              // processed, never answered
  accept_then_fail,  // processed; every accepted message gets a failure report
  blackhole,         // processed; no report ever
  lose_answer,       // a send: processed, then the connection closed without an answer
};

struct Decision {
  Effect effect = Effect::pass;
  int latency_ms = 0;
};

class FaultTable {
 public:
  // Parses {"provider","channel","mode","error_rate","latency_ms","period_ms"} and replaces the rule
  // for the same (provider, channel).
  Status set_from_json(std::string_view json_text, std::int64_t now_ms);
  void set(FaultRule rule);
  void reset() { rules_.clear(); }
  const std::vector<FaultRule>& rules() const { return rules_; }
  std::string to_json(std::int64_t now_ms) const;

  // The most specific rule: (p,c), then (p,*), then (*,c), then (*,*). `uniform` returns [0,1).
  const FaultRule* rule_for(Provider p, Channel c) const;
  Decision decide(Provider p, Channel c, std::int64_t now_ms, const std::function<double()>& uniform) const;
  // True while (p, c) should refuse connections (down, or flap in its down half).
  bool is_down(Provider p, Channel c, std::int64_t now_ms) const;

 private:
  std::vector<FaultRule> rules_;
};

}  // namespace jarip::sim
