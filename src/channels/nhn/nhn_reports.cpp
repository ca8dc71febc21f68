// NHN webhook parsing (event MESSAGE_RESULT_UPDATE, UNSUBSCRIBE, INTERNATIONAL_DELIVERY_RECEIPT) and the
// reading of message rows shared with status lookups.
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "channels/nhn/nhn_internal.hpp"

namespace jarip::channels::nhn {

namespace json = boost::json;
using wire::Verdict;

std::string provider_message_id(std::string_view request_id, std::string_view recipient_seq) {
  std::string out(request_id);
  out.push_back(':');
  out.append(recipient_seq);
  return out;
}

namespace detail {

std::string row_provider_id(const json::object& row) {
  auto request_id = wire::member_text(row, "requestId");
  auto seq = wire::member_text(row, "recipientSeq");
  if (!request_id || !seq || request_id->empty() || seq->empty()) return {};
  return provider_message_id(*request_id, *seq);
}

std::string row_grouping_key(const json::object& row) {
  if (auto key = wire::member_text(row, "recipientGroupingKey")) return *key;
  return wire::member_text(row, "recipientGropuingKey").value_or("");
}

namespace {

RowVerdict from_code(CodeInfo info, const std::string& code, const std::string& text) {
  RowVerdict v;
  v.verdict = info.verdict;
  v.code = code;
  v.text = text.empty() ? std::string(info.meaning) : text;
  return v;
}

// A row NHN calls failed whose result code reads as success or pending is still a failure.
RowVerdict failed(RowVerdict v, std::string_view fallback_text) {
  if (v.verdict == Verdict::delivered || v.verdict == Verdict::pending) {
    v.verdict = Verdict::permanent;
    v.text = std::string(fallback_text);
  }
  return v;
}

}  // namespace

RowVerdict alimtalk_row_verdict(const json::object& row) {
  std::string status = wire::member_text(row, "messageStatus").value_or("");
  std::string code = wire::member_text(row, "resultCode").value_or("");
  std::string text = wire::member_text(row, "resultCodeName").value_or("");
  if (status == "CANCEL") return RowVerdict{Verdict::permanent, code.empty() ? "CANCEL" : code, "cancelled"};
  if (code.empty()) {
    if (status == "FAILED") return RowVerdict{Verdict::permanent, "FAILED", "failed without a result code"};
    return RowVerdict{};  // in flight
  }
  RowVerdict v = from_code(describe_alimtalk_result_code(code), code, text);
  if (status == "FAILED") return failed(v, "failed");
  if (!status.empty() && status != "COMPLETED" && v.verdict != Verdict::delivered) {
    // READY / PROCESSING … with a provisional code: not final yet.
    return RowVerdict{};
  }
  return v;
}

RowVerdict sms_row_verdict(const json::object& row) {
  std::string code = wire::member_text(row, "resultCode").value_or("");
  std::string text = wire::member_text(row, "resultCodeName").value_or(wire::member_text(row, "resultMessage").value_or(""));
  if (auto status = wire::member_text(row, "messageStatus")) {  // webhook form
    if (*status == "CANCEL") return RowVerdict{Verdict::permanent, code.empty() ? "CANCEL" : code, "cancelled"};
    if (*status == "DUPLICATED") return RowVerdict{Verdict::permanent, code.empty() ? "DUPLICATED" : code, "refused as a duplicate"};
    if (*status == "FAILED_AD") return RowVerdict{Verdict::permanent, code.empty() ? "FAILED_AD" : code, "advertisement restriction"};
    if (*status == "FAILED") {
      if (code.empty()) return RowVerdict{Verdict::permanent, "FAILED", "failed without a result code"};
      return failed(from_code(describe_sms_result_code(code), code, text), "failed");
    }
    if (*status == "COMPLETED" && !code.empty()) return from_code(describe_sms_result_code(code), code, text);
    return RowVerdict{};
  }
  if (auto status = wire::member_text(row, "msgStatus")) {  // lookup form
    const std::string& s = *status;
    if (s == "1" || s == "2" || s == "7") return RowVerdict{};
    if (s == "4") return RowVerdict{Verdict::permanent, code.empty() ? "4" : code, "reservation cancelled"};
    if (s == "3") {
      if (code.empty()) return RowVerdict{Verdict::delivered, "", ""};
      return from_code(describe_sms_result_code(code), code, text);
    }
    // 0 failed, 5 duplicate, 6 advertisement restriction.
    if (code.empty()) return RowVerdict{Verdict::permanent, "msgStatus " + s, "failed"};
    return failed(from_code(describe_sms_result_code(code), code, text), "failed");
  }
  if (code.empty()) return RowVerdict{};
  return from_code(describe_sms_result_code(code), code, text);
}

namespace {

enum class Product { sms, alimtalk, unknown };

Product product_of(const json::object& root) {
  std::string name = wire::ascii_lower(wire::member_text(root, "productName").value_or(""));
  if (name == "sms") return Product::sms;
  if (name.find("kakao") != std::string::npos || name.find("alimtalk") != std::string::npos) return Product::alimtalk;
  return Product::unknown;
}

// The envelope with just this hook: what an auditor needs to see the opt-out as NHN sent it.
std::string evidence_for(const json::object& root, const json::value& hook) {
  json::object out;
  for (const auto& kv : root) {
    if (kv.key() != "hooks") out[kv.key()] = kv.value();
  }
  json::array hooks;
  hooks.push_back(hook);
  out["hooks"] = std::move(hooks);
  return json::serialize(out);
}

}  // namespace

Result<ReportBatch> parse_webhook(std::string_view body) {
  auto parsed = wire::parse_json(body);
  const json::object* root = parsed ? parsed->if_object() : nullptr;
  if (root == nullptr) return make_error("report_invalid", "NHN webhook body is not a JSON object");
  std::string event = wire::member_text(*root, "event").value_or("");
  const json::array* hooks = wire::member_array(*root, "hooks");
  if (event.empty() || hooks == nullptr) return make_error("report_invalid", "NHN webhook without event or hooks");

  ReportBatch batch;
  Product product = product_of(*root);
  for (const json::value& hook_value : *hooks) {
    const json::object* hook = hook_value.if_object();
    if (hook == nullptr) continue;

    if (event == "UNSUBSCRIBE") {
      auto phone = wire::member_text(*hook, "recipientNo");
      if (!phone || phone->empty()) continue;
      OptOutReport opt_out;
      opt_out.phone = wire::normalize_phone(*phone);
      opt_out.opted_out_at = wire::member_text(*hook, "createdDateTime").value_or("");
      opt_out.evidence = evidence_for(*root, hook_value);
      batch.opt_outs.push_back(std::move(opt_out));
      continue;
    }

    RowVerdict verdict;
    if (event == "MESSAGE_RESULT_UPDATE") {
      Product p = product;
      if (p == Product::unknown) {
        p = hook->contains("kakaoMessageType") ? Product::alimtalk : Product::sms;
      }
      verdict = p == Product::alimtalk ? alimtalk_row_verdict(*hook) : sms_row_verdict(*hook);
    } else if (event == "INTERNATIONAL_DELIVERY_RECEIPT") {
      std::string dlr = wire::member_text(*hook, "dlrStatus").value_or("");
      std::string code = wire::member_text(*hook, "errorCode").value_or("");
      if (dlr == "DELIVERED") verdict = RowVerdict{Verdict::delivered, "", ""};
      else if (dlr == "FAILED" || dlr == "REJECTED" || dlr == "EXPIRED" || dlr == "UNKNOWN")
        verdict = RowVerdict{Verdict::permanent, "DLR " + dlr + (code.empty() ? "" : "/" + code), "international delivery " + wire::ascii_lower(dlr)};
      else continue;  // ACCEPTED, BUFFERED: not final
    } else {
      continue;  // template reviews, conversion blocks: nothing for the delivery engine
    }

    auto outcome = wire::to_report_outcome(verdict.verdict);
    if (!outcome) continue;
    std::string id = row_provider_id(*hook);
    std::string key = row_grouping_key(*hook);
    if (id.empty() && key.empty()) continue;  // nothing to attach it to
    DeliveryReport report;
    report.provider_message_id = id;
    report.dedup_key = key;
    report.outcome = *outcome;
    if (*outcome != ReportOutcome::delivered) {
      report.error_code = verdict.code;
      report.error_text = verdict.text;
    }
    if (auto when = wire::member_text(*hook, "receiveDate")) {
      report.reported_at_ms = wire::parse_timestamp(*when, wire::kKoreaOffsetMinutes).value_or(0);
    }
    batch.reports.push_back(std::move(report));
  }
  return batch;
}

}  // namespace detail
}  // namespace jarip::channels::nhn
