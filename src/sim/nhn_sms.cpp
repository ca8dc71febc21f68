#include "sim/nhn_sms.hpp"

#include <boost/json.hpp>

#include "common/crypto.hpp"
#include "sim/cp949.hpp"
#include "sim/json_text.hpp"
#include "sim/nhn_common.hpp"
#include "sim/nhn_report.hpp"
#include "sim/phone.hpp"
#include "sim/timefmt.hpp"

namespace jarip::sim {
namespace json = boost::json;
namespace {

bool registered(const SimContext& ctx, const std::string& n) {
  for (const auto& s : ctx.config.nhn.send_nos)
    if (s == n) return true;
  return false;
}

ProviderResult send(SimContext& ctx, const HttpIn& in, const ParsedBody& body, std::uint32_t request_index, bool lms) {
  ProviderResult res;
  const auto now = ctx.now();
  if (in.header("Content-Type").find("application/json") == std::string_view::npos) {
    res.out = nhn_error(200, -9996, "Only application/json Content-type is supported.");
    return res;
  }
  if (!body || !body->is_object()) {
    res.out = nhn_error(200, -9997, "Invalid API parameters.");
    return res;
  }
  const std::string text = get_string(*body, "body").value_or("");
  const std::string title = get_string(*body, "title").value_or("");
  if (text.empty() || (lms && title.empty())) {
    res.out = nhn_error(200, -2014, "The recipient can not be empty.");  // NHN's documented message
    return res;
  }
  auto chars = utf8_length(text), title_chars = utf8_length(title);
  if (!cp949_length(text) || !cp949_length(title)) {
    res.out = nhn_error(200, -2023, "Unacceptable characters in title and body.");
    return res;
  }
  if (!chars || !title_chars || *chars > (lms ? 4000u : 255u) || *title_chars > 120) {
    res.out = nhn_error(200, -2015, "Title or Body exceed maximum byte.");
    return res;
  }
  const std::string send_no_raw = get_string(*body, "sendNo").value_or("");
  auto send_no = normalize_kr_number(send_no_raw);
  if (send_no_raw.empty() || !send_no || !registered(ctx, *send_no)) {
    res.out = nhn_error(200, -2312, "Not regist sendno.");
    return res;
  }
  if (const auto* files = find_field(*body, "attachFileIdList"); files && files->is_array() && !files->get_array().empty()) {
    res.out = nhn_error(200, -2004, "File is expired or does not exist.");  // the simulator stores no files
    return res;
  }
  if (auto rd = get_string(*body, "requestDate"); rd && !parse_kst_datetime(*rd)) {
    res.out = nhn_error(200, -2000, "Date format error.");
    return res;
  }
  const auto* list = find_field(*body, "recipientList");
  if (!list || !list->is_array() || list->get_array().empty()) {
    res.out = nhn_error(200, -2001, "RecipientList can not be null.");
    return res;
  }
  if (list->get_array().size() > 1000) {
    res.out = nhn_error(200, -2016, "The max recipient size is 1000.");
    return res;
  }
  const std::string request_id = ctx.nhn_request_id();
  const std::string sender_group = get_string(*body, "senderGroupingKey").value_or("");
  res.provider_request_id = request_id;
  std::string results;
  int seq = 0, ok = 0;
  for (const auto& r : list->get_array()) {
    ++seq;
    int code = 0;
    std::string message = "SUCCESS";
    std::string to = r.is_object() ? get_string(r, "recipientNo").value_or("") : "";
    if (to.empty() && r.is_object()) {
      // internationalRecipientNo "8210…" is accepted for domestic numbers only.
      auto intl = get_string(r, "internationalRecipientNo").value_or("");
      if (intl.rfind("82", 0) == 0) to = "0" + intl.substr(2);
    }
    const std::string grouping = r.is_object() ? get_string(r, "recipientGroupingKey").value_or("") : "";
    if (to.empty()) {
      code = -2018, message = "RecipientNo can not be empty.";
    } else if (auto n = normalize_kr_number(to); !n) {
      code = -2019, message = "RecipientNo is invalid.";
    } else {
      to = *n;
    }
    MessageRecord rec;
    rec.request_index = request_index;
    rec.provider = Provider::nhn;
    rec.channel = Channel::sms;
    rec.kind = lms ? Kind::lms : Kind::sms;
    rec.to = to;
    rec.from = *send_no;
    rec.text = text;
    rec.subject = title;
    rec.recipient_grouping_key = grouping;
    rec.sender_grouping_key = sender_group;
    rec.jarip_message_id = jarip_id_from_grouping_key(grouping);
    rec.dedup_key = grouping;
    rec.provider_message_id = request_id;
    rec.recipient_seq = seq;
    rec.received_ms = now;
    rec.outcome = code == 0 ? Outcome::accepted : Outcome::rejected;
    rec.status_code = std::to_string(code);
    rec.status_message = message;
    if (code == 0) ++ok;
    if (!results.empty()) results += ",";
    results += "{\"recipientNo\":";
    append_json_string(results, to);
    results += ",\"resultCode\":" + std::to_string(code) + ",\"resultMessage\":";
    append_json_string(results, message);
    results += ",\"recipientSeq\":" + std::to_string(seq) + ",\"recipientGroupingKey\":";
    if (grouping.empty()) results += "null";
    else append_json_string(results, grouping);
    results += "}";
    res.messages.push_back(ctx.store.add_message(std::move(rec)));
  }
  std::string out = "{\"header\":" + nhn_header_json(0, "SUCCESS") + ",\"body\":{\"data\":{\"requestId\":";
  append_json_string(out, request_id);
  out += ok > 0 ? ",\"statusCode\":\"2\"" : ",\"statusCode\":\"3\"";
  out += ",\"senderGroupingKey\":";
  if (sender_group.empty()) out += "null";
  else append_json_string(out, sender_group);
  out += ",\"sendResultList\":[" + results + "]}}}";
  res.out = HttpOut{200, std::move(out)};
  return res;
}

ProviderResult single(SimContext& ctx, const HttpIn& in, const std::string& request_id, bool lms) {
  ProviderResult res;
  auto q = parse_query(in.query());
  auto seq = query_get(q, "recipientSeq");
  if (seq.empty()) {
    res.out = nhn_error(200, -2012, "Search parameter is invalid.(requestId and mtPr).");
    return res;
  }
  const MessageRecord* m = ctx.store.find(request_id + "#" + seq);
  if (!m || m->channel != Channel::sms || (m->kind == Kind::lms) != lms) {
    res.out = nhn_error(200, -2008, "Invalid requestId.");
    return res;
  }
  res.out = HttpOut{200, "{\"header\":" + nhn_header_json(0, "SUCCESS") + ",\"body\":{\"data\":" +
                             nhn_sms_message_json(*m, ctx.config.nhn) + "}}"};
  return res;
}

ProviderResult list(SimContext& ctx, const HttpIn& in, bool lms) {
  ProviderResult res;
  auto q = parse_query(in.query());
  const std::string request_id = query_get(q, "requestId");
  const auto window = nhn_query_window(q);
  if (request_id.empty() && !window) {
    res.out = nhn_error(200, -2011, "RequestId or start/endRequestDate or start/endCreateDate is required.");
    return res;
  }
  long page = 1, size = 15;
  try {
    if (auto p = query_get(q, "pageNum"); !p.empty()) page = std::stol(p);
    if (auto s = query_get(q, "pageSize"); !s.empty()) size = std::stol(s);
  } catch (...) {
    page = -1;
  }
  if (page < 1 || size < 1 || size > 1000) {
    res.out = nhn_error(200, -1005, "Service parameter is invalid.");
    return res;
  }
  const std::string group = query_get(q, "recipientGroupingKey"), no = query_get(q, "recipientNo"),
                    sgroup = query_get(q, "senderGroupingKey");
  auto match = [&](const MessageRecord& m) {
    if (m.provider != Provider::nhn || m.channel != Channel::sms || (m.kind == Kind::lms) != lms) return false;
    if (!request_id.empty() && m.provider_message_id != request_id) return false;
    if (request_id.empty() && (m.received_ms < window->first_ms || m.received_ms > window->last_ms)) return false;
    if (!group.empty() && m.recipient_grouping_key != group) return false;
    if (!no.empty() && m.to != no) return false;
    if (!sgroup.empty() && m.sender_grouping_key != sgroup) return false;
    return true;
  };
  std::vector<const MessageRecord*> found;
  if (!request_id.empty()) {
    for (auto i : ctx.store.find_request(request_id))
      if (match(ctx.store.messages()[i])) found.push_back(&ctx.store.messages()[i]);
  } else {
    for (const auto& m : ctx.store.messages())
      if (match(m)) found.push_back(&m);
  }
  std::string items;
  for (std::size_t i = static_cast<std::size_t>((page - 1) * size); i < found.size() && i < static_cast<std::size_t>(page * size); ++i) {
    if (!items.empty()) items += ",";
    items += nhn_sms_message_json(*found[i], ctx.config.nhn);
  }
  res.out = HttpOut{200, "{\"header\":" + nhn_header_json(0, "SUCCESS") + ",\"body\":{\"pageNum\":" + std::to_string(page) +
                             ",\"pageSize\":" + std::to_string(size) + ",\"totalCount\":" + std::to_string(found.size()) +
                             ",\"data\":[" + items + "]}}"};
  return res;
}

}  // namespace

ProviderResult nhn_sms_handle(SimContext& ctx, const HttpIn& in, const ParsedBody& body, std::uint32_t request_index) {
  auto parts = split_path(in.path());
  // sms / v3.0 / appKeys / {appKey} / sender / sms|mms [/ requestId]
  if (parts.size() < 6 || parts.size() > 7 || parts[0] != "sms" || parts[1] != "v3.0" || parts[2] != "appKeys" ||
      parts[4] != "sender" || (parts[5] != "sms" && parts[5] != "mms"))
    return ProviderResult{nhn_error(404, -9998, "Not exist API."), {}, {}};
  const bool lms = parts[5] == "mms";
  const bool collection = parts.size() == 6;
  if ((collection && in.method != "POST" && in.method != "GET") || (!collection && in.method != "GET"))
    return ProviderResult{nhn_error(405, -9998, "Not exist API."), {}, {}};
  if (!crypto::constant_time_equals(parts[3], ctx.config.nhn.sms_appkey)) {
    ++ctx.counters.auth_failures;
    return ProviderResult{nhn_error(200, -1001, "Service is not exist."), {}, {}};
  }
  if (!crypto::constant_time_equals(in.header("X-Secret-Key"), ctx.config.nhn.secret_key)) {
    ++ctx.counters.auth_failures;
    return ProviderResult{nhn_error(401, -1000, "Invalid secretKey."), {}, {}};
  }
  if (!collection) return single(ctx, in, parts[6], lms);
  if (in.method == "GET") return list(ctx, in, lms);
  return send(ctx, in, body, request_index, lms);
}

}  // namespace jarip::sim
