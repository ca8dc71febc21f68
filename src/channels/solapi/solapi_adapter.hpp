// Solapi (messages API v4) adapter: SMS, LMS and AlimTalk (ATA) through POST /messages/v4/send-many/detail,
// delivery reports from Solapi's webhook (a JSON array of message objects, authenticated by a per-provider
// token in the callback URL), status queries through GET /messages/v4/list: by messageId when the send's
// answer gave one, else by recipient, type and a date window, picking this attempt by its customFields.
//
// Settings ([providers.NAME] with type = "solapi"):
//   api_key, api_secret   HMAC-SHA256 credentials                         (required)
//   sender                registered from-number, digits                  (required)
//   report_token          secret expected as ?token= on report callbacks  (required)
//   pf_id                 KakaoTalk channel id; AlimTalk is offered only when set
//   base_url              default https://api.solapi.com
//   batch_size            messages per request, 1…10000, default 100
// See docs/providers.md for the field mapping and the result-code table.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "channels/provider.hpp"
#include "channels/wire.hpp"

namespace jarip::channels::solapi {

// "HMAC-SHA256 apiKey=…, date=…, salt=…, signature=hex(HMAC-SHA256(api_secret, date + salt))".
std::string authorization_header(std::string_view api_key, std::string_view api_secret, std::string_view date,
                                 std::string_view salt);

struct CodeInfo {
  wire::Verdict verdict;
  std::string_view meaning;  // English summary, used when Solapi's own statusMessage is missing
};
// Solapi's 4-digit message status code (statusCode) → verdict. Unlisted codes fall back by range.
CodeInfo describe_status_code(std::string_view code);

Result<std::unique_ptr<ProviderAdapter>> make_solapi_adapter(const ProviderSettings& settings);

}  // namespace jarip::channels::solapi
