// NHN Cloud result codes, from NHN's documentation (TOAST-DOCS/Alimtalk ko/error-code.md and
// TOAST-DOCS/SMS ko/error-code.md): API answer codes per service, and delivery result codes.
#include <array>

#include "channels/nhn/nhn_adapter.hpp"

namespace jarip::channels::nhn {

namespace {

using wire::Verdict;

struct Row {
  std::string_view code;
  Verdict verdict;
  std::string_view meaning;
};

template <std::size_t N>
std::optional<CodeInfo> lookup(const std::array<Row, N>& rows, std::string_view code) {
  for (const Row& row : rows) {
    if (row.code == code) return CodeInfo{row.verdict, row.meaning};
  }
  return std::nullopt;
}

// KakaoTalk Bizmessage API answer codes (header.resultCode, message.sendResults[].resultCode).
constexpr std::array kAlimtalkApi{
    Row{"0", Verdict::pending, "accepted"},
    Row{"4", Verdict::permanent, "parameter validation failed"},
    Row{"-1000", Verdict::retryable, "invalid appkey (credentials)"},
    Row{"-1001", Verdict::retryable, "invalid secret key (credentials)"},
    Row{"-1002", Verdict::permanent, "invalid SMS appkey for substitute sending"},
    Row{"-1003", Verdict::permanent, "invalid SMS sender number for substitute sending"},
    Row{"-1005", Verdict::pending, "same X-NC-API-IDEMPOTENCY-KEY within 10 minutes: already requested"},
    Row{"-1006", Verdict::permanent, "sender profile has no sender key"},
    Row{"-1016", Verdict::permanent, "message not found"},
    Row{"-1017", Verdict::permanent, "daily sending volume exceeded"},
    Row{"-1019", Verdict::permanent, "invalid 080 number for substitute sending"},
    Row{"-1027", Verdict::permanent, "sender profile is blocked"},
    Row{"-1028", Verdict::permanent, "template variable difference over 14 characters (new sender limit)"},
    Row{"-1031", Verdict::permanent, "every recipient of the request failed"},
    Row{"-2000", Verdict::permanent, "field too long"},
    Row{"-2001", Verdict::permanent, "required field blank"},
    Row{"-2002", Verdict::permanent, "required field null"},
    Row{"-2017", Verdict::permanent, "sender profile does not exist"},
    Row{"-2018", Verdict::permanent, "invalid button parameter"},
    Row{"-2019", Verdict::permanent, "template body over 1,300 characters"},
    Row{"-3003", Verdict::permanent, "template does not exist"},
    Row{"-3004", Verdict::permanent, "template parameter error"},
    Row{"-3005", Verdict::permanent, "template not approved"},
    Row{"-3010", Verdict::permanent, "message does not match the registered template"},
    Row{"-3011", Verdict::permanent, "buttons do not match the registered template"},
    Row{"-3048", Verdict::permanent, "template parameter over 1,300 characters"},
    Row{"-3049", Verdict::permanent, "template parameters do not match the template"},
    Row{"-4019", Verdict::permanent, "invalid recipient number"},
    Row{"-9996", Verdict::permanent, "content type must be application/json"},
    Row{"-9997", Verdict::permanent, "invalid request"},
    Row{"-9998", Verdict::permanent, "API does not exist"},
    Row{"-9999", Verdict::retryable, "NHN system error"},
};

// SMS API v3.0 answer codes (header.resultCode, body.data.sendResultList[].resultCode).
constexpr std::array kSmsApi{
    Row{"0", Verdict::pending, "accepted"},
    Row{"4", Verdict::permanent, "parameter validation failed"},
    Row{"-1000", Verdict::retryable, "invalid appKey (credentials)"},
    Row{"-1001", Verdict::retryable, "appKey does not exist (credentials)"},
    Row{"-1002", Verdict::retryable, "appKey disabled (credentials)"},
    Row{"-1003", Verdict::retryable, "not a project member (credentials)"},
    Row{"-1004", Verdict::retryable, "IP not allowed (credentials)"},
    Row{"-1007", Verdict::retryable, "invalid member (credentials)"},
    Row{"-1008", Verdict::retryable, "project blocked"},
    Row{"-2001", Verdict::permanent, "recipient list empty"},
    Row{"-2014", Verdict::permanent, "title or body empty"},
    Row{"-2015", Verdict::permanent, "title or body too long"},
    Row{"-2016", Verdict::permanent, "more than 1,000 recipients"},
    Row{"-2018", Verdict::permanent, "recipient number empty"},
    Row{"-2019", Verdict::permanent, "invalid recipient number"},
    Row{"-2021", Verdict::retryable, "system error: queue insert failed"},
    Row{"-2023", Verdict::permanent, "characters not allowed in title or body (emoji, …)"},
    Row{"-2024", Verdict::permanent, "LMS/MMS cannot go abroad"},
    Row{"-2052", Verdict::permanent, "monthly organisation volume exceeded"},
    Row{"-2312", Verdict::permanent, "sender number not registered"},
    Row{"-2313", Verdict::permanent, "sender number blocked"},
    Row{"-6001", Verdict::permanent, "recipient opted out (080)"},
    Row{"-6003", Verdict::permanent, "opt-out notice missing from an advertisement"},
    Row{"-9995", Verdict::permanent, "invalid API version"},
    Row{"-9996", Verdict::permanent, "content type must be application/json"},
    Row{"-9997", Verdict::permanent, "invalid JSON"},
    Row{"-9998", Verdict::permanent, "API does not exist"},
    Row{"-9999", Verdict::retryable, "NHN system error"},
};

// Kakao delivery result codes as NHN reports them.
constexpr std::array kAlimtalkResult{
    Row{"1000", Verdict::delivered, "delivered"},
    Row{"MRC01", Verdict::delivered, "delivered"},
    Row{"MRC02", Verdict::permanent, "failed"},
    Row{"1001", Verdict::permanent, "request body is not JSON"},
    Row{"1002", Verdict::permanent, "invalid hub partner key"},
    Row{"1003", Verdict::permanent, "invalid sender profile key"},
    Row{"1006", Verdict::permanent, "sender profile deleted"},
    Row{"1007", Verdict::permanent, "sender profile blocked"},
    Row{"1011", Verdict::permanent, "contract not found"},
    Row{"1020", Verdict::permanent, "invalid or missing phone number"},
    Row{"1021", Verdict::permanent, "KakaoTalk channel blocked"},
    Row{"1022", Verdict::permanent, "KakaoTalk channel closed"},
    Row{"1023", Verdict::permanent, "KakaoTalk channel deleted"},
    Row{"1024", Verdict::permanent, "KakaoTalk channel pending deletion"},
    Row{"1025", Verdict::permanent, "channel sanctioned"},
    Row{"1027", Verdict::permanent, "channel messages sanctioned"},
    Row{"1030", Verdict::permanent, "invalid parameter"},
    Row{"2001", Verdict::retryable, "unexpected error at Kakao"},
    Row{"2003", Verdict::permanent, "channel not added (test server)"},
    Row{"2005", Verdict::retryable, "Kakao internal error reading an image"},
    Row{"3000", Verdict::retryable, "unexpected error"},
    // Sent, receipt unconfirmed: Kakao keeps it (encrypted) and delivers within 3 days. Moving on would
    // very likely duplicate it, so it counts as delivered.
    Row{"3005", Verdict::delivered, "sent, receipt not confirmed (Kakao keeps it up to 3 days)"},
    Row{"3006", Verdict::retryable, "Kakao internal system error"},
    Row{"3008", Verdict::permanent, "phone number error"},
    Row{"3010", Verdict::retryable, "unexpected error"},
    Row{"3011", Verdict::permanent, "message does not exist"},
    Row{"3012", Verdict::retryable, "communication with Kakao failed"},
    Row{"3013", Verdict::permanent, "message empty"},
    Row{"3014", Verdict::permanent, "message too long"},
    Row{"3015", Verdict::permanent, "template not found"},
    Row{"3016", Verdict::permanent, "message does not match the template"},
    Row{"3018", Verdict::next_channel, "cannot be delivered (inactive KakaoTalk user, SIM mismatch, sanctioned user)"},
    Row{"3019", Verdict::next_channel, "not a KakaoTalk user"},
    Row{"3020", Verdict::next_channel, "recipient blocked AlimTalk"},
    Row{"3021", Verdict::next_channel, "KakaoTalk version too old"},
    Row{"3022", Verdict::next_channel, "outside the hours messages may be sent"},
    Row{"3023", Verdict::permanent, "message syntax error"},
    Row{"3024", Verdict::permanent, "image in the message cannot be sent"},
    Row{"3025", Verdict::permanent, "variable too long"},
    Row{"3027", Verdict::permanent, "buttons do not match the template"},
    Row{"4000", Verdict::retryable, "Kakao result not found"},
    Row{"4001", Verdict::retryable, "unknown message state"},
    Row{"4161", Verdict::pending, "message still being processed"},
    Row{"9998", Verdict::retryable, "Kakao system under maintenance"},
    Row{"9999", Verdict::retryable, "Kakao system error"},
};

// Carrier delivery result codes for SMS/LMS.
constexpr std::array kSmsResult{
    Row{"1000", Verdict::delivered, "delivered"},
    Row{"MTR1", Verdict::delivered, "delivered"},
    Row{"MTR2", Verdict::permanent, "failed"},
    Row{"1001", Verdict::retryable, "carrier server busy"},
    Row{"1002", Verdict::permanent, "recipient number format error"},
    Row{"1003", Verdict::permanent, "sender number format error"},
    Row{"1019", Verdict::retryable, "TTL exceeded"},
    Row{"2000", Verdict::retryable, "delivery timed out"},
    Row{"2001", Verdict::retryable, "failed in the radio network"},
    Row{"2002", Verdict::retryable, "failed between network and handset"},
    Row{"2003", Verdict::retryable, "handset powered off"},
    Row{"2004", Verdict::retryable, "handset message buffer full"},
    Row{"2005", Verdict::retryable, "out of coverage"},
    Row{"2006", Verdict::retryable, "message deleted"},
    Row{"2007", Verdict::retryable, "temporary handset problem"},
    Row{"3000", Verdict::permanent, "cannot be sent"},
    Row{"3001", Verdict::permanent, "no such subscriber"},
    Row{"3002", Verdict::permanent, "adult verification failed"},
    Row{"3003", Verdict::permanent, "recipient number invalid or unassigned"},
    Row{"3004", Verdict::retryable, "handset service suspended"},
    Row{"3005", Verdict::retryable, "handset in call processing"},
    Row{"3006", Verdict::permanent, "recipient refused"},
    Row{"3007", Verdict::permanent, "handset cannot take callback URLs"},
    Row{"3008", Verdict::permanent, "other handset problem"},
    Row{"3009", Verdict::permanent, "message format error"},
    Row{"3010", Verdict::permanent, "handset does not support MMS"},
    Row{"3011", Verdict::retryable, "carrier server error"},
    Row{"3012", Verdict::permanent, "spam"},
    Row{"3013", Verdict::permanent, "service refused"},
    Row{"3014", Verdict::permanent, "other failure"},
    Row{"3015", Verdict::retryable, "no delivery route"},
    Row{"3016", Verdict::permanent, "attachment too large"},
    Row{"3017", Verdict::permanent, "sender number format (anti-spoofing rules)"},
    Row{"3018", Verdict::permanent, "sender number is a personal number protected from spoofing"},
    Row{"3019", Verdict::permanent, "sender number blocked by KISA/ministry"},
    Row{"4004", Verdict::retryable, "temporary handset problem (international)"},
    Row{"4009", Verdict::retryable, "temporary network error (international)"},
    Row{"E900", Verdict::retryable, "other sending error"},
    Row{"E911", Verdict::permanent, "attachment has no extension"},
    Row{"E913", Verdict::permanent, "attachment is empty"},
    Row{"E915", Verdict::permanent, "duplicate message"},
    Row{"E919", Verdict::retryable, "sending restricted at this time"},
    Row{"E999", Verdict::retryable, "other error"},
};

bool negative_number(std::string_view code) { return code.size() > 1 && code[0] == '-'; }

}  // namespace

CodeInfo describe_alimtalk_api_code(std::string_view code) {
  if (auto info = lookup(kAlimtalkApi, code)) return *info;
  return CodeInfo{Verdict::permanent, negative_number(code) ? "refused by NHN" : "unknown NHN answer code"};
}

CodeInfo describe_sms_api_code(std::string_view code) {
  if (auto info = lookup(kSmsApi, code)) return *info;
  return CodeInfo{Verdict::permanent, negative_number(code) ? "refused by NHN" : "unknown NHN answer code"};
}

CodeInfo describe_alimtalk_result_code(std::string_view code) {
  if (auto info = lookup(kAlimtalkResult, code)) return *info;
  if (code.size() == 4 && code[0] == '3') return CodeInfo{Verdict::permanent, "message refused by Kakao"};
  if (code.size() == 4 && code[0] == '4') return CodeInfo{Verdict::permanent, "request refused by Kakao"};
  return CodeInfo{Verdict::permanent, "unknown Kakao result code"};
}

CodeInfo describe_sms_result_code(std::string_view code) {
  if (auto info = lookup(kSmsResult, code)) return *info;
  return CodeInfo{Verdict::permanent, "unknown carrier result code"};
}

}  // namespace jarip::channels::nhn
