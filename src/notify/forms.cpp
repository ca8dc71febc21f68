#include "notify/forms.hpp"

#include <boost/json.hpp>

#include "notify/templates.hpp"

namespace jarip::notify {

namespace json = boost::json;

MessageForms parse_forms(const std::string& rendered_json) {
  MessageForms f;
  boost::system::error_code ec;
  auto doc = json::parse(rendered_json, ec);
  if (ec || !doc.is_object()) return f;
  auto& o = doc.as_object();
  auto str = [](const json::object& obj, const char* k) {
    auto* p = obj.if_contains(k);
    return p && p->is_string() ? std::string(p->as_string()) : std::string();
  };
  if (auto* a = o.if_contains("alimtalk"); a && a->is_object()) {
    auto& ao = a->as_object();
    f.has_alimtalk = true;
    f.alimtalk_text = str(ao, "text");
    if (auto* v = ao.if_contains("vars"); v && v->is_object()) {
      for (auto& kv : v->as_object()) {
        if (kv.value().is_string()) f.alimtalk_vars.emplace_back(std::string(kv.key()), std::string(kv.value().as_string()));
      }
    }
    if (auto* c = ao.if_contains("codes"); c && c->is_object()) {
      for (auto& kv : c->as_object()) {
        if (kv.value().is_string()) f.alimtalk_codes[std::string(kv.key())] = std::string(kv.value().as_string());
      }
    }
    if (auto* b = ao.if_contains("buttons")) f.buttons = buttons_from_json(*b);
  }
  if (auto* s = o.if_contains("sms"); s && s->is_object()) {
    auto& so = s->as_object();
    f.has_sms = true;
    f.sms_text = str(so, "text");
    f.sms_subject = str(so, "subject");
    f.sms_kind = str(so, "kind") == "lms" ? channels::SendKind::lms : channels::SendKind::sms;
  }
  return f;
}

std::vector<std::string> parse_chain(const std::string& chain_json) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto doc = json::parse(chain_json, ec);
  if (ec || !doc.is_array()) return out;
  for (auto& e : doc.as_array()) {
    if (e.is_string()) out.emplace_back(e.as_string());
  }
  return out;
}

ChainStep split_step(const std::string& step) {
  auto at = step.find('@');
  if (at == std::string::npos) return {step, {}};
  return {step.substr(0, at), step.substr(at + 1)};
}

}  // namespace jarip::notify
