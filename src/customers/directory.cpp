#include "customers/directory.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "text/kst.hpp"
#include "text/phone.hpp"

namespace jarip::customers {

namespace json = boost::json;

Status check_customer_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return make_error("invalid_value", "a customer id is 1-128 characters", "id");
  if (id == "import" || id == "export") {
    return make_error("invalid_value", "'import' and 'export' are reserved (they name /v1/customers/import, /export)", "id");
  }
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == ':' || c == '@';
    if (!ok) return make_error("invalid_value", "a customer id may hold letters, digits and - _ . : @ only", "id");
  }
  return {};
}

namespace {

Result<std::string> text_field(const json::object& o, std::string_view key, const std::string& field,
                               std::size_t max) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) return make_error("invalid_type", "must be a string", field);
  std::string s(v->as_string());
  if (s.size() > max) return make_error("invalid_value", "at most " + std::to_string(max) + " bytes", field);
  return s;
}

Result<std::vector<std::string>> list_field(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return out;
  const json::array* a = v->if_array();
  if (a == nullptr) return make_error("invalid_type", "must be an array of strings", std::string(key));
  if (a->size() > 20) return make_error("invalid_value", "at most 20 entries", std::string(key));
  for (std::size_t i = 0; i < a->size(); ++i) {
    std::string field = std::string(key) + "[" + std::to_string(i) + "]";
    if (!(*a)[i].is_string()) return make_error("invalid_type", "must be a string", field);
    out.emplace_back((*a)[i].as_string());
  }
  return out;
}

Status only_known(const json::object& o, std::initializer_list<std::string_view> known, const std::string& prefix) {
  for (const auto& kv : o) {
    bool found = false;
    for (auto k : known) found = found || kv.key() == k;
    if (!found) return make_error("unknown_field", "unknown field", prefix + std::string(kv.key()));
  }
  return {};
}

Result<Consent> consent_from_json(const json::value& v, const std::string& field) {
  const json::object* o = v.if_object();
  if (o == nullptr) return make_error("invalid_type", "must be an object", field);
  if (auto st = only_known(*o, {"channel", "purpose", "granted", "at", "source", "evidence"}, field + "."); !st) {
    return st.error();
  }
  Consent c;
  JARIP_TRY_ASSIGN(c.channel, text_field(*o, "channel", field + ".channel", 16));
  if (!is_consent_channel(c.channel)) {
    return make_error("invalid_value", "channel is one of *, sms, alimtalk, email, push", field + ".channel");
  }
  JARIP_TRY_ASSIGN(c.purpose, text_field(*o, "purpose", field + ".purpose", 16));
  if (!is_consent_purpose(c.purpose)) {
    return make_error("invalid_value", "purpose is one of info, ad, ad_night", field + ".purpose");
  }
  const json::value* g = o->if_contains("granted");
  if (g == nullptr || !g->is_bool()) return make_error("invalid_type", "granted must be true or false", field + ".granted");
  c.granted = g->as_bool();
  std::string at;
  JARIP_TRY_ASSIGN(at, text_field(*o, "at", field + ".at", 64));
  if (!at.empty()) {
    auto canonical = normalize_consent_time(at);
    if (!canonical) return make_error("invalid_value", canonical.error().message, field + ".at");
    c.at = *canonical;
  }
  JARIP_TRY_ASSIGN(c.source, text_field(*o, "source", field + ".source", 200));
  JARIP_TRY_ASSIGN(c.evidence, text_field(*o, "evidence", field + ".evidence", 2000));
  return c;
}

