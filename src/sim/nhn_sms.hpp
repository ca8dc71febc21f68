// NHN Cloud SMS API v3.0 (path segment `appKeys`, camel case; LMS goes to /sender/mms, there is
// no /sender/lms):
//   POST /sms/v3.0/appKeys/{appKey}/sender/sms | /sender/mms         send
//   GET  /sms/v3.0/appKeys/{appKey}/sender/sms/{requestId}?recipientSeq=N   single message
//   GET  /sms/v3.0/appKeys/{appKey}/sender/sms?requestId=…|dates…    list (recipientGroupingKey, …)
// Header X-Secret-Key.
#pragma once

#include "sim/context.hpp"
#include "sim/provider_result.hpp"

namespace jarip::sim {

ProviderResult nhn_sms_handle(SimContext& ctx, const HttpIn& in, const ParsedBody& body, std::uint32_t request_index);

}  // namespace jarip::sim
