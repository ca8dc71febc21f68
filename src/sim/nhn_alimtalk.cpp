#include "sim/nhn_alimtalk.hpp"

#include <boost/json.hpp>

#include <map>

#include "common/crypto.hpp"
#include "sim/cp949.hpp"
#include "sim/json_text.hpp"
#include "sim/nhn_common.hpp"
#include "sim/nhn_report.hpp"
#include "sim/phone.hpp"
#include "sim/template_render.hpp"
#include "sim/timefmt.hpp"

namespace jarip::sim {
namespace json = boost::json;
namespace {

const Template* find_template(const SimContext& ctx, const std::string& code) {
  for (const auto& t : ctx.config.nhn.templates)
    if (t.id == code) return &t;
  return nullptr;
}

struct RecipientCheck {
  int code = 0;
  std::string message = "SUCCESS";
  std::string to, text, grouping_key;
};

RecipientCheck check_recipient(const json::value& r, const Template& t) {
  RecipientCheck c;
  auto fail = [&](int code, std::string msg) {
    c.code = code;
    c.message = std::move(msg);
    return c;
  };
  if (!r.is_object()) return fail(-2002, "The 'recipientList[]' must not be null.");
  c.grouping_key = get_string(r, "recipientGroupingKey").value_or("");
  auto no = get_string(r, "recipientNo");
  if (!no || no->empty()) return fail(-2001, "The 'recipientNo' must not be blank.");
  c.to = *no;
  if (no->size() > 15) return fail(-2000, "The 'recipientNo' must be at less than or equal to 15.");
  auto normal = normalize_kr_number(*no);
  if (!normal) return fail(-4019, "Invalid recipient number.");
  c.to = *normal;
  if (utf8_length(c.grouping_key).value_or(101) > 100)
    return fail(-2000, "The 'recipientGroupingKey' must be at less than or equal to 100.");
  std::map<std::string, std::string> vars;
  if (const auto* p = find_field(r, "templateParameter"); p && !p->is_null()) {
    if (!p->is_object()) return fail(-3004, "Please check template parameter.");
    for (const auto& kv : p->get_object()) {
      if (!kv.value().is_string()) return fail(-3004, "Please check template parameter.");
      std::string v = to_std(kv.value().get_string());
      if (utf8_length(v).value_or(1301) > 1300)
        return fail(-3048, "The template parameter's length can not exceed 1300 characters.");
      vars[bare_variable_name(std::string_view(kv.key().data(), kv.key().size()))] = std::move(v);
    }
  }
  Rendered rendered = render_template(t.content, vars);
  if (!rendered.missing.empty()) return fail(-3049, "The template parameter is not matched to template.");
  if (utf8_length(rendered.text).value_or(1301) > 1300)
    return fail(-2019, "The content that is replaced by the template parameters can not exceed 1,300 characters.");
  c.text = std::move(rendered.text);
  if (const auto* b = find_field(r, "buttons"); b && !b->is_null()) {
    if (!b->is_array()) return fail(-2018, "Button parameter is invalid.");
    for (const auto& btn : b->get_array()) {
      auto ordering = get_int(btn, "ordering");
      if (!ordering) return fail(-2018, "Button parameter is invalid.");
      if (*ordering < 1 || *ordering > static_cast<long long>(t.buttons.size()))
        return fail(-3033, "The button or quickReply is not exist in template.");
      const auto& reg = t.buttons[static_cast<std::size_t>(*ordering - 1)];
      auto type = get_string(btn, "type"), name = get_string(btn, "name");
      if ((type && *type != reg.type) || (name && *name != reg.name))
        return fail(-3011, "The buttons or quickReplies are not matched to template. This message can be resend by sms service if the resend setting is on.");
    }
  }
  return c;
}

ProviderResult send(SimContext& ctx, const HttpIn& in, const ParsedBody& body, std::uint32_t request_index) {
  ProviderResult res;
  const auto now = ctx.now();
  const auto& cfg = ctx.config.nhn;
  if (auto key = in.header("X-NC-API-IDEMPOTENCY-KEY"); !key.empty()) {
    std::string k(key);
    auto it = ctx.nhn_idempotency.find(k);
    if (it != ctx.nhn_idempotency.end() && it->second > now) {
      res.out = nhn_error(200, -1005, "The same 'X-NC-API-IDEMPOTENCY-KEY' was used within the last 10 minute.");
      return res;
    }
    ctx.nhn_idempotency[k] = now + kNhnIdempotencyWindowMs;
  }
  if (!body || !body->is_object()) {
    res.out = nhn_error(200, 4, "Parameter validation failed: the request body is not a JSON object.");
    return res;
  }
  auto sender = get_string(*body, "senderKey");
  if (!sender || sender->empty()) {
    res.out = nhn_error(200, -2001, "The 'senderKey' must not be blank.");
    return res;
  }
  auto code = get_string(*body, "templateCode");
  if (!code || code->empty()) {
    res.out = nhn_error(200, -2001, "The 'templateCode' must not be blank.");
    return res;
  }
  const auto* list = find_field(*body, "recipientList");
  if (!list || !list->is_array() || list->get_array().empty()) {
    res.out = nhn_error(200, -2001, "The 'recipientList' must not be blank.");
    return res;
  }
  if (list->get_array().size() > 1000) {
    res.out = nhn_error(200, -2005, "The 'recipientList' must be less than or equal to 1000.");
    return res;
  }
  if (!crypto::constant_time_equals(*sender, cfg.sender_key)) {
    res.out = nhn_error(200, -2017, "Not exist plus friend.");
    return res;
  }
  const Template* t = find_template(ctx, *code);
  if (!t) {
    res.out = nhn_error(200, -3003, "Template does not exist.");
    return res;
  }
  if (auto rd = get_string(*body, "requestDate"); rd && !parse_kst_datetime(*rd)) {
    res.out = nhn_error(200, -2027, "The 'requestDate' has invalid format.");
    return res;
  }
  const std::string request_id = ctx.nhn_request_id();
  const std::string sender_group = get_string(*body, "senderGroupingKey").value_or("");
  res.provider_request_id = request_id;
  std::string results;
  int seq = 0, ok = 0;
  for (const auto& r : list->get_array()) {
    ++seq;
    RecipientCheck c = check_recipient(r, *t);
    MessageRecord rec;
    rec.request_index = request_index;
    rec.provider = Provider::nhn;
    rec.channel = Channel::alimtalk;
    rec.kind = Kind::alimtalk;
    rec.to = c.to;
    rec.text = c.text;
    rec.template_id = *code;
    rec.recipient_grouping_key = c.grouping_key;
    rec.sender_grouping_key = sender_group;
    rec.jarip_message_id = jarip_id_from_grouping_key(c.grouping_key);
    rec.dedup_key = c.grouping_key;
    rec.provider_message_id = request_id;
    rec.recipient_seq = seq;
    rec.received_ms = now;
    rec.outcome = c.code == 0 ? Outcome::accepted : Outcome::rejected;
    rec.status_code = std::to_string(c.code);
    rec.status_message = c.message;
    if (c.code == 0) ++ok;
    if (!results.empty()) results += ",";
    results += "{\"recipientSeq\":" + std::to_string(seq) + ",\"recipientNo\":";
    append_json_string(results, c.to);
    results += ",\"resultCode\":" + std::to_string(c.code) + ",\"resultMessage\":";
    append_json_string(results, c.message);
    results += ",\"recipientGroupingKey\":";
    if (c.grouping_key.empty()) results += "null";
    else append_json_string(results, c.grouping_key);
    results += "}";
    res.messages.push_back(ctx.store.add_message(std::move(rec)));
  }
  std::string out = "{\"header\":";
  out += ok > 0 ? nhn_header_json(0, "SUCCESS") : nhn_header_json(-1031, "All of receivers are failed.");
  out += ",\"message\":{\"requestId\":";
  append_json_string(out, request_id);
  out += ",\"senderGroupingKey\":";
  if (sender_group.empty()) out += "null";
  else append_json_string(out, sender_group);
  out += ",\"sendResults\":[" + results + "]}}";
  res.out = HttpOut{200, std::move(out)};
  return res;
}

ProviderResult single(SimContext& ctx, const std::string& request_id, const std::string& seq_text) {
  ProviderResult res;
  const MessageRecord* m = ctx.store.find(request_id + "#" + seq_text);
  if (!m || m->channel != Channel::alimtalk) {
    res.out = nhn_error(200, -1016, "It is not found any messages responding with that requestId or recipientSeq.");
    return res;
  }
  res.out = HttpOut{200, "{\"header\":" + nhn_header_json(0, "SUCCESS") + ",\"message\":" +
                             nhn_alimtalk_message_json(*m, ctx.config.nhn, true) + "}"};
  return res;
}

ProviderResult list(SimContext& ctx, const HttpIn& in) {
  ProviderResult res;
  auto q = parse_query(in.query());
  const std::string request_id = query_get(q, "requestId");
  const auto window = nhn_query_window(q);
  if (request_id.empty() && !window) {
    res.out = nhn_error(200, 4, "Parameter validation failed: requestId or startRequestDate/endRequestDate is required.");
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
    res.out = nhn_error(200, 4, "Parameter validation failed: pageNum/pageSize.");
    return res;
  }
  const std::string group = query_get(q, "recipientGroupingKey"), no = query_get(q, "recipientNo"),
                    sgroup = query_get(q, "senderGroupingKey"), tcode = query_get(q, "templateCode");
  auto match = [&](const MessageRecord& m) {
    if (m.provider != Provider::nhn || m.channel != Channel::alimtalk) return false;
    if (!request_id.empty() && m.provider_message_id != request_id) return false;
    if (request_id.empty() && (m.received_ms < window->first_ms || m.received_ms > window->last_ms)) return false;
    if (!group.empty() && m.recipient_grouping_key != group) return false;
    if (!no.empty() && m.to != no) return false;
    if (!sgroup.empty() && m.sender_grouping_key != sgroup) return false;
    if (!tcode.empty() && m.template_id != tcode) return false;
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
    items += nhn_alimtalk_message_json(*found[i], ctx.config.nhn, false);
  }
  res.out = HttpOut{200, "{\"header\":" + nhn_header_json(0, "SUCCESS") + ",\"messageSearchResultResponse\":{\"messages\":[" +
                             items + "],\"totalCount\":" + std::to_string(found.size()) + "}}"};
  return res;
}

}  // namespace

ProviderResult nhn_alimtalk_handle(SimContext& ctx, const HttpIn& in, const ParsedBody& body, std::uint32_t request_index) {
  auto parts = split_path(in.path());
  // alimtalk / v2.3 / appkeys / {appkey} / messages [/ requestId / seq]
  if (parts.size() < 5 || parts[0] != "alimtalk" || parts[1] != "v2.3" || parts[2] != "appkeys" || parts[4] != "messages" ||
      (parts.size() != 5 && parts.size() != 7))
    return ProviderResult{nhn_error(404, -9998, "Not exist API."), {}, {}};
  const bool collection = parts.size() == 5;
  if ((collection && in.method != "POST" && in.method != "GET") || (!collection && in.method != "GET"))
    return ProviderResult{nhn_error(405, -9998, "Not exist API."), {}, {}};
  if (!crypto::constant_time_equals(parts[3], ctx.config.nhn.alimtalk_appkey)) {
    ++ctx.counters.auth_failures;
    return ProviderResult{nhn_error(200, -1000, "Invalid appKey."), {}, {}};
  }
  if (!crypto::constant_time_equals(in.header("X-Secret-Key"), ctx.config.nhn.secret_key)) {
    ++ctx.counters.auth_failures;
    return ProviderResult{nhn_error(200, -1001, "Invalid secretKey."), {}, {}};
  }
  if (!collection) return single(ctx, parts[5], parts[6]);
  if (in.method == "GET") return list(ctx, in);
  return send(ctx, in, body, request_index);
}

}  // namespace jarip::sim
