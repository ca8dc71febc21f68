#include "notify/templates.hpp"

#include <boost/json.hpp>

#include "text/sms_rules.hpp"
#include "text/template_render.hpp"
#include "text/utf8.hpp"

namespace jarip::notify {

namespace json = boost::json;

bool valid_template_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  }
  return true;
}

json::array buttons_to_json(const std::vector<channels::AlimtalkButton>& buttons) {
  json::array out;
  for (auto& b : buttons) {
    json::object o{{"type", b.type}, {"name", b.name}};
    if (!b.link_mobile.empty()) o["link_mobile"] = b.link_mobile;
    if (!b.link_pc.empty()) o["link_pc"] = b.link_pc;
    if (!b.scheme_ios.empty()) o["scheme_ios"] = b.scheme_ios;
    if (!b.scheme_android.empty()) o["scheme_android"] = b.scheme_android;
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<channels::AlimtalkButton> buttons_from_json(const json::value& v) {
  std::vector<channels::AlimtalkButton> out;
  if (!v.is_array()) return out;
  for (auto& e : v.as_array()) {
    if (!e.is_object()) continue;
    auto& o = e.as_object();
    auto str = [&](const char* k) -> std::string {
      auto* p = o.if_contains(k);
      return p && p->is_string() ? std::string(p->as_string()) : std::string();
    };
    out.push_back({str("type"), str("name"), str("link_mobile"), str("link_pc"), str("scheme_ios"), str("scheme_android")});
  }
  return out;
}

namespace {

Error field_error(const std::string& field, const std::string& message) {
  return make_error("invalid_template", message, field);
}

Result<std::string> need_string(const json::object& o, const char* key, const std::string& prefix) {
  auto* p = o.if_contains(key);
  if (!p || !p->is_string() || p->as_string().empty()) {
    return field_error(prefix + key, std::string("'") + prefix + key + "' must be a non-empty string");
  }
  return std::string(p->as_string());
}

Status check_keys(const json::object& o, std::initializer_list<const char*> allowed, const std::string& prefix) {
  for (auto& kv : o) {
    bool ok = false;
    for (auto* a : allowed) ok = ok || kv.key() == a;
    if (!ok) return field_error(prefix + std::string(kv.key()), "unknown field '" + prefix + std::string(kv.key()) + "'");
  }
  return {};
}

Status check_form_text(std::initializer_list<std::pair<const std::string&, const char*>> texts, const std::string& prefix) {
  for (auto& [value, field] : texts) {
    if (!text::is_valid_utf8(value)) return make_error("invalid_utf8", std::string("'") + field + "' must be UTF-8", prefix + field);
    if (value.size() > 64 * 1024) return field_error(prefix + field, std::string("'") + field + "' is longer than 64 KiB");
  }
  return {};
}

}  // namespace

// The channel forms of one locale: "alimtalk" and "sms" of the document's top level or of one entry
// of "locales". Field names in errors carry `prefix` ("" or "locales.en.").
Status parse_forms(const json::object& o, const std::string& prefix, const std::string& kind, LocaleForms& t) {
  if (auto* a = o.if_contains("alimtalk")) {
    if (kind == "ad") {
      return make_error("ad_not_allowed_on_alimtalk",
                        "AlimTalk carries informational messages only; an ad template has no AlimTalk form", prefix + "alimtalk");
    }
    if (!a->is_object()) return field_error(prefix + "alimtalk", "'alimtalk' must be an object");
    auto& ao = a->as_object();
    // "variables" is derived from the text (GET shows it): accepted back so that GET → PUT works, and ignored.
    if (auto s = check_keys(ao, {"text", "codes", "buttons", "variables"}, prefix + "alimtalk."); !s) return s.error();
    AlimtalkForm form;
    auto text = need_string(ao, "text", prefix + "alimtalk.");
    if (!text) return text.error();
    form.text = *text;
    if (auto len = text::check_alimtalk_body(form.text); !len) {
      return make_error(len.error().code, len.error().message, prefix + "alimtalk.text");
    }
    auto* codes = ao.if_contains("codes");
    if (!codes || !codes->is_object() || codes->as_object().empty()) {
      return field_error(prefix + "alimtalk.codes",
                         "'alimtalk.codes' must map each provider to the template code registered there, "
                         "e.g. {\"solapi\": \"KA01TP…\", \"nhn\": \"order_shipped\"}");
    }
    for (auto& kv : codes->as_object()) {
      if (!kv.value().is_string() || kv.value().as_string().empty()) {
        return field_error(prefix + "alimtalk.codes." + std::string(kv.key()), "template codes must be non-empty strings");
      }
      form.codes[std::string(kv.key())] = std::string(kv.value().as_string());
    }
    if (auto* b = ao.if_contains("buttons")) {
      if (!b->is_array() || b->as_array().size() > 5) {
        return field_error(prefix + "alimtalk.buttons", "'alimtalk.buttons' must be an array of at most 5 buttons");
      }
      for (auto& e : b->as_array()) {
        if (!e.is_object() || !e.as_object().contains("type") || !e.as_object().contains("name")) {
          return field_error(prefix + "alimtalk.buttons", "each button needs 'type' (WL, AL, DS, BK, MD, AC) and 'name'");
        }
      }
      form.buttons = buttons_from_json(*b);
    }
    t.alimtalk = std::move(form);
  }
  if (auto* s = o.if_contains("sms")) {
    if (!s->is_object()) return field_error(prefix + "sms", "'sms' must be an object");
    auto& so = s->as_object();
    if (auto st = check_keys(so, {"text", "subject"}, prefix + "sms."); !st) return st.error();
    SmsForm form;
    auto text = need_string(so, "text", prefix + "sms.");
    if (!text) return text.error();
    form.text = *text;
    if (auto* sub = so.if_contains("subject")) {
      if (!sub->is_string()) return field_error(prefix + "sms.subject", "'sms.subject' must be a string");
      form.subject = std::string(sub->as_string());
    }
    if (!text::is_valid_utf8(form.text) || !text::is_valid_utf8(form.subject)) {
      return make_error("invalid_utf8", "SMS text must be UTF-8", prefix + "sms.text");
    }
    t.sms = std::move(form);
  }
  if (auto* e = o.if_contains("email")) {
    if (!e->is_object()) return field_error(prefix + "email", "'email' must be an object");
    auto& eo = e->as_object();
    if (auto st = check_keys(eo, {"subject", "text", "html"}, prefix + "email."); !st) return st.error();
    EmailForm form;
    auto subject = need_string(eo, "subject", prefix + "email.");
    if (!subject) return subject.error();
    auto text = need_string(eo, "text", prefix + "email.");
    if (!text) return text.error();
    form.subject = *subject;
    form.text = *text;
    if (auto* h = eo.if_contains("html")) {
      if (!h->is_string()) return field_error(prefix + "email.html", "'email.html' must be a string");
      form.html = std::string(h->as_string());
    }
    if (auto st = check_form_text({{form.subject, "email.subject"}, {form.text, "email.text"}, {form.html, "email.html"}},
                                  prefix);
        !st)
      return st;
    if (form.subject.find_first_of("\r\n") != std::string::npos) {
      return make_error("header_injection", "an email subject is one line", prefix + "email.subject");
    }
    t.email = std::move(form);
  }
  if (auto* pu = o.if_contains("push")) {
    if (!pu->is_object()) return field_error(prefix + "push", "'push' must be an object");
    auto& po = pu->as_object();
    if (auto st = check_keys(po, {"title", "body", "url"}, prefix + "push."); !st) return st.error();
    PushForm form;
    auto title = need_string(po, "title", prefix + "push.");
    if (!title) return title.error();
    auto body = need_string(po, "body", prefix + "push.");
    if (!body) return body.error();
    form.title = *title;
    form.body = *body;
    if (auto* u = po.if_contains("url")) {
      if (!u->is_string()) return field_error(prefix + "push.url", "'push.url' must be a string");
      form.url = std::string(u->as_string());
      if (!form.url.empty() && form.url.rfind("https://", 0) != 0 && form.url.rfind("http://", 0) != 0) {
        return field_error(prefix + "push.url", "'push.url' must be an http(s) URL");
      }
    }
    if (auto st = check_form_text({{form.title, "push.title"}, {form.body, "push.body"}, {form.url, "push.url"}}, prefix);
        !st)
      return st;
    t.push = std::move(form);
  }
  if (auto* i = o.if_contains("inbox")) {
    if (!i->is_object()) return field_error(prefix + "inbox", "'inbox' must be an object");
    auto& io = i->as_object();
    if (auto st = check_keys(io, {"title", "text"}, prefix + "inbox."); !st) return st.error();
    InboxForm form;
    auto text = need_string(io, "text", prefix + "inbox.");
    if (!text) return text.error();
    form.text = *text;
    if (auto* ti = io.if_contains("title")) {
      if (!ti->is_string()) return field_error(prefix + "inbox.title", "'inbox.title' must be a string");
      form.title = std::string(ti->as_string());
    }
    if (auto st = check_form_text({{form.title, "inbox.title"}, {form.text, "inbox.text"}}, prefix); !st) return st;
    t.inbox = std::move(form);
  }
  return {};
}

Result<Template> parse_template(const std::string& name, const std::string& json_text) {
  if (!valid_template_name(name)) {
    return make_error("invalid_template_name", "template names are 1-64 characters of A-Z a-z 0-9 _ - .", "name");
  }
  boost::system::error_code ec;
  json::value doc = json::parse(json_text, ec);
  if (ec || !doc.is_object()) return make_error("invalid_json", "template must be a JSON object");
  auto& o = doc.as_object();
  if (auto s = check_keys(o, {"kind", "chain", "allow_costlier_fallback", "alimtalk", "sms", "email", "push", "inbox",
                              "name", "default_locale", "locales"}, "");
      !s)
    return s.error();
  Template t;
  t.name = name;
  if (auto* k = o.if_contains("kind")) {
    if (!k->is_string() || (k->as_string() != "info" && k->as_string() != "ad")) {
      return field_error("kind", "'kind' must be \"info\" or \"ad\"");
    }
    t.kind = std::string(k->as_string());
  }
  if (auto* c = o.if_contains("chain")) {
    if (!c->is_array()) return field_error("chain", "'chain' must be an array of channel steps");
    for (auto& step : c->as_array()) {
      if (!step.is_string()) return field_error("chain", "'chain' entries must be strings like \"alimtalk\" or \"sms@nhn\"");
      t.chain.emplace_back(step.as_string());
    }
  }
  if (auto* f = o.if_contains("allow_costlier_fallback")) {
    if (!f->is_bool()) return field_error("allow_costlier_fallback", "'allow_costlier_fallback' must be true or false");
    t.allow_costlier_fallback = f->as_bool();
  }
  if (auto st = parse_forms(o, "", t.kind, t); !st) return st.error();
  if (auto* dl = o.if_contains("default_locale")) {
    if (!dl->is_string() || (dl->as_string() != "ko" && dl->as_string() != "en")) {
      return field_error("default_locale", "'default_locale' must be \"ko\" or \"en\"");
    }
    t.default_locale = std::string(dl->as_string());
  }
  if (auto* ls = o.if_contains("locales")) {
    if (!ls->is_object()) return field_error("locales", "'locales' maps a locale (\"ko\", \"en\") to its channel forms");
    for (auto& kv : ls->as_object()) {
      std::string locale(kv.key());
      std::string prefix = "locales." + locale + ".";
      if (locale != "ko" && locale != "en") return field_error("locales." + locale, "locales are \"ko\" and \"en\"");
      if (locale == t.default_locale) {
        return field_error("locales." + locale, "the default locale's forms are the top-level 'alimtalk' and 'sms'");
      }
      if (!kv.value().is_object()) return field_error("locales." + locale, "must be an object with 'alimtalk' and/or 'sms'");
      auto& lo = kv.value().as_object();
      if (auto st = check_keys(lo, {"alimtalk", "sms", "email", "push", "inbox"}, prefix); !st) return st.error();
      LocaleForms forms;
      if (auto st = parse_forms(lo, prefix, t.kind, forms); !st) return st.error();
      if (forms.empty()) return field_error("locales." + locale, "needs at least one channel form");
      t.locales[locale] = std::move(forms);
    }
  }
  if (t.empty()) {
    return field_error("sms", "a template needs at least one channel form ('alimtalk', 'sms', 'email', 'push' or 'inbox')");
  }
  return t;
}

namespace {

void forms_to_json(const LocaleForms& t, json::object& o) {
  if (t.alimtalk) {
    json::object codes;
    for (auto& [p, c] : t.alimtalk->codes) codes[p] = c;
    o["alimtalk"] = json::object{{"text", t.alimtalk->text}, {"codes", std::move(codes)},
                                 {"buttons", buttons_to_json(t.alimtalk->buttons)},
                                 {"variables", [&] {
                                    json::array vars;
                                    for (auto& v : text::template_variables(t.alimtalk->text)) vars.emplace_back(v);
                                    return vars;
                                  }()}};
  }
  if (t.sms) o["sms"] = json::object{{"text", t.sms->text}, {"subject", t.sms->subject}};
  if (t.email) o["email"] = json::object{{"subject", t.email->subject}, {"text", t.email->text}, {"html", t.email->html}};
  if (t.push) o["push"] = json::object{{"title", t.push->title}, {"body", t.push->body}, {"url", t.push->url}};
  if (t.inbox) o["inbox"] = json::object{{"title", t.inbox->title}, {"text", t.inbox->text}};
}

}  // namespace

json::object template_to_json(const Template& t) {
  json::object o;
  o["name"] = t.name;
  o["kind"] = t.kind;
  json::array chain;
  for (auto& s : t.chain) chain.emplace_back(s);
  o["chain"] = std::move(chain);
  o["allow_costlier_fallback"] = t.allow_costlier_fallback;
  forms_to_json(t, o);
  o["default_locale"] = t.default_locale;
  if (!t.locales.empty()) {
    json::object locales;
    for (auto& [locale, forms] : t.locales) {
      json::object lo;
      forms_to_json(forms, lo);
      locales[locale] = std::move(lo);
    }
    o["locales"] = std::move(locales);
  }
  return o;
}

LocaleForms Template::forms_for(const std::string& locale) const {
  LocaleForms out = *this;
  auto it = locales.find(locale);
  if (it == locales.end()) return out;
  if (it->second.alimtalk) out.alimtalk = it->second.alimtalk;
  if (it->second.sms) out.sms = it->second.sms;
  if (it->second.email) out.email = it->second.email;
  if (it->second.push) out.push = it->second.push;
  if (it->second.inbox) out.inbox = it->second.inbox;
  return out;
}

}  // namespace jarip::notify
