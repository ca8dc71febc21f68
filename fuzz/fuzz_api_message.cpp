// libFuzzer target for POST /v1/messages and POST /v1/messages/batch: the request body, parsed with
// boost::json as the API does, then notify::compose_message against a fixed configuration of three
// providers and five templates (the Korean shop of the docs). A body {"messages": [ … ]} is handled
// as a batch (1-1,000 messages, each composed on its own), anything else as one message.
// Build: cmake -DJARIP_FUZZ=ON with clang (scripts/fuzz.sh).
// The input's length picks the SMS policy (odd: "replace" unencodable characters, even: "reject")
// and whether ads are configured, so every seed meets more than one configuration as it mutates.
// Invariants checked on every accepted message (a violation aborts, so the fuzzer reports it):
//  - chain_json parses back as a non-empty array (≤ 16) of "channel@provider" strings, each naming
//    a configured provider that serves that channel, and every step has a rendered form;
//  - rendered_json is an object of at most the forms "alimtalk" and "sms"; an ad never has an
//    AlimTalk step or form, and its SMS text carries "(광고)" and the opt-out line;
//  - rendering never re-expands values: an info message's AlimTalk text (and with the "reject"
//    policy its SMS text and subject) is exactly the template rendered by an independent renderer;
//    a raw-text message keeps its text unchanged;
//  - the SMS form's kind is what choose_sms_kind() says for its own text and subject;
//  - recipient_json holds the normalised mobile number also in `phone`; times are consistent
//    (due ≥ now, expiry after due); metadata_json is a JSON object of at most 4 KiB.
// Rejections must carry a code and a message.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "notify/compose.hpp"
#include "notify/templates.hpp"
#include "template_reference.hpp"
#include "text/sms_rules.hpp"
#include "fuzz_support.hpp"

namespace {

namespace json = boost::json;
using namespace jarip;
using namespace jarip::notify;

const char* const kTemplates[][2] = {
    {"order_shipped", R"json({"kind": "info",
      "alimtalk": {"text": "#{고객명}님, 주문하신 상품이 발송되었습니다.\n주문번호: #{주문번호}\n택배사: #{택배사}\n송장번호: #{송장번호}",
                   "codes": {"solapi": "KA01TP221025074036419vzVrTlcfyKa", "nhn": "order_shipped"},
                   "buttons": [{"type": "DS", "name": "배송 조회"}, {"type": "WL", "name": "주문 상세", "link_mobile": "https://shop.example.kr/orders"}]},
      "sms": {"text": "[자립상회] #{고객명}님, 주문(#{주문번호}) 상품이 발송되었습니다. #{택배사} #{송장번호}"}})json"},
    {"otp", R"json({"kind": "info", "chain": ["sms@nhn", "sms@solapi"],
      "sms": {"text": "[자립상회] 인증번호 [#{code}]를 입력해 주세요. 타인에게 알려주지 마세요."}})json"},
    {"autumn_sale", R"json({"kind": "ad", "chain": ["sms"],
      "sms": {"text": "#{고객명}님, 가을 정기세일 최대 #{할인율} 할인!\n기간: 11/25~11/30\nhttps://shop.example.kr/sale", "subject": "가을 정기세일 #{할인율}"}})json"},
    {"cheap_only", R"json({"kind": "info", "allow_costlier_fallback": false, "chain": ["alimtalk@nhn", "sms@nhn", "sms@solapi"],
      "alimtalk": {"text": "#{고객명}님, 예약이 확정되었습니다. (#{일시})", "codes": {"nhn": "booking_ok"}},
      "sms": {"text": "#{고객명}님 예약 확정 #{일시}"}})json"},
    {"alimtalk_only", R"json({"alimtalk": {"text": "[자립상회] #{고객명}님의 포인트 #{포인트}점이 소멸 예정입니다.", "codes": {"solapi": "KA01TP0000000000000000000000000", "nhn": "point_expiry"}}})json"},
};

