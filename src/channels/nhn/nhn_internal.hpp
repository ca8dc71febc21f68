// Pieces of the NHN adapter shared between its source files; not part of the channels API.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "channels/nhn/nhn_adapter.hpp"

namespace jarip::channels::nhn::detail {

// What one NHN message row (report hook, lookup row) says, read as a verdict with its code and text.
struct RowVerdict {
  wire::Verdict verdict = wire::Verdict::pending;
  std::string code;
  std::string text;
};

// AlimTalk rows: messageStatus (COMPLETED/FAILED/CANCEL, absent in hooks) and Kakao's resultCode.
RowVerdict alimtalk_row_verdict(const boost::json::object& row);
// SMS/LMS rows: messageStatus (hooks: COMPLETED/FAILED/CANCEL/DUPLICATED/FAILED_AD) or msgStatus (lookups:
// "0"…"7") and the carrier's resultCode.
RowVerdict sms_row_verdict(const boost::json::object& row);

// The webhook body of either NHN service (SMS or KakaoTalk Bizmessage) as reports and opt-outs.
Result<ReportBatch> parse_webhook(std::string_view body);

// "{requestId}:{recipientSeq}" of a row, or empty when the row lacks either.
std::string row_provider_id(const boost::json::object& row);
// recipientGroupingKey, tolerating the misspelling "recipientGropuingKey" in NHN's SMS webhook sample.
std::string row_grouping_key(const boost::json::object& row);

}  // namespace jarip::channels::nhn::detail
