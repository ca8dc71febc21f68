// Solapi message status codes (docs.solapi.com "메시지 상태 코드", solapi/documents
// api-reference/message-status-codes.md): 1xxx refused at registration, 2000 registered, 2xxx refused by the
// platform, 3000 handed to the carrier/Kakao, 3xxx failed there, 4000 delivered.
#include <array>

#include "channels/solapi/solapi_adapter.hpp"

namespace jarip::channels::solapi {

namespace {

using wire::Verdict;

struct Row {
  std::string_view code;
  Verdict verdict;
  std::string_view meaning;
};

// One row per documented code. Kakao-side failures that another channel can cure are next_channel;
// configuration and content errors of this provider are permanent; carrier/handset trouble that may
// clear is retryable.
constexpr std::array kRows{
    Row{"1010", Verdict::permanent, "required field missing"},
    Row{"1011", Verdict::permanent, "format error"},
    Row{"1013", Verdict::permanent, "subject not allowed for SMS"},
    Row{"1014", Verdict::permanent, "subject longer than 40 bytes"},
    Row{"1020", Verdict::retryable, "account not registered or wrong credentials"},
    Row{"1021", Verdict::permanent, "message not found"},
    Row{"1022", Verdict::permanent, "group not found"},
    Row{"1023", Verdict::permanent, "image not found"},
    Row{"1024", Verdict::retryable, "server error"},
    Row{"1025", Verdict::permanent, "invalid message type"},
    Row{"1026", Verdict::permanent, "duplicate recipient"},
    Row{"1027", Verdict::permanent, "only UTF-8 is accepted"},
    Row{"1028", Verdict::permanent, "non-printable characters"},
    Row{"1029", Verdict::permanent, "characters outside EUC-KR"},
    Row{"1030", Verdict::permanent, "insufficient balance"},
    Row{"1031", Verdict::permanent, "text too long for the type"},
    Row{"1032", Verdict::permanent, "invalid custom field"},
    Row{"1033", Verdict::permanent, "kakaoOptions only for ATA/CTA"},
    Row{"1034", Verdict::permanent, "imageId does not exist"},
    Row{"1041", Verdict::permanent, "invalid KakaoTalk channel (pfId)"},
    Row{"1042", Verdict::permanent, "invalid template id"},
    Row{"1043", Verdict::permanent, "text does not match the registered template"},
    Row{"1044", Verdict::permanent, "invalid button"},
    Row{"1045", Verdict::permanent, "invalid button URL"},
    Row{"1046", Verdict::permanent, "template has buttons: buttons required"},
    Row{"1047", Verdict::permanent, "template has no buttons"},
    Row{"1048", Verdict::permanent, "button URL longer than 100 characters"},
    Row{"1049", Verdict::permanent, "button name longer than 14 characters"},
    Row{"1050", Verdict::permanent, "more than 5 buttons"},
    Row{"1051", Verdict::permanent, "unregistered FriendTalk image"},
    Row{"1052", Verdict::permanent, "buttons out of registered order"},
    Row{"1053", Verdict::permanent, "DS button not allowed for FriendTalk"},
    Row{"1058", Verdict::permanent, "no delivery route"},
    Row{"1060", Verdict::permanent, "recipient number blocked"},
    Row{"1061", Verdict::permanent, "recipient opted out (080)"},
    Row{"1062", Verdict::permanent, "sender number not registered"},
    Row{"1064", Verdict::permanent, "blocked after a KISA report"},
    Row{"2000", Verdict::pending, "registered, to be handed to the carrier"},
    Row{"2011", Verdict::permanent, "format error"},
    Row{"2024", Verdict::retryable, "server error"},
    Row{"2060", Verdict::permanent, "recipient number blocked"},
    Row{"2061", Verdict::permanent, "recipient opted out (080)"},
    Row{"2062", Verdict::permanent, "sender number not registered"},
    Row{"2063", Verdict::permanent, "account blocked"},
    Row{"2064", Verdict::permanent, "blocked after a KISA report"},
    Row{"2230", Verdict::permanent, "insufficient balance"},
    Row{"2254", Verdict::permanent, "treated as spam by the platform"},
    Row{"3000", Verdict::pending, "handed to the carrier, waiting for its report"},
    Row{"3010", Verdict::permanent, "recipient number format error"},
    Row{"3011", Verdict::permanent, "format error"},
    Row{"3012", Verdict::retryable, "relay server error"},
    Row{"3013", Verdict::permanent, "sender number format error"},
    Row{"3014", Verdict::retryable, "unknown message state"},
    Row{"3024", Verdict::retryable, "server error"},
    Row{"3031", Verdict::permanent, "cannot be sent"},
    Row{"3032", Verdict::permanent, "not a subscriber"},
    Row{"3040", Verdict::retryable, "delivery timed out"},
    Row{"3041", Verdict::retryable, "handset busy"},
    Row{"3042", Verdict::retryable, "out of coverage"},
    Row{"3043", Verdict::retryable, "handset powered off"},
    Row{"3044", Verdict::retryable, "handset message storage full"},
    Row{"3045", Verdict::retryable, "handset service temporarily suspended"},
    Row{"3046", Verdict::retryable, "other handset problem"},
    Row{"3047", Verdict::permanent, "recipient refused"},
    Row{"3048", Verdict::retryable, "unknown carrier code"},
    Row{"3050", Verdict::permanent, "handset cannot receive SMS"},
    Row{"3051", Verdict::retryable, "recipient cannot take the call"},
    Row{"3052", Verdict::retryable, "deleted by the carrier's operator"},
    Row{"3053", Verdict::retryable, "carrier message queue full"},
    Row{"3054", Verdict::permanent, "spam"},
    Row{"3055", Verdict::permanent, "spam: number registered at nospam.or.kr"},
    Row{"3056", Verdict::retryable, "failed in the radio network"},
    Row{"3057", Verdict::retryable, "failed between network and handset"},
    Row{"3058", Verdict::retryable, "no delivery route"},
    Row{"3059", Verdict::permanent, "spoofed sender number"},
    Row{"3060", Verdict::permanent, "adult verification failed"},
    Row{"3101", Verdict::permanent, "invalid sender profile key"},
    Row{"3102", Verdict::next_channel, "recipient is not a friend of the channel"},
    Row{"3103", Verdict::permanent, "message does not match the template"},
    Row{"3104", Verdict::next_channel, "not a KakaoTalk user"},
    Row{"3105", Verdict::permanent, "unregistered template"},
    Row{"3106", Verdict::permanent, "invalid KakaoTalk channel"},
    Row{"3107", Verdict::next_channel, "KakaoTalk unused for 72 hours or AlimTalk blocked"},
    Row{"3108", Verdict::next_channel, "outside the hours messages may be sent"},
    Row{"4000", Verdict::delivered, "delivered"},
};

}  // namespace

CodeInfo describe_status_code(std::string_view code) {
  for (const Row& row : kRows) {
    if (row.code == code) return CodeInfo{row.verdict, row.meaning};
  }
  // Unlisted codes, by the documented ranges.
  if (code.size() == 4 && code[0] >= '1' && code[0] <= '4') {
    if (code[0] == '1' || code[0] == '2') return CodeInfo{Verdict::permanent, "refused by Solapi"};
    if (code[0] == '4') return CodeInfo{Verdict::permanent, "unknown Solapi status code"};
    if (code[1] == '1') return CodeInfo{Verdict::next_channel, "KakaoTalk could not deliver"};
    return CodeInfo{Verdict::retryable, "carrier could not deliver"};
  }
  return CodeInfo{Verdict::permanent, "unknown Solapi status code"};
}

}  // namespace jarip::channels::solapi
