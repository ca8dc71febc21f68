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
  if (auto* e = o.if_contains("email"); e && e->is_object()) {
    auto& eo = e->as_object();
    f.has_email = true;
    f.email_subject = str(eo, "subject");
    f.email_text = str(eo, "text");
    f.email_html = str(eo, "html");
  }
  if (auto* p = o.if_contains("push"); p && p->is_object()) {
    auto& po = p->as_object();
    f.has_push = true;
    f.push_title = str(po, "title");
    f.push_body = str(po, "body");
    f.push_url = str(po, "url");
  }
  if (auto* i = o.if_contains("inbox"); i && i->is_object()) {
    auto& io = i->as_object();
    f.has_inbox = true;
    f.inbox_title = str(io, "title");
    f.inbox_text = str(io, "text");
  }
  f.locale = str(o, "locale");
  return f;
}

RecipientAddresses parse_recipient(const std::string& recipient_json) {
  RecipientAddresses r;
  boost::system::error_code ec;
  auto doc = json::parse(recipient_json, ec);
  if (ec || !doc.is_object()) return r;
  auto& o = doc.as_object();
  auto str = [&](const json::object& obj, const char* k) {
    auto* p = obj.if_contains(k);
    return p && p->is_string() ? std::string(p->as_string()) : std::string();
  };
  r.customer_id = str(o, "customer_id");
  r.email = str(o, "email");
  if (auto* subs = o.if_contains("push_subscriptions"); subs && subs->is_array()) {
    for (auto& e : subs->as_array()) {
      if (e.is_string()) r.push_subscriptions.emplace_back(e.as_string());
    }
  }
  if (auto* refused = o.if_contains("ad_refused"); refused && refused->is_object()) {
    for (auto& kv : refused->as_object()) {
      if (!kv.value().is_object()) continue;
      r.ad_refused[std::string(kv.key())] = {str(kv.value().as_object(), "code"), str(kv.value().as_object(), "reason")};
    }
  }
  return r;
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