struct Fixture {
  std::map<std::string, Template> templates;
  std::map<std::string, ProviderRuntime> providers;
  DeliveryOptions options[4];  // [replace?][ads configured?]
  TimeMs now_ms = 0;

  Fixture() {
    for (auto& [name, doc] : kTemplates) {
      auto t = parse_template(name, doc);
      if (!t) std::abort();
      templates.emplace(name, std::move(*t));
    }
    auto provider = [&](std::string name, std::vector<std::string> channels, std::map<std::string, double> price) {
      ProviderRuntime p;
      p.name = name;
      p.channels = std::move(channels);
      p.price = std::move(price);
      providers.emplace(name, std::move(p));
    };
    provider("solapi", {"alimtalk", "sms"}, {{"alimtalk", 8}, {"sms", 18}, {"lms", 45}});
    provider("nhn", {"alimtalk", "sms"}, {{"alimtalk", 7.5}, {"sms", 17}, {"lms", 40}});
    provider("nhn-backup", {"sms"}, {{"sms", 20}, {"lms", 50}});
    for (int i = 0; i < 4; ++i) {
      DeliveryOptions& o = options[i];
      o.channel_providers = {{"alimtalk", {"solapi", "nhn"}}, {"sms", {"nhn", "solapi", "nhn-backup"}}};
      o.sms_unencodable = (i & 1) ? "replace" : "reject";
      if (i & 2) o.ads = AdOptions{"자립상회", "080-123-4567"};
    }
    now_ms = *parse_rfc3339("2026-11-25T10:00:00+09:00");
  }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::optional<json::value> parse_json(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return std::nullopt;
  return v;
}

// The request's vars as compose_message reads them (strings and integers).
std::map<std::string, std::string, std::less<>> request_vars(const json::object& request) {
  std::map<std::string, std::string, std::less<>> vars;
  if (auto* v = request.if_contains("vars"); v && v->is_object()) {
    for (auto& kv : v->as_object()) {
      const json::value& x = kv.value();
      vars[std::string(kv.key())] = x.is_string() ? std::string(x.as_string())
                                    : x.is_int64() ? std::to_string(x.as_int64())
                                                   : std::to_string(x.as_uint64());
    }
  }
  return vars;
}

void check_accepted(const json::object& request, const store::MessageRecord& m, const DeliveryOptions& options) {
  const Fixture& f = fixture();
  check(m.kind == "info" || m.kind == "ad");
  check(m.id.rfind("msg_", 0) == 0 && m.created_ms == f.now_ms);

  // recipient
  auto recipient = parse_json(m.recipient_json);
  check(recipient && recipient->is_object());
  auto* phone = recipient->as_object().if_contains("phone");
  // A phone, when there is one, is the normalised number; an email-only recipient has none.
  if (phone != nullptr) {
    check(phone->is_string() && phone->as_string() == m.phone);
    check(all_digits(m.phone) && m.phone.rfind("01", 0) == 0);
  } else {
    check(m.phone.empty() && (recipient->as_object().contains("email") || recipient->as_object().contains("customer_id")));
  }

  // forms
  auto forms_value = parse_json(m.rendered_json);
  check(forms_value && forms_value->is_object());
  const json::object& forms = forms_value->as_object();
  for (auto& kv : forms) {
    check(kv.key() == "alimtalk" || kv.key() == "sms" || kv.key() == "email" || kv.key() == "push" ||
          kv.key() == "inbox" || kv.key() == "locale");
  }

  // chain
  auto chain = parse_json(m.chain_json);
  check(chain && chain->is_array() && !chain->as_array().empty() && chain->as_array().size() <= 16);
  for (auto& step : chain->as_array()) {
    check(step.is_string());
    const std::string s(step.as_string());
    const auto at = s.find('@');
    check(at != std::string::npos && s.find('@', at + 1) == std::string::npos);
    const std::string channel = s.substr(0, at), provider = s.substr(at + 1);
    check(channel == "alimtalk" || channel == "sms");
    auto p = f.providers.find(provider);
    check(p != f.providers.end());
    check(std::find(p->second.channels.begin(), p->second.channels.end(), channel) != p->second.channels.end());
    check(forms.contains(channel));
    if (m.kind == "ad") check(channel == "sms");
  }

  const Template* tpl = nullptr;
  if (!m.template_name.empty()) {
    auto it = f.templates.find(m.template_name);
    check(it != f.templates.end());
    tpl = &it->second;
    check(request.at("template").as_string() == m.template_name && tpl->kind == m.kind);
  } else {
    check(!request.contains("template") || request.at("template").is_null() || request.at("template").as_string().empty());
  }
  const auto vars = request_vars(request);

  if (auto* a = forms.if_contains("alimtalk")) {
    check(m.kind == "info" && tpl && tpl->alimtalk);
    const json::object& ao = a->as_object();
    check(ao.at("text").as_string() == jarip::fuzz::reference_render(tpl->alimtalk->text, vars));
    check(text::check_alimtalk_body(ao.at("text").as_string()).ok());
  }
  if (auto* s = forms.if_contains("sms")) {
    const json::object& so = s->as_object();
    const std::string body(so.at("text").as_string()), subject(so.at("subject").as_string());
    const std::string kind(so.at("kind").as_string());
    auto plan = text::choose_sms_kind(body, subject);
    check(plan.ok() && kind == (plan->kind == text::SmsKind::sms ? "sms" : "lms"));
    if (m.kind == "ad") {
      check(body.rfind("(광고)", 0) == 0);
      check(body.find("무료거부") != std::string::npos && body.find("080") != std::string::npos);
      check(!options.ads.opt_out_number.empty());
    } else if (options.sms_unencodable == "reject") {
      if (tpl) {
        check(tpl->sms && body == jarip::fuzz::reference_render(tpl->sms->text, vars));
        auto* given = request.if_contains("subject");
        const bool has_given = given && given->is_string() && !given->as_string().empty();
        check(subject == (has_given ? std::string(given->as_string())
                                    : jarip::fuzz::reference_render(tpl->sms->subject, vars)));
      } else {
        check(body == std::string(request.at("text").as_string()));
      }
    }
  }

  // timing and metadata
  check(m.due_ms >= f.now_ms);
  check(m.expires_ms == 0 || m.expires_ms > m.due_ms);
  auto metadata = parse_json(m.metadata_json);
  check(metadata && metadata->is_object() && m.metadata_json.size() <= 4096);
}

void compose_one(const json::value& request, const ComposeContext& ctx) {
  auto r = compose_message(request, ctx);
  if (!r) {
    check(!r.error().code.empty() && !r.error().message.empty());
    return;
  }
  check(request.is_object());
  check_accepted(request.as_object(), *r, ctx.options);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixture& f = fixture();
  const std::string body(reinterpret_cast<const char*>(data), size);
  boost::system::error_code ec;
  const json::value request = json::parse(body, ec);
  if (ec) return 0;

  const DeliveryOptions& options = f.options[size % 4];
  ComposeContext ctx{options,
                     [&f](const std::string& name) -> std::optional<Template> {
                       auto it = f.templates.find(name);
                       if (it == f.templates.end()) return std::nullopt;
                       return it->second;
                     },
                     [&f](const std::string& name) -> const ProviderRuntime* {
                       auto it = f.providers.find(name);
                       return it == f.providers.end() ? nullptr : &it->second;
                     },
                     f.now_ms, "0123456789ab"};

  // POST /v1/messages
  compose_one(request, ctx);

  // POST /v1/messages/batch, as the API unpacks it.
  if (request.is_object()) {
    if (auto* list = request.as_object().if_contains("messages"); list && list->is_array()) {
      const auto& messages = list->as_array();
      if (!messages.empty() && messages.size() <= 1000) {
        for (auto& m : messages) compose_one(m, ctx);
      }
    }
  }
  return 0;
}
