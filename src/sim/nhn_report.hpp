// NHN Cloud message objects (query APIs) and the MESSAGE_RESULT_UPDATE webhook bodies:
// {"hooksId","webhookConfigId","productName","appKey","event":"MESSAGE_RESULT_UPDATE","hooks":[…]},
// sent with header X-Toast-Webhook-Signature = the configured webhook_signature.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/config.hpp"
#include "sim/store.hpp"

namespace jarip::sim {

// Final result codes the simulator reports.
namespace nhn_code {
inline constexpr const char* kDelivered = "1000";
inline constexpr const char* kAlimtalkKakaoFailure = "3012";  // 카카오 통신 실패
inline constexpr const char* kAlimtalkNotKakaoUser = "3019";  // 카카오톡 유저가 아님
inline constexpr const char* kAlimtalkBlocked = "3020";       // 알림톡 수신 차단
inline constexpr const char* kSmsServerError = "3011";        // 서버 오류 (이통사)
}  // namespace nhn_code

const char* nhn_result_code_name(Channel channel, const std::string& code);

std::string nhn_alimtalk_message_json(const MessageRecord& m, const NhnConfig& cfg, bool detail);
std::string nhn_sms_message_json(const MessageRecord& m, const NhnConfig& cfg);

std::string nhn_alimtalk_report_body(const Store& store, const std::vector<std::uint32_t>& messages,
                                     const NhnConfig& cfg, const std::string& hooks_id);
std::string nhn_sms_report_body(const Store& store, const std::vector<std::uint32_t>& messages, const NhnConfig& cfg,
                                const std::string& hooks_id);

}  // namespace jarip::sim
