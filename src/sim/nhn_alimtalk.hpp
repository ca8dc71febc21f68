// NHN Cloud KakaoTalk Bizmessage AlimTalk API v2.3 (path segment `appkeys`, lower case):
//   POST /alimtalk/v2.3/appkeys/{appkey}/messages                       template substitution send
//   GET  /alimtalk/v2.3/appkeys/{appkey}/messages/{requestId}/{seq}      single message
//   GET  /alimtalk/v2.3/appkeys/{appkey}/messages?requestId=…|dates…     list (recipientGroupingKey, …)
// Header X-Secret-Key; X-NC-API-IDEMPOTENCY-KEY refuses a key reused within 10 minutes (-1005).
#pragma once

#include "sim/context.hpp"
#include "sim/provider_result.hpp"

namespace jarip::sim {

constexpr std::int64_t kNhnIdempotencyWindowMs = 10 * 60 * 1000;

ProviderResult nhn_alimtalk_handle(SimContext& ctx, const HttpIn& in, const ParsedBody& body, std::uint32_t request_index);

}  // namespace jarip::sim
