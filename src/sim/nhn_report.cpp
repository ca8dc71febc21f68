#include "sim/nhn_report.hpp"

#include "sim/json_text.hpp"
#include "sim/nhn_common.hpp"
#include "sim/timefmt.hpp"

namespace jarip::sim {
namespace {

void str(std::string& out, const char* name, std::string_view v, bool comma = true) {
  if (comma) out += ",";
  out += "\"";
  out += name;
  out += "\":";
  append_json_string(out, v);
}

void str_or_null(std::string& out, const char* name, std::string_view v) {
  if (v.empty()) {
    out += ",\"";
    out += name;
    out += "\":null";
  } else {
    str(out, name, v);
  }
}

bool is_final(const MessageRecord& m) { return m.outcome == Outcome::delivered || m.outcome == Outcome::failed; }

const char* alimtalk_status(const MessageRecord& m) {
  switch (m.outcome) {
    case Outcome::delivered: return "COMPLETED";
    case Outcome::failed:
    case Outcome::rejected: return "FAILED";
    case Outcome::accepted: return "INPROGRESS";
  }
  return "INPROGRESS";
}

std::string base_url(const NhnConfig& cfg, Channel ch) {
  return ch == Channel::alimtalk ? "http://127.0.0.1:" + std::to_string(cfg.alimtalk_port)
                                 : "http://127.0.0.1:" + std::to_string(cfg.sms_port);
}

}  // namespace

const char* nhn_result_code_name(Channel channel, const std::string& code) {
  if (code == "1000") return "성공";
  if (channel == Channel::alimtalk) {
    if (code == "3012") return "카카오 통신 실패";
    if (code == "3019") return "메시지를 발송할 수 없음(카카오톡 유저가 아님)";
    if (code == "3020") return "메시지를 발송할 수 없음(알림톡 수신 차단)";
  } else {
    if (code == "3011") return "서버 오류";
  }
  return "";
}

std::string nhn_alimtalk_message_json(const MessageRecord& m, const NhnConfig& cfg, bool detail) {
  std::string out = "{";
  str(out, "requestId", m.provider_message_id, false);
  out += ",\"recipientSeq\":" + std::to_string(m.recipient_seq);
  str(out, "plusFriendId", "@jarip-sim");
  str(out, "senderKey", cfg.sender_key);
  str(out, "templateCode", m.template_id);
  str(out, "recipientNo", m.to);
  str(out, "content", m.text);
  str(out, "requestDate", nhn_query_date(m.received_ms));
  str(out, "createDate", nhn_query_date(m.received_ms));
  str_or_null(out, "receiveDate", m.outcome == Outcome::delivered ? nhn_query_date(m.final_ms) : "");
  str(out, "resendStatus", "RSC01");
  str(out, "resendStatusName", "대체 발송 미대상");
  str(out, "messageStatus", alimtalk_status(m));
  if (is_final(m)) {
    str(out, "resultCode", m.status_code);
    str(out, "resultCodeName", nhn_result_code_name(Channel::alimtalk, m.status_code));
  } else if (m.outcome == Outcome::rejected) {
    str(out, "resultCode", m.status_code);
    str(out, "resultCodeName", m.status_message);
  } else {
    out += ",\"resultCode\":null,\"resultCodeName\":null";
  }
  out += ",\"createUser\":null";
  str_or_null(out, "senderGroupingKey", m.sender_grouping_key);
  str_or_null(out, "recipientGroupingKey", m.recipient_grouping_key);
  if (detail) out += ",\"buttons\":[]";
  out += "}";
  return out;
}

std::string nhn_sms_message_json(const MessageRecord& m, const NhnConfig& cfg) {
  const bool final = is_final(m);
  std::string out = "{";
  str(out, "requestId", m.provider_message_id, false);
  str(out, "requestDate", nhn_query_date(m.received_ms));
  str_or_null(out, "resultDate", final ? nhn_query_date(m.final_ms) : "");
  out += ",\"templateId\":null,\"templateName\":null,\"categoryId\":null,\"categoryName\":null";
  if (m.kind == Kind::lms) str(out, "title", m.subject);
  str(out, "body", m.text);
  str(out, "sendNo", m.from);
  str(out, "countryCode", "82");
  str(out, "recipientNo", m.to);
  const char* status = m.outcome == Outcome::delivered ? "3" : m.outcome == Outcome::accepted ? "2" : "0";
  const char* status_name = m.outcome == Outcome::delivered ? "성공" : m.outcome == Outcome::accepted ? "처리 중" : "실패";
  str(out, "msgStatus", status);
  str(out, "msgStatusName", status_name);
  if (final) {
    str(out, "resultCode", m.status_code);
    str(out, "resultCodeName", nhn_result_code_name(Channel::sms, m.status_code));
    out += ",\"telecomCode\":10001,\"telecomCodeName\":\"SKT\"";
  } else {
    out += ",\"resultCode\":null,\"resultCodeName\":null,\"telecomCode\":null,\"telecomCodeName\":null";
  }
  out += ",\"recipientSeq\":" + std::to_string(m.recipient_seq);
  str(out, "sendType", m.kind == Kind::sms ? "0" : "1");
  str(out, "messageType", m.kind == Kind::sms ? "SMS" : "LMS");
  out += ",\"messageCount\":1,\"userId\":null";
  str(out, "adYn", "N");
  str(out, "resultMessage", m.outcome == Outcome::rejected ? m.status_message : "");
  str_or_null(out, "senderGroupingKey", m.sender_grouping_key);
  str_or_null(out, "recipientGroupingKey", m.recipient_grouping_key);
  out += "}";
  (void)cfg;
  return out;
}

static std::string envelope(const char* product, const std::string& appkey, const std::string& hooks_id,
                            const std::string& hooks) {
  std::string out = "{";
  str(out, "hooksId", hooks_id, false);
  str(out, "webhookConfigId", "jarip-sim");
  str(out, "productName", product);
  str(out, "appKey", appkey);
  str(out, "event", "MESSAGE_RESULT_UPDATE");
  out += ",\"hooks\":[" + hooks + "]}";
  return out;
}

std::string nhn_alimtalk_report_body(const Store& store, const std::vector<std::uint32_t>& messages,
                                     const NhnConfig& cfg, const std::string& hooks_id) {
  std::string hooks;
  int n = 0;
  for (auto i : messages) {
    const auto& m = store.messages()[i];
    if (!hooks.empty()) hooks += ",";
    hooks += "{";
    str(hooks, "kakaoMessageType", "ALIMTALK_NORMAL", false);
    str(hooks, "requestId", m.provider_message_id);
    hooks += ",\"recipientSeq\":" + std::to_string(m.recipient_seq);
    str(hooks, "requestDate", kst_datetime(m.received_ms));
    str(hooks, "createDate", kst_datetime(m.received_ms));
    str(hooks, "receiveDate", kst_datetime(m.final_ms));
    str(hooks, "recipientNo", m.to);
    str(hooks, "resultCode", m.status_code);
    str_or_null(hooks, "senderGroupingKey", m.sender_grouping_key);
    str_or_null(hooks, "recipientGroupingKey", m.recipient_grouping_key);
    hooks += ",\"isAddedChannel\":null,\"_links\":{\"self\":{";
    str(hooks, "href",
        base_url(cfg, Channel::alimtalk) + "/alimtalk/v2.3/appkeys/" + cfg.alimtalk_appkey + "/messages/" +
            m.provider_message_id + "/" + std::to_string(m.recipient_seq),
        false);
    hooks += "}}";
    str(hooks, "hookId", hooks_id + "-" + std::to_string(++n));
    hooks += "}";
  }
  return envelope("KakaoTalk Bizmessage", cfg.alimtalk_appkey, hooks_id, hooks);
}

std::string nhn_sms_report_body(const Store& store, const std::vector<std::uint32_t>& messages, const NhnConfig& cfg,
                                const std::string& hooks_id) {
  std::string hooks;
  int n = 0;
  for (auto i : messages) {
    const auto& m = store.messages()[i];
    const bool sms = m.kind == Kind::sms;
    if (!hooks.empty()) hooks += ",";
    hooks += "{";
    str(hooks, "hookId", hooks_id + "-" + std::to_string(++n), false);
    str(hooks, "senderType", sms ? "NORMAL_SMS" : "NORMAL_MMS");
    str(hooks, "requestId", m.provider_message_id);
    hooks += ",\"recipientSeq\":" + std::to_string(m.recipient_seq);
    str(hooks, "requestDate", kst_datetime_t(m.received_ms));
    str(hooks, "receiveDate", kst_datetime_t(m.final_ms));
    str(hooks, "sendNo", m.from);
    str(hooks, "recipientNo", m.to);
    str(hooks, "messageStatus", m.outcome == Outcome::delivered ? "COMPLETED" : "FAILED");
    str_or_null(hooks, "recipientGroupingKey", m.recipient_grouping_key);
    str_or_null(hooks, "senderGroupingKey", m.sender_grouping_key);
    str(hooks, "resultCode", m.status_code);
    hooks += ",\"messageCount\":1,\"_links\":{\"self\":{";
    str(hooks, "href",
        base_url(cfg, Channel::sms) + "/sms/v3.0/appKeys/" + cfg.sms_appkey + (sms ? "/sender/sms/" : "/sender/mms/") +
            m.provider_message_id + "?recipientSeq=" + std::to_string(m.recipient_seq),
        false);
    hooks += "}}}";
  }
  return envelope("SMS", cfg.sms_appkey, hooks_id, hooks);
}

}  // namespace jarip::sim
