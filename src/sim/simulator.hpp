// The simulator without sockets: provider requests in, answers (or the decision to refuse, hang or
// delay) out; delivery reports become due after report_delay_ms. The network layer (http_server,
// webhook_client) only moves bytes; everything observable is decided here, on an injected clock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "sim/context.hpp"
#include "sim/provider_result.hpp"
#include "sim/push_service.hpp"

namespace jarip::sim {

enum class Disposition { respond, close, hang };

struct Handled {
  Disposition how = Disposition::respond;
  HttpOut out;
  int delay_ms = 0;  // answer after this long (slow mode)
};

class Simulator {
 public:
  Simulator(SimConfig config, const Clock& clock, std::uint64_t seed);

  SimContext& context() { return ctx_; }
  const SimContext& context() const { return ctx_; }

  // Provider traffic on one of the provider ports, with faults applied.
  Handled handle(Endpoint endpoint, const HttpIn& in);
  // Same validation and recording, no faults (golden replay).
  ProviderResult handle_without_faults(Endpoint endpoint, const HttpIn& in);

  HttpOut handle_admin(const HttpIn& in);

  // The Web Push service's port (push_service.cpp), with the faults of provider "push".
  Handled handle_push(const HttpIn& in);
  bool push_should_listen() const;
  PushService& push() { return push_; }

  // False while every channel the endpoint's port serves is down (listener must be closed).
  bool should_listen(Endpoint endpoint) const;

  // Makes every result whose time has come final. Status queries see a result from its due time on,
  // however far the webhook posts lag behind (a slow or failing receiver must not freeze the lookups
  // that a caller uses precisely when reports do not arrive).
  void finalize_due();
  // Up to `max` final results not yet handed to the webhook, oldest first.
  std::vector<std::uint32_t> take_due(Stream stream, std::size_t max);
  std::string report_body(Stream stream, const std::vector<std::uint32_t>& messages);
  std::int64_t next_due_ms(Stream stream) const;  // INT64_MAX when none

  void clear_records();

 private:
  ProviderResult dispatch(Endpoint endpoint, const HttpIn& in, const ParsedBody& body, std::uint32_t request_index);
  void plan_reports(const std::vector<std::uint32_t>& messages, bool fail_kakao_alimtalk, bool fail_kakao_sms,
                    bool blackhole_alimtalk, bool blackhole_sms);

  SimContext ctx_;
  PushService push_;
  std::uint64_t hooks_seq_ = 0;
};

Stream stream_of(const MessageRecord& m);
std::string final_code_for(const SimContext& ctx, const MessageRecord& m, bool kakao_side_failure);
bool is_delivered_code(const std::string& code);

}  // namespace jarip::sim
