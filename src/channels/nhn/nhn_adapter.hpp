// NHN Cloud adapter: AlimTalk through KakaoTalk Bizmessage API v2.3, SMS and LMS through SMS API v3.0,
// delivery reports and 080 opt-outs from NHN's webhooks (X-Toast-Webhook-Signature = the configured value),
// status queries through NHN's message lookup (by requestId/recipientSeq, or by recipientGroupingKey).
//
// Settings ([providers.NAME] with type = "nhn"):
//   webhook_signature     value NHN sends in X-Toast-Webhook-Signature              (required)
//   secret_key            X-Secret-Key for both services, unless overridden by
//   alimtalk_secret_key / sms_secret_key   (NHN issues one secret per service)
//   alimtalk_appkey, sender_key           AlimTalk is offered when alimtalk_appkey is set; sender_key
//                                         (the 40-character 발신 키) is then required
//   sms_appkey, sender                    SMS/LMS are offered when sms_appkey is set; sender (sendNo,
//                                         a registered number) is then required
//   alimtalk_base_url     default https://kakaotalk-bizmessage.api.nhncloudservice.com
//   sms_base_url          default https://sms.api.nhncloudservice.com
//   batch_size            recipients per request, 1…1000, default 1 (raise it only when the engine
//                         groups messages by batch_group(): one request = one template code / one body)
// Mind the spelling: AlimTalk paths say `appkeys`, SMS paths say `appKeys`.
// See docs/providers.md for the field mapping and the result-code tables.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "channels/provider.hpp"
#include "channels/wire.hpp"

namespace jarip::channels::nhn {

// X-NC-API-IDEMPOTENCY-KEY for an AlimTalk batch: a UUID-shaped rendering of the first 16 bytes of
// SHA-256 over the batch's dedup keys (each length-prefixed, in batch order). For one message it is a
// function of that message's dedup key alone, so a retry of the same step carries the same key.
std::string idempotency_key(std::span<const OutboundMessage> batch);

struct CodeInfo {
  wire::Verdict verdict;
  std::string_view meaning;
};
// API answer codes (header.resultCode, sendResults[].resultCode), per service: AlimTalk and SMS reuse
// numbers with different meanings (-1005 is "idempotency key reused" for AlimTalk, "invalid search
// condition" for SMS). Code 0 is `pending` (accepted).
CodeInfo describe_alimtalk_api_code(std::string_view code);
CodeInfo describe_sms_api_code(std::string_view code);
// Delivery result codes (resultCode in reports and lookups): Kakao's for AlimTalk ("1000" success,
// "3019" not a KakaoTalk user, …), the carriers' for SMS/LMS ("1000" success, "3001" no subscriber, …).
CodeInfo describe_alimtalk_result_code(std::string_view code);
CodeInfo describe_sms_result_code(std::string_view code);

// Provider message ids are "{requestId}:{recipientSeq}"; both halves are needed for NHN's lookups.
std::string provider_message_id(std::string_view request_id, std::string_view recipient_seq);

Result<std::unique_ptr<ProviderAdapter>> make_nhn_adapter(const ProviderSettings& settings);

}  // namespace jarip::channels::nhn