// The subscriptions as opaque objects: their keys and endpoint are checked where they enter
// (notify/push_subscriptions, which knows the Web Push rules); here only the shape, the bound and one
// subscription per endpoint (a later one replaces an earlier one: the browser subscribed again).
Result<std::vector<std::string>> push_subscriptions_field(const json::object& o) {
  std::vector<std::string> out;
  std::vector<std::string> endpoints;
  const json::value* v = o.if_contains("push_subscriptions");
  if (v == nullptr || v->is_null()) return out;
  const json::array* a = v->if_array();
  if (a == nullptr) return make_error("invalid_type", "must be an array of subscription objects", "push_subscriptions");
  for (std::size_t i = 0; i < a->size(); ++i) {
    const std::string field = "push_subscriptions[" + std::to_string(i) + "]";
    const json::object* s = (*a)[i].if_object();
    if (s == nullptr) return make_error("invalid_type", "must be a subscription object", field);
    const json::value* endpoint = s->if_contains("endpoint");
    if (endpoint == nullptr || !endpoint->is_string()) {
      return make_error("invalid_type", "endpoint must be a string", field + ".endpoint");
    }
    std::string text = json::serialize(*s);
    if (text.size() > kMaxPushSubscriptionSize) {
      return make_error("invalid_value", "at most " + std::to_string(kMaxPushSubscriptionSize) + " bytes", field);
    }
    const std::string url(endpoint->as_string());
    for (std::size_t k = 0; k < endpoints.size(); ++k) {
      if (endpoints[k] == url) {
        endpoints.erase(endpoints.begin() + static_cast<std::ptrdiff_t>(k));
        out.erase(out.begin() + static_cast<std::ptrdiff_t>(k));
        break;
      }
    }
    endpoints.push_back(url);
    out.push_back(std::move(text));
  }
  if (out.size() > kMaxPushSubscriptions) {
    return make_error("invalid_value", "at most " + std::to_string(kMaxPushSubscriptions) + " subscriptions",
                      "push_subscriptions");
  }
  return out;
}

}  // namespace

Result<Customer> customer_from_json(std::string_view id, const json::value& body) {
  if (auto st = check_customer_id(id); !st) return st.error();
  const json::object* o = body.if_object();
  if (o == nullptr) return make_error("invalid_type", "the body must be a JSON object", "");
  if (auto st = only_known(*o, {"id", "name", "locale", "phones", "emails", "consents", "push_subscriptions"}, "");
      !st) {
    return st.error();
  }
  Customer c;
  c.id = std::string(id);
  if (const json::value* given = o->if_contains("id"); given && !(given->is_string() && given->as_string() == id)) {
    return make_error("invalid_value", "the body's id differs from the path's", "id");
  }
  JARIP_TRY_ASSIGN(c.name, text_field(*o, "name", "name", 200));
  std::string locale;
  JARIP_TRY_ASSIGN(locale, text_field(*o, "locale", "locale", 32));
  if (locale.empty()) {
    c.locale = "ko";
  } else {
    auto l = normalize_locale(locale);
    if (!l) return make_error("invalid_value", l.error().message, "locale");
    c.locale = *l;
  }
  std::vector<std::string> phones, emails;
  JARIP_TRY_ASSIGN(phones, list_field(*o, "phones"));
  for (std::size_t i = 0; i < phones.size(); ++i) {
    auto p = text::normalize_mobile(phones[i], "phones[" + std::to_string(i) + "]");
    if (!p) return p.error();
    if (std::find(c.phones.begin(), c.phones.end(), p->domestic) == c.phones.end()) c.phones.push_back(p->domestic);
  }
  JARIP_TRY_ASSIGN(emails, list_field(*o, "emails"));
  for (std::size_t i = 0; i < emails.size(); ++i) {
    auto e = normalize_email(emails[i]);
    if (!e) return make_error("invalid_email", e.error().message, "emails[" + std::to_string(i) + "]");
    if (std::find(c.emails.begin(), c.emails.end(), *e) == c.emails.end()) c.emails.push_back(*e);
  }
  if (const json::value* cs = o->if_contains("consents"); cs && !cs->is_null()) {
    const json::array* a = cs->if_array();
    if (a == nullptr) return make_error("invalid_type", "must be an array", "consents");
    if (a->size() > kConsentChannels.size() * kConsentPurposes.size()) {
      return make_error("invalid_value", "at most one consent per channel and purpose", "consents");
    }
    std::set<std::pair<std::string, std::string>> seen;
    for (std::size_t i = 0; i < a->size(); ++i) {
      std::string field = "consents[" + std::to_string(i) + "]";
      Consent consent;
      JARIP_TRY_ASSIGN(consent, consent_from_json((*a)[i], field));
      if (!seen.insert({consent.channel, consent.purpose}).second) {
        return make_error("invalid_value", "a second consent for " + consent.channel + "/" + consent.purpose, field);
      }
      c.consents.push_back(std::move(consent));
    }
  }
  JARIP_TRY_ASSIGN(c.push_subscriptions, push_subscriptions_field(*o));
  return c;
}

