#include "notify/recipients.hpp"

#include <boost/json.hpp>

#include <algorithm>

#include "customers/directory.hpp"
#include "notify/consent_ops.hpp"
#include "notify/forms.hpp"
#include "text/kst.hpp"

namespace jarip::notify {

namespace json = boost::json;

std::string recipient_customer_id(const store::MessageRecord& m) {
  if (m.recipient_json.find("\"customer_id\"") == std::string::npos) return {};
  boost::system::error_code ec;
  json::value v = json::parse(m.recipient_json, ec);
  if (ec || !v.is_object()) return {};
  const json::value* id = v.as_object().if_contains("customer_id");
  return id && id->is_string() ? std::string(id->as_string()) : std::string();
}

Result<customers::Customer> customer_from_record(const store::CustomerRecord& row) {
  boost::system::error_code ec;
  json::value doc = json::parse(row.doc_json, ec);
  if (ec) return make_error("storage_error", "customer '" + row.id + "' is stored unreadably");
  return customers::customer_from_json(row.id, doc);
}

store::CustomerRecord customer_record(const customers::Customer& c, TimeMs now) {
  store::CustomerRecord r;
  r.id = c.id;
  r.doc_json = json::serialize(customers::customer_to_json(c));
  r.addresses = c.phones;
  r.addresses.insert(r.addresses.end(), c.emails.begin(), c.emails.end());
  r.created_ms = now;
  r.updated_ms = now;
  return r;
}

Result<std::optional<customers::Customer>> load_customer(store::StoreSession& s, const std::string& id) {
  auto row = s.get_customer(id);
  if (!row) return row.error();
  if (!*row) return std::optional<customers::Customer>();
  auto customer = customer_from_record(**row);
  if (!customer) return customer.error();
  return std::optional<customers::Customer>(std::move(*customer));
}

namespace {

Result<customers::Customer> existing_customer(store::StoreSession& s, const std::string& id) {
  auto c = load_customer(s, id);
  if (!c) return c.error();
  if (!*c) return make_error("unknown_customer", "no customer with id '" + id + "' in the directory", "recipient");
  return std::move(**c);
}

Error refusal(const customers::AdPermission& p) { return make_error(p.code, p.reason, "recipient"); }

}  // namespace

bool needs_recipient_check(const store::MessageRecord& m) {
  // A message to a customer composed with the directory has its addresses already; only an ad needs
  // the consents read again.
  if (m.kind == "ad") return true;
  if (m.recipient_json.find("\"customer_id\"") == std::string::npos) return false;
  // Composed without the directory: no address was filled in.
  return m.recipient_json.find("\"phone\"") == std::string::npos && m.recipient_json.find("\"email\"") == std::string::npos &&
         m.recipient_json.find("\"push_subscriptions\"") == std::string::npos;
}

namespace {

std::vector<std::string> channels_of_chain(const std::string& chain_json) {
  std::vector<std::string> out;
  for (const auto& step : parse_chain(chain_json)) {
    std::string channel = split_step(step).channel;
    if (std::find(out.begin(), out.end(), channel) == out.end()) out.push_back(channel);
  }
  return out;
}

}  // namespace

// Why an ad may not go to a phone number or email address given directly: its customer withdrew
// (on that channel), or the address opted out (080 call, unsubscribe link). nullopt when it may.
Result<std::optional<Error>> address_ad_refusal(store::StoreSession& s, const std::string& address,
                                                const std::string& channel, TimeMs now) {
  auto holders = s.customers_with_address(address);
  if (!holders) return holders.error();
  for (const auto& id : *holders) {
    auto customer = existing_customer(s, id);
    if (!customer) continue;
    auto permission = customers::ad_permission(*customer, channel, now);
    if (permission.code == "ad_consent_withdrawn") return std::optional<Error>(refusal(permission));
  }
  auto opted_out = s.has_opt_out(address);
  if (!opted_out) return opted_out.error();
  if (*opted_out) {
    return std::optional<Error>(make_error(
        "opted_out",
        channel == "sms" ? "this number opted out of advertising (free 080 opt-out call)"
                         : "this address unsubscribed from advertising",
        "recipient"));
  }
  return std::optional<Error>();
}

Result<AdVerdict> judge_ad_channels(store::StoreSession& s, const customers::Customer& customer,
                                    const std::vector<std::string>& chain_channels, const std::string& phone, TimeMs now) {
  // Consent is per channel: a channel the customer refused is skipped with its reason. Night-time
  // sending needs night consent on every channel that may carry the ad, email excepted (the law
  // exempts it).
  AdVerdict v;
  for (const auto& channel : chain_channels) {
    if (channel == "alimtalk") continue;  // never carries ads (compose drops it)
    auto permission = customers::ad_permission(customer, channel, now);
    if (permission.allowed && channel == "sms" && !phone.empty()) {
      auto opted_out = s.has_opt_out(phone);
      if (!opted_out) return opted_out.error();
      if (*opted_out) {
        permission = customers::AdPermission{false, false, "opted_out",
                                             "this number opted out of advertising (free 080 opt-out call)"};
      }
    }
    if (!permission.allowed) {
      v.refused[channel] = json::object{{"code", permission.code}, {"reason", permission.reason}};
      if (!v.first_refusal) v.first_refusal = permission;
      continue;
    }
    v.any_allowed = true;
    if (channel != "email") v.night = v.night && permission.night_allowed;
  }
  return v;
}

Result<bool> refresh_ad_consent(store::StoreSession& s, store::MessageRecord& m, TimeMs now) {
  if (m.kind != "ad") return false;
  std::string customer_id = recipient_customer_id(m);
  if (customer_id.empty()) return false;
  auto customer = load_customer(s, customer_id);
  if (!customer) return customer.error();
  if (!*customer) return false;  // erased: the message's recipient is anonymised already
  auto verdict = judge_ad_channels(s, **customer, channels_of_chain(m.chain_json), m.phone, now);
  if (!verdict) return verdict.error();
  boost::system::error_code ec;
  json::value doc = json::parse(m.recipient_json, ec);
  if (ec || !doc.is_object()) return false;
  auto& recipient = doc.as_object();
  json::value before = recipient.contains("ad_refused") ? recipient["ad_refused"] : json::value(json::object());
  if (verdict->refused.empty()) recipient.erase("ad_refused");
  else recipient["ad_refused"] = verdict->refused;
  json::value after = recipient.contains("ad_refused") ? recipient["ad_refused"] : json::value(json::object());
  bool night = verdict->any_allowed && verdict->night;
  if (before == after && night == m.night_consent) return false;
  m.recipient_json = json::serialize(recipient);
  m.night_consent = night;
  return true;
}

Status resolve_recipient(store::StoreSession& s, store::MessageRecord& m, TimeMs now) {
  std::string customer_id = recipient_customer_id(m);
  std::vector<std::string> chain_channels = channels_of_chain(m.chain_json);
  if (!customer_id.empty()) {
    auto customer = existing_customer(s, customer_id);
    if (!customer) return customer.error();
    json::object recipient{{"customer_id", customer_id}};
    if (!customer->phones.empty()) {
      m.phone = customer->phones.front();
      recipient["phone"] = m.phone;
    }
    if (!customer->emails.empty()) recipient["email"] = customer->emails.front();
    if (!customer->push_subscriptions.empty()) {
      json::array devices;
      for (const auto& sub : customer->push_subscriptions) devices.emplace_back(sub);
      recipient["push_subscriptions"] = std::move(devices);
    }
    bool reachable = false;
    for (const auto& channel : chain_channels) reachable = reachable || !unreachable_reason(recipient, channel);
    if (!reachable) {
      return make_error("customer_unreachable",
                        "customer '" + customer_id + "' has no address for any channel of this message's chain (" +
                            *unreachable_reason(recipient, chain_channels.empty() ? "sms" : chain_channels.front()) + ")",
                        "recipient");
    }
    if (m.kind == "ad") {
      auto verdict = judge_ad_channels(s, *customer, chain_channels, m.phone, now);
      if (!verdict) return verdict.error();
      if (!verdict->any_allowed) {
        if (verdict->first_refusal) return refusal(*verdict->first_refusal);
        return make_error("no_ad_consent", "no channel of this chain may carry an ad", "recipient");
      }
      if (!verdict->refused.empty()) recipient["ad_refused"] = std::move(verdict->refused);
      m.night_consent = verdict->night;
    }
    m.recipient_json = json::serialize(recipient);
  } else if (m.kind == "ad") {
    // Addressed by number or address: the request vouches for consent, but a recorded refusal, an
    // 080 call or an unsubscribe from the address wins, channel by channel.
    boost::system::error_code ec;
    json::value doc = json::parse(m.recipient_json, ec);
    if (ec || !doc.is_object()) return make_error("internal", "unreadable recipient", "recipient");
    auto& recipient = doc.as_object();
    std::string email = recipient.contains("email") ? std::string(recipient["email"].as_string()) : std::string();
    json::object refused;
    std::optional<Error> first;
    bool any_allowed = false;
    for (const auto& channel : chain_channels) {
      if (channel != "sms" && channel != "email") continue;
      const std::string& address = channel == "sms" ? m.phone : email;
      if (address.empty()) continue;
      auto why = address_ad_refusal(s, address, channel, now);
      if (!why) return why.error();
      if (*why) {
        refused[channel] = json::object{{"code", (*why)->code}, {"reason", (*why)->message}};
        if (!first) first = **why;
        continue;
      }
      any_allowed = true;
    }
    if (!any_allowed && first) return *first;
    if (!refused.empty()) {
      recipient["ad_refused"] = std::move(refused);
      m.recipient_json = json::serialize(recipient);
    }
  }
  return {};
}

std::optional<std::string> unreachable_reason(const json::object& recipient, std::string_view channel) {
  auto has = [&](const char* key) {
    const json::value* v = recipient.if_contains(key);
    return v && ((v->is_string() && !v->as_string().empty()) || (v->is_array() && !v->as_array().empty()));
  };
  if (channel == "alimtalk" || channel == "sms") {
    if (!has("phone")) return "no phone number";
  } else if (channel == "email") {
    if (!has("email")) return "no email address";
  } else if (channel == "push") {
    if (!has("push_subscriptions")) return "no web push subscription";
  } else if (channel == "inbox") {
    if (!has("customer_id")) return "the inbox needs a customer_id";
  }
  return std::nullopt;
}

Result<int> apply_opt_out_to_customers(store::StoreSession& s, const std::string& phone, const std::string& provider,
                                       const std::string& evidence, TimeMs now, const ConsentNotices* notices) {
  int notices_stored = 0;
  auto holders = s.customers_with_address(phone);
  if (!holders) return holders.error();
  std::string at = text::format_kst(now);
  for (const auto& id : *holders) {
    auto row = s.get_customer(id);
    if (!row) return row.error();
    if (!*row) continue;
    auto customer = customer_from_record(**row);
    if (!customer) continue;
    std::vector<customers::Consent> changed;
    for (const char* purpose : {"ad", "ad_night"}) {
      customers::Consent withdrawal{"sms", purpose, false, at, "080 opt-out (" + provider + ")", evidence.substr(0, 2000)};
      changed.push_back(withdrawal);
      bool replaced = false;
      for (auto& c : customer->consents) {
        if (c.channel == "sms" && c.purpose == purpose) {
          c = withdrawal;
          replaced = true;
        }
      }
      if (!replaced) customer->consents.push_back(withdrawal);
      store::ConsentEventRecord event{0, id, "sms", purpose, false, at, withdrawal.source, withdrawal.evidence, now};
      if (auto st = s.insert_consent_event(event); !st) return st.error();
    }
    if (auto st = s.put_customer(customer_record(*customer, now)); !st) return st.error();  // keeps created_ms
    // 정보통신망법 §50⑧: the withdrawal is confirmed to the customer, like any other.
    if (notices) {
      auto stored = store_consent_notice(s, *notices, *customer, changed, now);
      if (!stored) return stored.error();
      if (*stored) ++notices_stored;
    }
  }
  return notices_stored;
}

}  // namespace jarip::notify
