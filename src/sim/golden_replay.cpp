#include "sim/golden_replay.hpp"

#include <boost/json.hpp>

#include "common/clock.hpp"
#include "sim/json_text.hpp"
#include "sim/simulator.hpp"
#include "sim/template_render.hpp"
#include "sim/timefmt.hpp"

namespace jarip::sim {
namespace json = boost::json;
namespace {

const char* const kSolapiKeys[] = {"port", "api_key", "api_secret", "pf_id", "senders", "webhook_url", "templates"};
const char* const kNhnKeys[] = {"alimtalk_port", "sms_port", "alimtalk_appkey", "sms_appkey", "secret_key", "sender_key",
                                "send_nos", "webhook_url", "webhook_signature", "templates"};

// Overlays the known keys of `creds` on the provider's section; other keys are ignored.
Status overlay(SimConfig& cfg, const json::value& creds, const std::string& provider) {
  if (!creds.is_object()) return make_error("golden", "credentials must be an object");
  json::object root = json::value_to<json::object>(json::parse(config_to_json(cfg)));
  auto& section = root[provider == "solapi" ? "solapi" : "nhn"].as_object();
  for (const auto& kv : creds.get_object()) {
    bool known = false;
    if (provider == "solapi") {
      for (const char* k : kSolapiKeys) known = known || kv.key() == k;
    } else {
      for (const char* k : kNhnKeys) known = known || kv.key() == k;
    }
    if (known) section[kv.key()] = kv.value();
  }
  auto parsed = parse_config(json::serialize(root));
  if (!parsed) return parsed.error();
  cfg = std::move(parsed).value();
  return {};
}

bool has_key(const json::value* creds, const char* key) { return creds && creds->is_object() && find_field(*creds, key); }

// When the golden file does not say what is registered (senders, channel, templates), everything
// the request uses counts as registered, so that the replay checks format, auth, paths and limits.
void register_what_the_request_uses(SimConfig& cfg, const json::value* creds, const json::value& body) {
  if (!body.is_object()) return;
  auto placeholders = [](const json::value* vars) {
    std::string content;
    if (vars && vars->is_object())
      for (const auto& kv : vars->get_object()) content += "#{" + bare_variable_name(std::string_view(kv.key().data(), kv.key().size())) + "}";
    return content;
  };
  if (const auto* ms = find_field(body, "messages"); ms && ms->is_array()) {  // Solapi
    for (const auto& m : ms->get_array()) {
      if (auto from = get_string(m, "from"); from && !has_key(creds, "senders")) cfg.solapi.senders.push_back(*from);
      const auto* k = find_field(m, "kakaoOptions");
      if (!k || !k->is_object()) continue;
      if (auto pf = get_string(*k, "pfId"); pf && !has_key(creds, "pf_id")) cfg.solapi.pf_id = *pf;
      if (auto tid = get_string(*k, "templateId"); tid && !has_key(creds, "templates")) {
        auto text = get_string(m, "text");
        Template t{*tid, text ? *text : placeholders(find_field(*k, "variables")), {}};
        if (const auto* bs = find_field(*k, "buttons"); bs && bs->is_array())
          for (const auto& b : bs->get_array())
            t.buttons.push_back(TemplateButton{get_string(b, "buttonType").value_or(""), get_string(b, "buttonName").value_or(""),
                                               get_string(b, "linkMo").value_or(""), get_string(b, "linkPc").value_or(""),
                                               get_string(b, "linkAnd").value_or(""), get_string(b, "linkIos").value_or("")});
        cfg.solapi.templates.push_back(std::move(t));
      }
    }
    return;
  }
  if (auto no = get_string(body, "sendNo"); no && !has_key(creds, "send_nos")) cfg.nhn.send_nos.push_back(*no);
  if (auto sk = get_string(body, "senderKey"); sk && !has_key(creds, "sender_key")) cfg.nhn.sender_key = *sk;
  if (auto code = get_string(body, "templateCode"); code && !has_key(creds, "templates")) {
    const json::value* params = nullptr;
    if (const auto* list = find_field(body, "recipientList"); list && list->is_array() && !list->get_array().empty())
      params = find_field(list->get_array()[0], "templateParameter");
    cfg.nhn.templates.push_back(Template{*code, placeholders(params) + " ", {}});
  }
}

std::string code_text(const json::value* v) {
  if (!v) return {};
  if (v->is_string()) return to_std(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  return {};
}

}  // namespace

GoldenOutcome replay_golden(const std::string& text, const std::string& provider) {
  GoldenOutcome g;
  json::value doc;
  boost::system::error_code ec;
  doc = json::parse(text, ec);
  if (ec || !doc.is_object()) {
    g.detail = "not a JSON object";
    return g;
  }
  g.expect = get_string(doc, "expect").value_or("");
  g.expect_error_code = get_string(doc, "expect_error_code").value_or("");
  g.has_expectation = g.expect == "accept" || g.expect == "reject";
  HttpIn in;
  in.method = get_string(doc, "method").value_or("POST");
  in.target = get_string(doc, "path").value_or("");
  if (in.target.empty()) {
    g.detail = "missing path";
    return g;
  }
  if (const auto* h = find_field(doc, "headers"); h && h->is_object())
    for (const auto& kv : h->get_object())
      in.headers.emplace_back(to_std(kv.key()), kv.value().is_string() ? to_std(kv.value().get_string()) : json::serialize(kv.value()));
  if (const auto* b = find_field(doc, "body"); b && !b->is_null())
    in.body = b->is_string() ? to_std(b->get_string()) : json::serialize(*b);
  SimConfig cfg = default_config();
  const json::value* creds = find_field(doc, "credentials");
  if (creds && !creds->is_null()) {
    if (auto s = overlay(cfg, *creds, provider); !s) {
      g.detail = "credentials: " + s.error().message;
      return g;
    }
  }
  if (const auto* b = find_field(doc, "body"); b && b->is_object()) register_what_the_request_uses(cfg, creds, *b);
  FakeClock clock;
  if (auto now = get_string(doc, "now")) {
    auto t = parse_iso8601_ms(*now);
    if (!t) {
      g.detail = "now is not ISO 8601 with offset";
      return g;
    }
    clock.set_ms(*t);
  }
  Endpoint e = Endpoint::solapi;
  if (in.target.rfind("/alimtalk/", 0) == 0) e = Endpoint::nhn_alimtalk;
  else if (in.target.rfind("/sms/", 0) == 0) e = Endpoint::nhn_sms;
  else if (provider == "nhn") e = in.target.find("alimtalk") != std::string::npos ? Endpoint::nhn_alimtalk : Endpoint::nhn_sms;
  Simulator sim(cfg, clock, 1);
  ProviderResult r = sim.handle_without_faults(e, in);
  g.readable = true;
  g.http_status = r.out.status;
  g.response_body = r.out.body;
  json::value res = json::parse(r.out.body, ec);
  if (ec) {
    g.detail = "simulator answered non-JSON";
    return g;
  }
  if (e == Endpoint::solapi) {
    if (r.out.status != 200) {
      g.error_code = get_string(res, "errorCode").value_or("HTTP_" + std::to_string(r.out.status));
    } else if (const auto* f = find_field(res, "failedMessageList"); f && f->is_array() && !f->get_array().empty()) {
      g.error_code = code_text(find_field(f->get_array()[0], "statusCode"));
    }
  } else {
    const auto* header = find_field(res, "header");
    std::string hc = header ? code_text(find_field(*header, "resultCode")) : "";
    const json::value* list = nullptr;
    if (const auto* m = find_field(res, "message")) list = find_field(*m, "sendResults");
    if (const auto* b = find_field(res, "body"))
      if (const auto* d = find_field(*b, "data")) list = find_field(*d, "sendResultList");
    if (list && list->is_array())  // a recipient's own code says more than "all recipients failed"
      for (const auto& item : list->get_array()) {
        std::string c = code_text(find_field(item, "resultCode"));
        if (c != "0") {
          g.error_code = c;
          break;
        }
      }
    if (g.error_code.empty() && hc != "0") g.error_code = hc.empty() ? "HTTP_" + std::to_string(r.out.status) : hc;
  }
  g.accepted = g.error_code.empty() && r.out.status == 200;
  return g;
}

}  // namespace jarip::sim
