#include "sim/solapi_send.hpp"

#include <boost/json.hpp>

#include <map>
#include <optional>
#include <set>

#include "sim/cp949.hpp"
#include "sim/json_text.hpp"
#include "sim/phone.hpp"
#include "sim/solapi_auth.hpp"
#include "sim/solapi_codes.hpp"
#include "sim/solapi_report.hpp"
#include "sim/template_render.hpp"
#include "sim/timefmt.hpp"

namespace jarip::sim {
namespace json = boost::json;
namespace code = solapi_code;

ParsedBody parse_body(const std::string& body) {
  if (body.empty()) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec) return std::nullopt;
  return v;
}

namespace {

constexpr std::size_t kMaxMessages = 10'000;

HttpOut error_out(int status, const char* code_text, const std::string& message) {
  return HttpOut{status, solapi_error_json(code_text, message)};
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

struct Checked {
  std::string type;  // SMS | LMS | MMS | ATA (or as given when invalid)
  std::string to, from, text, subject, template_id;
  std::string custom_fields_json;
  std::string jarip_id, dedup_key;
  bool disable_sms = false;
  const char* fail = nullptr;  // status code when refused
};

bool is_sender(const SimContext& ctx, const std::string& n) {
  for (const auto& s : ctx.config.solapi.senders)
    if (s == n) return true;
  return false;
}

const Template* find_template(const SimContext& ctx, const std::string& id) {
  for (const auto& t : ctx.config.solapi.templates)
    if (t.id == id) return &t;
  return nullptr;
}

// Compares given kakaoOptions.buttons with the registered ones.
const char* check_buttons(const json::value& given, const Template& t) {
  if (!given.is_array()) return code::kBadButton;
  const auto& arr = given.get_array();
  if (arr.empty()) return nullptr;
  if (t.buttons.empty()) return code::kNoButtonsInTemplate;
  if (arr.size() != t.buttons.size()) return code::kBadButton;
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const auto& b = arr[i];
    if (!b.is_object()) return code::kBadButton;
    auto name = get_string(b, "buttonName").value_or("");
    auto type = get_string(b, "buttonType").value_or("");
    const auto& reg = t.buttons[i];
    if (name != reg.name || type != reg.type) {
      for (const auto& other : t.buttons)
        if (other.name == name && other.type == type) return code::kButtonOrder;
      return code::kBadButton;
    }
    if (get_string(b, "linkMo").value_or("") != reg.link_mo) return code::kBadButton;
    if (get_string(b, "linkPc").value_or(reg.link_pc) != reg.link_pc) return code::kBadButton;
    if (get_string(b, "linkAnd").value_or("") != reg.link_android) return code::kBadButton;
    if (get_string(b, "linkIos").value_or("") != reg.link_ios) return code::kBadButton;
  }
  return nullptr;
}

// Checks one message for one recipient. Stops at the first problem, as Solapi reports one code.
Checked check_message(const SimContext& ctx, const json::value& m, const std::string& raw_to) {
  Checked c;
  auto fail = [&](const char* why) {
    if (!c.fail) c.fail = why;
    return c;
  };
  c.to = raw_to;
  if (auto f = get_string(m, "from")) c.from = *f;
  if (auto t = get_string(m, "text")) c.text = *t;
  if (auto s = get_string(m, "subject")) c.subject = *s;
  const json::value* kakao = find_field(m, "kakaoOptions");
  if (kakao && kakao->is_null()) kakao = nullptr;

  // customFields first: they are echoed even on failures.
  if (const auto* cf = find_field(m, "customFields"); cf && !cf->is_null()) {
    if (!cf->is_object()) return fail(code::kCustomFields);
    for (const auto& kv : cf->get_object()) {
      if (!kv.value().is_string()) return fail(code::kCustomFields);
      auto klen = utf8_length(std::string_view(kv.key().data(), kv.key().size()));
      auto vlen = utf8_length(std::string_view(kv.value().get_string().data(), kv.value().get_string().size()));
      if (!klen || !vlen || *klen > 30 || *vlen > 100) return fail(code::kCustomFields);
    }
    c.custom_fields_json = json::serialize(*cf);
    c.jarip_id = get_string(*cf, "jarip_message_id").value_or("");
    c.dedup_key = get_string(*cf, "jarip_dedup_key").value_or("");
  }

  const json::value* type_v = find_field(m, "type");
  if (type_v && !type_v->is_null()) {
    if (!type_v->is_string()) return fail(code::kBadType);
    c.type = upper(to_std(type_v->get_string()));
    if (c.type != "SMS" && c.type != "LMS" && c.type != "MMS" && c.type != "ATA") return fail(code::kBadType);
  } else if (kakao && get_string(*kakao, "templateId")) {
    c.type = "ATA";
  } else {
    auto bytes = cp949_length(c.text);
    c.type = (!c.subject.empty() || (bytes && *bytes > 90)) ? "LMS" : "SMS";
  }

  if (c.to.empty()) return fail(code::kRequired);
  auto to = normalize_kr_number(c.to);
  if (!to) return fail(code::kFormat);
  c.to = *to;
  if (!c.from.empty()) {
    auto from = normalize_kr_number(c.from);
    if (!from) return fail(code::kFormat);
    c.from = *from;
  }

  if (c.type != "ATA") {
    if (kakao) return fail(code::kKakaoOptionsType);
    if (c.from.empty() || c.text.empty()) return fail(code::kRequired);
    if (!is_sender(ctx, c.from)) return fail(code::kSenderNotRegistered);
    auto bytes = cp949_length(c.text);
    if (!bytes) return fail(code::kNotEucKr);
    if (c.type == "SMS" && !c.subject.empty()) return fail(code::kSubjectOnSms);
    if (!c.subject.empty()) {
      auto sb = cp949_length(c.subject);
      if (!sb) return fail(code::kNotEucKr);
      if (*sb > 40) return fail(code::kSubjectTooLong);
    }
    if (*bytes > (c.type == "SMS" ? 90u : 2000u)) return fail(code::kTooLong);
    if (c.type == "MMS") {
      auto image = get_string(m, "imageId");
      return fail(image ? code::kNoImage : code::kRequired);  // the simulator stores no images
    }
    return c;
  }

  // ATA (AlimTalk)
  if (!kakao || !kakao->is_object()) return fail(code::kRequired);
  if (!c.from.empty() && !is_sender(ctx, c.from)) return fail(code::kSenderNotRegistered);
  c.disable_sms = get_bool(*kakao, "disableSms").value_or(false);
  auto pf = get_string(*kakao, "pfId");
  if (!pf) return fail(code::kRequired);
  if (*pf != ctx.config.solapi.pf_id) return fail(code::kBadPfId);
  auto tid = get_string(*kakao, "templateId");
  if (!tid) return fail(code::kRequired);
  c.template_id = *tid;
  const Template* t = find_template(ctx, *tid);
  if (!t) return fail(code::kBadTemplate);
  std::map<std::string, std::string> vars;
  if (const auto* v = find_field(*kakao, "variables"); v && !v->is_null()) {
    if (!v->is_object()) return fail(code::kFormat);
    for (const auto& kv : v->get_object()) {
      if (!kv.value().is_string()) return fail(code::kFormat);
      vars[bare_variable_name(std::string_view(kv.key().data(), kv.key().size()))] = to_std(kv.value().get_string());
    }
  }
  Rendered r = render_template(t->content, vars);
  if (!r.missing.empty()) return fail(code::kTemplateMismatch);
  if (!c.text.empty() && c.text != r.text) return fail(code::kTemplateMismatch);
  c.text = r.text;
  auto chars = utf8_length(c.text);
  if (!chars || *chars > 1000) return fail(code::kTooLong);
  if (const auto* b = find_field(*kakao, "buttons"); b && !b->is_null())
    if (const char* why = check_buttons(*b, *t)) return fail(why);
  return c;
}

Kind kind_of(const std::string& type) {
  if (type == "ATA") return Kind::alimtalk;
  if (type == "SMS") return Kind::sms;
  return Kind::lms;
}

json::object cash_zero() {
  return json::object{{"requested", 0}, {"replacement", 0}, {"refund", 0}, {"sum", 0}};
}

json::object type_counts(const std::map<std::string, int>& counts, bool per_country) {
  json::object o;
  for (const char* k : {"sms", "lms", "mms", "ata", "cta", "cti", "nsa", "rcs_sms", "rcs_lms", "rcs_mms", "rcs_tpl"}) {
    auto it = counts.find(k);
    int n = it == counts.end() ? 0 : it->second;
    if (per_country) {
      json::object c;
      if (n > 0) c["82"] = n;
      o[k] = std::move(c);
    } else {
      o[k] = 0;
    }
  }
  return o;
}

ProviderResult send_many_detail(SimContext& ctx, const ParsedBody& body, std::uint32_t request_index) {
  ProviderResult res;
  if (!body || !body->is_object()) {
    res.out = error_out(400, "ValidationError", "JSON 형식의 요청 본문이 필요합니다.");
    return res;
  }
  const json::value* messages = find_field(*body, "messages");
  if (!messages || !messages->is_array() || messages->get_array().empty()) {
    res.out = error_out(400, "ValidationError", "데이터가 반드시 1건 이상 기입되어 있어야 합니다.");
    return res;
  }
  if (messages->get_array().size() > kMaxMessages) {
    res.out = error_out(400, "ValidationError", "한 번에 최대 10,000건까지 발송할 수 있습니다.");
    return res;
  }
  const bool allow_duplicates = get_bool(*body, "allowDuplicates").value_or(false);
  const bool show_list = get_bool(*body, "showMessageList").value_or(false);
  const std::int64_t now = ctx.now();
  const std::string group_id = ctx.solapi_id('G');
  res.provider_request_id = group_id;

  std::set<std::string> seen_to;
  std::map<std::string, int> charge;
  int failed = 0, ok = 0;
  json::array failed_list, message_list;
  for (const auto& m : messages->get_array()) {
    std::vector<std::string> recipients;
    if (const auto* to = find_field(m, "to")) {
      if (to->is_string()) recipients.push_back(to_std(to->get_string()));
      else if (to->is_array())
        for (const auto& t : to->get_array()) recipients.push_back(t.is_string() ? to_std(t.get_string()) : std::string{});
    }
    if (recipients.empty()) recipients.emplace_back();
    for (const auto& raw_to : recipients) {
      Checked c = m.is_object() ? check_message(ctx, m, raw_to) : Checked{};
      if (!m.is_object()) c.fail = code::kFormat;
      if (!c.fail && !allow_duplicates && !seen_to.insert(c.to).second) c.fail = code::kDuplicateTo;
      MessageRecord rec;
      rec.request_index = request_index;
      rec.provider = Provider::solapi;
      rec.kind = kind_of(c.type);
      rec.channel = rec.kind == Kind::alimtalk ? Channel::alimtalk : Channel::sms;
      rec.jarip_message_id = c.jarip_id;
      rec.dedup_key = c.dedup_key;
      rec.to = c.to;
      rec.from = c.from;
      rec.text = c.text;
      rec.subject = c.subject;
      rec.template_id = c.template_id;
      rec.custom_fields_json = c.custom_fields_json;
      rec.disable_sms = c.disable_sms;
      rec.provider_message_id = ctx.solapi_id('M');
      rec.received_ms = now;
      rec.status_code = c.fail ? c.fail : code::kAccepted;
      rec.status_message = code::message_for(rec.status_code.c_str());
      rec.outcome = c.fail ? Outcome::rejected : Outcome::accepted;
      json::object item;
      item["messageId"] = rec.provider_message_id;
      item["statusCode"] = rec.status_code;
      if (!c.custom_fields_json.empty()) item["customFields"] = json::parse(c.custom_fields_json);
      item["statusMessage"] = rec.status_message;
      if (c.fail) {
        ++failed;
        json::object f;
        f["to"] = c.to;
        f["from"] = c.from;
        f["type"] = c.type;
        f["statusMessage"] = rec.status_message;
        f["country"] = "82";
        f["messageId"] = rec.provider_message_id;
        f["statusCode"] = rec.status_code;
        f["accountId"] = kSolapiAccountId;
        if (!c.custom_fields_json.empty()) f["customFields"] = item["customFields"];
        failed_list.push_back(std::move(f));
      } else {
        ++ok;
        std::string t = c.type;
        for (auto& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        ++charge[t];
      }
      if (show_list) message_list.push_back(std::move(item));
      res.messages.push_back(ctx.store.add_message(std::move(rec)));
    }
  }

  json::object count{{"total", ok + failed}, {"sentTotal", 0}, {"sentFailed", 0}, {"sentSuccess", 0},
                     {"sentPending", 0}, {"sentReplacement", 0}, {"refund", 0}, {"registeredFailed", failed},
                     {"registeredSuccess", ok}};
  json::object group;
  group["count"] = std::move(count);
  group["countForCharge"] = type_counts(charge, true);
  group["balance"] = cash_zero();
  group["point"] = cash_zero();
  group["app"] = json::object{{"profit", type_counts({}, false)}, {"appId", nullptr}};
  group["log"] = json::array{};
  group["status"] = "SENDING";
  group["allowDuplicates"] = allow_duplicates;
  group["isRefunded"] = false;
  group["accountId"] = kSolapiAccountId;
  group["masterAccountId"] = nullptr;
  group["apiVersion"] = "4";
  group["groupId"] = group_id;
  group["price"] = json::object{};
  group["dateCreated"] = iso_utc_ms(now);
  group["dateUpdated"] = iso_utc_ms(now);
  group["scheduledDate"] = nullptr;
  group["dateSent"] = iso_utc_ms(now);
  group["dateCompleted"] = nullptr;
  json::object root;
  root["failedMessageList"] = std::move(failed_list);
  root["groupInfo"] = std::move(group);
  if (show_list) root["messageList"] = std::move(message_list);
  res.out = HttpOut{200, json::serialize(root)};
  return res;
}

// Message types the list accepts as `type` (the official SDK's messageTypeSchema).
bool known_list_type(const std::string& t) {
  static const char* const kTypes[] = {"SMS", "LMS", "MMS", "ATA", "CTA", "CTI", "NSA", "RCS_SMS", "RCS_LMS",
                                       "RCS_MMS", "RCS_TPL", "RCS_ITPL", "RCS_LTPL", "FAX", "VOICE", "BMS_TEXT",
                                       "BMS_IMAGE", "BMS_WIDE", "BMS_WIDE_ITEM_LIST", "BMS_CAROUSEL_FEED",
                                       "BMS_PREMIUM_VIDEO", "BMS_COMMERCE", "BMS_CAROUSEL_COMMERCE", "BMS_FREE"};
  for (const char* k : kTypes)
    if (t == k) return true;
  return false;
}

const char* list_type_of(Kind k) { return k == Kind::alimtalk ? "ATA" : k == Kind::sms ? "SMS" : "LMS"; }

// A startDate/endDate: ISO 8601 with Z or an offset (what the SDK's formatISO writes), or a wall-clock
// "yyyy-MM-dd[T| ]HH:mm[:ss]" read as KST. `end` widens a value without fraction to the end of the
// second (or minute) it names, so "…:59Z" includes messages at …:59.500.
std::optional<std::int64_t> list_date(const std::string& text, bool end) {
  if (auto t = parse_iso8601_ms(text)) {
    bool whole = text.size() > 19 && text[19] != '.';
    return *t + (end && whole ? 999 : 0);
  }
  std::string local = text;
  if (local.size() > 10 && local[10] == 'T') local[10] = ' ';
  if (auto t = parse_kst_datetime(local)) return *t + (end ? (local.size() == 16 ? 59'999 : 999) : 0);
  return std::nullopt;
}

ProviderResult message_list(SimContext& ctx, const HttpIn& in) {
  ProviderResult res;
  auto invalid = [&](const std::string& message) {
    res.out = error_out(400, "ValidationError", message);
    return res;
  };
  auto q = parse_query(in.query());
  std::set<std::string> ids;
  for (auto [it, end] = q.equal_range("messageId"); it != end; ++it) ids.insert(it->second);
  for (const char* key : {"messageIds", "messageIds[]", "messageIds[in]"})
    for (auto [it, end] = q.equal_range(key); it != end; ++it) ids.insert(it->second);
  std::string group = query_get(q, "groupId"), to = query_get(q, "to"), from = query_get(q, "from"),
              type = query_get(q, "type"), status = query_get(q, "statusCode");
  // Legacy criteria/cond/value form: criteria=messageId,statusCode&cond=eq,eq&value=M4V…,4000
  if (auto crit = query_get(q, "criteria"); !crit.empty()) {
    auto split = [](const std::string& s) {
      std::vector<std::string> out;
      std::size_t start = 0;
      while (true) {
        auto comma = s.find(',', start);
        out.push_back(s.substr(start, comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      return out;
    };
    auto keys = split(crit), values = split(query_get(q, "value"));
    for (std::size_t i = 0; i < keys.size() && i < values.size(); ++i) {
      if (keys[i] == "messageId") ids.insert(values[i]);
      else if (keys[i] == "groupId") group = values[i];
      else if (keys[i] == "to") to = values[i];
      else if (keys[i] == "from") from = values[i];
      else if (keys[i] == "type") type = values[i];
      else if (keys[i] == "statusCode") status = values[i];
    }
  }
  long limit = 20;
  if (auto l = query_get(q, "limit"); !l.empty()) {
    try {
      std::size_t used = 0;
      limit = std::stol(l, &used);
      if (used != l.size()) limit = -1;
    } catch (...) {
      limit = -1;
    }
    if (limit < 1 || limit > 500) return invalid("limit 값이 올바르지 않습니다.");
  }
  if (!type.empty() && !known_list_type(type)) return invalid("type 값이 올바르지 않습니다.");
  // Date range on dateCreated (dateType CREATED, the default) or dateUpdated (UPDATED).
  const std::string date_type = query_get(q, "dateType");
  const std::string start_text = query_get(q, "startDate"), end_text = query_get(q, "endDate");
  const bool has_start = q.count("startDate") > 0, has_end = q.count("endDate") > 0;
  if (!date_type.empty() && date_type != "CREATED" && date_type != "UPDATED")
    return invalid("dateType 값은 CREATED 또는 UPDATED 이어야 합니다.");
  if (q.count("dateType") > 0 && !has_start && !has_end)
    return invalid("dateType은 startDate 또는 endDate와 함께 사용해야 합니다.");
  std::optional<std::int64_t> start_ms, end_ms;
  if (has_start && !(start_ms = list_date(start_text, false))) return invalid("startDate 값이 올바른 날짜 형식이 아닙니다.");
  if (has_end && !(end_ms = list_date(end_text, true))) return invalid("endDate 값이 올바른 날짜 형식이 아닙니다.");
  const bool by_update = date_type == "UPDATED";
  const std::string start_key = query_get(q, "startKey");
  if (!to.empty()) to = normalize_kr_number(to).value_or(to);
  if (!from.empty()) from = normalize_kr_number(from).value_or(from);

  const auto& store = ctx.store;
  auto matches = [&](const MessageRecord& m) {
    if (m.provider != Provider::solapi) return false;
    if (!group.empty() && store.requests()[m.request_index].provider_request_id != group) return false;
    if (!to.empty() && m.to != to) return false;
    if (!from.empty() && m.from != from) return false;
    if (!type.empty() && type != list_type_of(m.kind)) return false;
    if (!status.empty() && m.status_code != status) return false;
    if (start_ms || end_ms) {
      const bool final = m.outcome == Outcome::delivered || m.outcome == Outcome::failed;
      const std::int64_t at = by_update && final ? m.final_ms : m.received_ms;
      if ((start_ms && at < *start_ms) || (end_ms && at > *end_ms)) return false;
    }
    return true;
  };
  // Pages run newest first (messageId order, as Solapi's ids start with their time); a page starts at
  // the message named by startKey (the previous page's nextKey) and nextKey names the first one left.
  std::vector<const MessageRecord*> page;
  std::string next_key;
  bool started = start_key.empty();
  auto take = [&](const MessageRecord* m) {
    if (!m || !matches(*m)) return true;
    if (!started) {
      if (m->provider_message_id != start_key) return true;
      started = true;
    }
    if (static_cast<long>(page.size()) == limit) {
      next_key = m->provider_message_id;
      return false;
    }
    page.push_back(m);
    return true;
  };
  if (!ids.empty()) {
    for (auto it = ids.rbegin(); it != ids.rend(); ++it)
      if (!take(store.find(*it))) break;
  } else if (!to.empty()) {
    const auto& mine = store.find_solapi_to(to);
    for (auto it = mine.rbegin(); it != mine.rend(); ++it)
      if (!take(&store.messages()[*it])) break;
  } else {
    const auto& all = store.messages();
    for (auto it = all.rbegin(); it != all.rend(); ++it)
      if (!take(&*it)) break;
  }
  std::string out = "{\"startKey\":";
  if (start_key.empty()) out += "null";
  else append_json_string(out, start_key);
  out += ",\"nextKey\":";
  if (next_key.empty()) out += "null";
  else append_json_string(out, next_key);
  out += ",\"limit\":" + std::to_string(limit) + ",\"messageList\":{";
  bool first = true;
  for (const auto* m : page) {
    if (!first) out += ",";
    first = false;
    append_json_string(out, m->provider_message_id);
    out += ":";
    out += solapi_message_json(*m, store.requests()[m->request_index], ctx.config.solapi.pf_id);
  }
  out += "}}";
  res.out = HttpOut{200, std::move(out)};
  return res;
}

}  // namespace

std::vector<Channel> solapi_channels(const HttpIn& in, const ParsedBody& body) {
  if (in.method != "POST" || !body) return {Channel::alimtalk, Channel::sms};
  bool ata = false, sms = false;
  if (const auto* ms = find_field(*body, "messages"); ms && ms->is_array()) {
    for (const auto& m : ms->get_array()) {
      auto type = upper(get_string(m, "type").value_or(""));
      const auto* k = find_field(m, "kakaoOptions");
      bool is_ata = type == "ATA" || (type.empty() && k && k->is_object());
      (is_ata ? ata : sms) = true;
    }
  }
  std::vector<Channel> out;
  if (ata) out.push_back(Channel::alimtalk);
  if (sms || !ata) out.push_back(Channel::sms);
  return out;
}

ProviderResult solapi_handle(SimContext& ctx, const HttpIn& in, const ParsedBody& body, std::uint32_t request_index) {
  const auto path = in.path();
  const bool send = path == "/messages/v4/send-many/detail";
  const bool list = path == "/messages/v4/list";
  if (!send && !list) return ProviderResult{error_out(404, "NotFound", "요청한 리소스를 찾을 수 없습니다."), {}, {}};
  if ((send && in.method != "POST") || (list && in.method != "GET"))
    return ProviderResult{error_out(405, "MethodNotAllowed", "허용되지 않은 메소드입니다."), {}, {}};
  if (auto fail = verify_solapi_auth(in.header("Authorization"), ctx.config.solapi.api_key,
                                     ctx.config.solapi.api_secret, ctx.now(), &ctx.solapi_signatures)) {
    ++ctx.counters.auth_failures;
    return ProviderResult{error_out(fail->http_status, fail->error_code.c_str(), fail->error_message), {}, {}};
  }
  return send ? send_many_detail(ctx, body, request_index) : message_list(ctx, in);
}

}  // namespace jarip::sim
