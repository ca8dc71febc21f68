#include "sim/solapi_report.hpp"

#include "sim/json_text.hpp"
#include "sim/timefmt.hpp"

namespace jarip::sim {
namespace {

const char* type_of(Kind k) { return k == Kind::alimtalk ? "ATA" : k == Kind::sms ? "SMS" : "LMS"; }

void field(std::string& out, const char* name, std::string_view value, bool comma = true) {
  if (comma) out += ",";
  out += "\"";
  out += name;
  out += "\":";
  append_json_string(out, value);
}

void field_or_null(std::string& out, const char* name, std::string_view value) {
  if (value.empty()) {
    out += ",\"";
    out += name;
    out += "\":null";
  } else {
    field(out, name, value);
  }
}

}  // namespace

std::string solapi_message_json(const MessageRecord& m, const RequestRecord& request, std::string_view pf_id) {
  const bool final = m.outcome == Outcome::delivered || m.outcome == Outcome::failed;
  const std::string created = iso_utc_ms(m.received_ms);
  const std::string updated = iso_utc_ms(final ? m.final_ms : m.received_ms);
  std::string out = "{";
  field(out, "messageId", m.provider_message_id, false);
  field(out, "groupId", request.provider_request_id);
  field(out, "accountId", kSolapiAccountId);
  field(out, "type", type_of(m.kind));
  field(out, "to", m.to);
  field(out, "from", m.from);
  field(out, "country", "82");
  field(out, "text", m.text);
  field_or_null(out, "subject", m.subject);
  field_or_null(out, "imageId", "");
  field(out, "status", m.outcome == Outcome::rejected ? "FAILED" : final ? "COMPLETE" : "PENDING");
  field(out, "statusCode", m.status_code);
  field_or_null(out, "reason", m.outcome == Outcome::delivered || m.outcome == Outcome::accepted ? "" : m.status_message);
  field_or_null(out, "networkName", final ? "SKT" : "");
  field_or_null(out, "networkCode", "");
  out += ",\"customFields\":";
  out += m.custom_fields_json.empty() ? "{}" : m.custom_fields_json;
  if (m.kind == Kind::alimtalk) {
    out += ",\"kakaoOptions\":{";
    field(out, "pfId", pf_id, false);
    field(out, "templateId", m.template_id);
    out += m.disable_sms ? ",\"disableSms\":true}" : ",\"disableSms\":false}";
  }
  out += ",\"autoTypeDetect\":false,\"replacement\":false,\"resendCount\":0";
  field(out, "dateCreated", created);
  field(out, "dateUpdated", updated);
  field_or_null(out, "dateProcessed", final ? updated : "");
  field_or_null(out, "dateReceived", m.outcome == Outcome::delivered ? updated : "");
  field_or_null(out, "dateReported", final ? updated : "");
  out += "}";
  return out;
}

std::string solapi_report_body(const Store& store, const std::vector<std::uint32_t>& messages, std::string_view pf_id) {
  std::string out = "[";
  bool first = true;
  for (auto i : messages) {
    const auto& m = store.messages()[i];
    if (!first) out += ",";
    first = false;
    out += solapi_message_json(m, store.requests()[m.request_index], pf_id);
  }
  out += "]";
  return out;
}

}  // namespace jarip::sim