json::object customer_to_json(const Customer& c) {
  json::array phones, emails, consents;
  for (auto& p : c.phones) phones.emplace_back(p);
  for (auto& e : c.emails) emails.emplace_back(e);
  for (auto& k : c.consents) {
    json::object o{{"channel", k.channel}, {"purpose", k.purpose}, {"granted", k.granted}};
    if (!k.at.empty()) o["at"] = k.at;
    if (!k.source.empty()) o["source"] = k.source;
    if (!k.evidence.empty()) o["evidence"] = k.evidence;
    consents.push_back(std::move(o));
  }
  json::array subscriptions;
  for (auto& s : c.push_subscriptions) {
    boost::system::error_code ec;
    json::value v = json::parse(s, ec);
    if (!ec) subscriptions.push_back(std::move(v));
  }
  return json::object{{"id", c.id},         {"name", c.name},     {"locale", c.locale},
                      {"phones", phones},   {"emails", emails},   {"consents", consents},
                      {"push_subscriptions", std::move(subscriptions)}};
}

const Consent* applicable_consent(const Customer& customer, std::string_view channel, std::string_view purpose) {
  const Consent* any = nullptr;
  for (const auto& c : customer.consents) {
    if (c.purpose != purpose) continue;
    if (c.channel == channel) return &c;
    if (c.channel == "*") any = &c;
  }
  return any;
}

namespace {

// "" when it allows; else the refusal's code.
std::string judge(const Consent* c, TimeMs now) {
  if (c == nullptr) return "no_ad_consent";
  if (!c->granted) return "ad_consent_withdrawn";
  if (!c->at.empty()) {
    auto at = text::parse_rfc3339(c->at);
    if (at && now - *at > kAdConsentValidityMs) return "ad_consent_expired";
  }
  return {};
}

}  // namespace

AdPermission ad_permission(const Customer& customer, std::string_view channel, TimeMs now) {
  AdPermission p;
  p.code = judge(applicable_consent(customer, channel, "ad"), now);
  p.allowed = p.code.empty();
  p.night_allowed = p.allowed && judge(applicable_consent(customer, channel, "ad_night"), now).empty();
  std::string ch(channel);
  if (p.code == "no_ad_consent") {
    p.reason = "customer '" + customer.id + "' has not consented to advertising on " + ch;
  } else if (p.code == "ad_consent_withdrawn") {
    p.reason = "customer '" + customer.id + "' refused or withdrew advertising consent on " + ch;
  } else if (p.code == "ad_consent_expired") {
    p.reason = "customer '" + customer.id + "' gave advertising consent on " + ch +
               " more than two years ago and has not re-confirmed it";
  }
  return p;
}

namespace {

std::string_view channel_name(std::string_view channel, bool ko) {
  if (channel == "sms") return ko ? "문자(SMS)" : "text messages (SMS)";
  if (channel == "alimtalk") return ko ? "카카오 알림톡" : "KakaoTalk";
  if (channel == "email") return ko ? "이메일" : "email";
  if (channel == "push") return ko ? "앱·웹 푸시" : "push notifications";
  return ko ? "모든 채널" : "all channels";
}

}  // namespace

bool consent_needs_notice(const Consent& consent, TimeMs now) {
  constexpr TimeMs fourteen_days = 14LL * 24 * 3600 * 1000;
  if (consent.at.empty()) return true;
  auto at = text::parse_rfc3339(consent.at);
  return !at || now - *at <= fourteen_days;
}

std::string consent_notice_text(const std::vector<Consent>& changes, std::string_view sender_name,
                                std::string_view locale, TimeMs now) {
  bool ko = locale != "en";
  std::string date = text::format_kst(now).substr(0, 10);
  std::string lines;
  for (const auto& c : changes) {
    if (c.purpose != "ad" && c.purpose != "ad_night") continue;
    std::string what = std::string(channel_name(c.channel, ko));
    if (ko) {
      what += c.purpose == "ad_night" ? " 야간(21시~08시) 광고성 정보 수신" : " 광고성 정보 수신";
      what += c.granted ? " 동의" : " 거부(철회)";
    } else {
      what = std::string(c.purpose == "ad_night" ? "night-time (21:00-08:00) advertising by " : "advertising by ") + what;
      what += c.granted ? ": consent given" : ": refused/withdrawn";
    }
    lines += "\n- " + what;
  }
  if (lines.empty()) return {};
  std::string sender = sender_name.empty() ? std::string(ko ? "발신자" : "the sender") : std::string(sender_name);
  if (ko) {
    return "[" + sender + "] 광고성 정보 수신동의 처리 결과 안내\n" + date + " 처리된 내용:" + lines + "\n처리자: " + sender;
  }
  return "[" + sender + "] Your advertising consent was updated on " + date + ":" + lines + "\nRecorded by: " + sender;
}

}  // namespace jarip::customers
