#include "notify/compose.hpp"

#include <boost/json.hpp>

#include <set>

#include <cstdio>

#include "common/crypto.hpp"
#include "notify/recipients.hpp"
#include "notify/rich_forms.hpp"
#include "text/ad_rules.hpp"
#include "text/cp949.hpp"
#include "customers/directory.hpp"
#include "text/phone.hpp"
#include "text/sms_rules.hpp"
#include "text/template_render.hpp"
#include "text/utf8.hpp"

namespace jarip::notify {

namespace json = boost::json;

std::string new_message_id(TimeMs now_ms) {
  // Time first so ids sort by acceptance; 64 random bits make collisions across nodes negligible.
  char head[16];
  std::snprintf(head, sizeof head, "%011llx", static_cast<unsigned long long>(now_ms));
  return std::string("msg_") + head + crypto::random_hex(8);
}

std::string dedup_key(const std::string& message_id, int step) { return message_id + "." + std::to_string(step); }

bool is_chain_channel(std::string_view channel) {
  return channel == "alimtalk" || channel == "sms" || channel == "email" || channel == "push" || channel == "inbox";
}


std::vector<std::string> ChainOverrides::get(const std::string& channel) const {
  std::lock_guard lock(mutex_);
  auto it = orders_.find(channel);
  return it == orders_.end() ? std::vector<std::string>{} : it->second;
}

void ChainOverrides::set(const std::string& channel, std::vector<std::string> providers) {
  std::lock_guard lock(mutex_);
  if (providers.empty()) orders_.erase(channel);
  else orders_[channel] = std::move(providers);
}

Result<std::vector<std::string>> resolve_chain(const std::vector<std::string>& requested,
                                               const DeliveryOptions& options, const ProviderLookup& find_provider,
                                               const std::string& field) {
  std::vector<std::string> steps;
  for (const auto& entry : requested) {
    auto at = entry.find('@');
    std::string channel = entry.substr(0, at);
    if (!is_chain_channel(channel)) {
      return make_error("unknown_channel", "unknown channel '" + channel + "' (known: alimtalk, sms, email, push, inbox)",
                        field);
    }
    if (at != std::string::npos) {
      std::string provider = entry.substr(at + 1);
      const ProviderRuntime* p = find_provider(provider);
      if (!p) return make_error("unknown_provider", "no provider named '" + provider + "' is configured", field);
      if (std::find(p->channels.begin(), p->channels.end(), channel) == p->channels.end()) {
        return make_error("unknown_provider", "provider '" + provider + "' does not serve channel '" + channel + "'", field);
      }
      steps.push_back(channel + "@" + provider);
      continue;
    }
    std::vector<std::string> order = options.chain_overrides ? options.chain_overrides->get(channel)
                                                             : std::vector<std::string>{};
    if (order.empty()) {
      auto it = options.channel_providers.find(channel);
      if (it != options.channel_providers.end()) order = it->second;
    }
    if (order.empty()) {
      return make_error("unknown_channel", "no provider is configured for channel '" + channel + "'", field);
    }
    for (const auto& provider : order) steps.push_back(channel + "@" + provider);
  }
  if (steps.size() > 16) return make_error("chain_too_long", "a chain has at most 16 steps", field);
  return steps;
}

namespace {

Error bad(const std::string& code, const std::string& message, const std::string& field) {
  return make_error(code, message, field);
}

Result<std::string> optional_string(const json::object& o, const char* key) {
  auto* p = o.if_contains(key);
  if (!p || p->is_null()) return std::string();
  if (!p->is_string()) return bad("invalid_type", std::string("'") + key + "' must be a string", key);
  if (!text::is_valid_utf8(p->as_string())) return bad("invalid_utf8", std::string("'") + key + "' must be UTF-8", key);
  return std::string(p->as_string());
}

double price_of(const ProviderLookup& find_provider, const std::string& step, const std::string& send_kind) {
  auto at = step.find('@');
  const ProviderRuntime* p = find_provider(step.substr(at + 1));
  if (!p) return 0;
  auto it = p->price.find(send_kind);
  return it == p->price.end() ? 0 : it->second;
}

}  // namespace

Result<store::MessageRecord> compose_message(const json::value& request, const ComposeContext& ctx) {
  if (!request.is_object()) return bad("invalid_json", "a message must be a JSON object", "");
  const auto& o = request.as_object();
  static const char* known[] = {"recipient", "template", "vars", "text", "subject", "kind", "channels",
                                "ttl_s", "metadata", "send_at", "night_consent", "locale"};
  for (auto& kv : o) {
    bool ok = false;
    for (auto* k : known) ok = ok || kv.key() == k;
    if (!ok) return bad("unknown_field", "unknown field '" + std::string(kv.key()) + "'", std::string(kv.key()));
  }

  store::MessageRecord m;
  std::string customer_locale;
  bool customer_looked_up = false;
  m.created_ms = m.updated_ms = ctx.now_ms;
  m.api_key_id = ctx.api_key_id;
  m.id = new_message_id(ctx.now_ms);

  // recipient
  auto* r = o.if_contains("recipient");
  if (!r || !r->is_object()) {
    return bad("missing_field", "'recipient' is required: {\"phone\": \"010-1234-5678\"}", "recipient");
  }
  const auto& ro = r->as_object();
  for (auto& kv : ro) {
    if (kv.key() != "phone" && kv.key() != "email" && kv.key() != "customer_id") {
      return bad("unknown_field", "unknown field 'recipient." + std::string(kv.key()) + "'", "recipient." + std::string(kv.key()));
    }
  }
  json::object recipient;
  if (auto* cid = ro.if_contains("customer_id")) {
    // The addresses come from the directory when the message is stored (resolve_recipient).
    if (!cid->is_string()) return bad("invalid_type", "'recipient.customer_id' must be a string", "recipient.customer_id");
    if (ro.size() > 1) {
      return bad("invalid_value", "give either 'customer_id' or the addresses ('phone', 'email'), not both",
                 "recipient.customer_id");
    }
    if (auto st = customers::check_customer_id(cid->as_string()); !st) {
      return bad(st.error().code, st.error().message, "recipient.customer_id");
    }
    recipient["customer_id"] = cid->as_string();
    if (ctx.find_customer) {
      auto customer = ctx.find_customer(std::string(cid->as_string()));
      if (!customer) return customer.error();
      if (!*customer) {
        return bad("unknown_customer", "no customer with id '" + std::string(cid->as_string()) + "' in the directory",
                   "recipient");
      }
      if (!(*customer)->phones.empty()) {
        m.phone = (*customer)->phones.front();
        recipient["phone"] = m.phone;
      }
      if (!(*customer)->emails.empty()) recipient["email"] = (*customer)->emails.front();
      if (!(*customer)->push_subscriptions.empty()) {
        json::array devices;
        for (const auto& sub : (*customer)->push_subscriptions) devices.emplace_back(sub);
        recipient["push_subscriptions"] = std::move(devices);
      }
      customer_locale = (*customer)->locale;
      customer_looked_up = true;
    }
  }
  if (auto* ph = ro.if_contains("phone")) {
    if (!ph->is_string()) return bad("invalid_type", "'recipient.phone' must be a string", "recipient.phone");
    auto number = text::normalize_mobile(ph->as_string(), "recipient.phone");
    if (!number) return number.error();
    m.phone = number->domestic;
    recipient["phone"] = number->domestic;
  }
  if (auto* em = ro.if_contains("email")) {
    if (!em->is_string()) return bad("invalid_type", "'recipient.email' must be a string", "recipient.email");
    auto address = customers::normalize_email(em->as_string());
    if (!address) {
      return bad("invalid_email", "'recipient.email' is not a valid email address: " + address.error().message,
                 "recipient.email");
    }
    recipient["email"] = *address;
  }
  if (m.phone.empty() && !recipient.contains("customer_id") && !recipient.contains("email")) {
    return bad("missing_field", "'recipient' needs 'phone', 'email' or 'customer_id'", "recipient.phone");
  }
  m.recipient_json = json::serialize(recipient);

  // kind
  auto kind = optional_string(o, "kind");
  if (!kind) return kind.error();
  m.kind = kind->empty() ? "info" : *kind;
  if (m.kind != "info" && m.kind != "ad") return bad("invalid_value", "'kind' must be \"info\" or \"ad\"", "kind");

  // content: template + vars, or text
  auto template_name = optional_string(o, "template");
  if (!template_name) return template_name.error();
  auto raw_text = optional_string(o, "text");
  if (!raw_text) return raw_text.error();
  auto subject = optional_string(o, "subject");
  if (!subject) return subject.error();
  if (template_name->empty() == raw_text->empty()) {
    return bad("missing_field", "give exactly one of 'template' (with 'vars') or 'text'", "template");
  }
  std::optional<Template> tpl;
  text::TemplateVars vars;
  if (auto* v = o.if_contains("vars")) {
    if (!v->is_object()) return bad("invalid_type", "'vars' must be an object of strings", "vars");
    for (auto& kv : v->as_object()) {
      std::string value;
      if (kv.value().is_string()) value = std::string(kv.value().as_string());
      else if (kv.value().is_int64()) value = std::to_string(kv.value().as_int64());
      else if (kv.value().is_uint64()) value = std::to_string(kv.value().as_uint64());
      else return bad("invalid_type", "'vars." + std::string(kv.key()) + "' must be a string or integer", "vars." + std::string(kv.key()));
      if (!text::is_valid_utf8(value)) return bad("invalid_utf8", "vars must be UTF-8", "vars." + std::string(kv.key()));
      vars.emplace(std::string(kv.key()), std::move(value));
    }
  }
  if (!template_name->empty()) {
    tpl = ctx.find_template(*template_name);
    if (!tpl) return bad("unknown_template", "no template named '" + *template_name + "'", "template");
    m.template_name = *template_name;
    if (!o.contains("kind")) m.kind = tpl->kind;
    if (tpl->kind != m.kind) {
      return bad("kind_mismatch", "template '" + *template_name + "' is of kind '" + tpl->kind + "'", "kind");
    }
    // A typo in a variable name would otherwise send the message with the real variable missing.
    std::string all_text;
    auto add_forms = [&](const LocaleForms& f) {
      all_text += (f.alimtalk ? f.alimtalk->text : "") + "\n" + (f.sms ? f.sms->text + "\n" + f.sms->subject : "") + "\n";
      if (f.email) all_text += f.email->subject + "\n" + f.email->text + "\n" + f.email->html + "\n";
      if (f.push) all_text += f.push->title + "\n" + f.push->body + "\n" + f.push->url + "\n";
      if (f.inbox) all_text += f.inbox->title + "\n" + f.inbox->text + "\n";
    };
    add_forms(*tpl);
    for (auto& [locale, forms] : tpl->locales) add_forms(forms);
    auto unknown = text::unknown_template_variables(all_text, vars);
    if (!unknown.empty()) {
      return bad("template_variable_unknown", "template '" + *template_name + "' has no variable '" + unknown.front() + "'",
                 "vars." + unknown.front());
    }
  }

  // #{inbox_url}: the customer's signed inbox link, for templates that carry it (an AlimTalk button
  // registered with a variable link, an SMS line). Given by jarip, never by the request.
  if (tpl && recipient.contains("customer_id") && ctx.options.inbox_link) {
    vars.insert_or_assign("inbox_url", ctx.options.inbox_link(std::string(recipient["customer_id"].as_string())));
  }

  // chain
  std::vector<std::string> requested_chain;
  bool explicit_chain = false;
  if (auto* c = o.if_contains("channels")) {
    if (!c->is_array() || c->as_array().empty()) {
      return bad("invalid_type", "'channels' must be a non-empty array such as [\"alimtalk\", \"sms\"]", "channels");
    }
    for (auto& e : c->as_array()) {
      if (!e.is_string()) return bad("invalid_type", "'channels' entries must be strings", "channels");
      requested_chain.emplace_back(e.as_string());
    }
    explicit_chain = true;
  } else if (tpl && !tpl->chain.empty()) {
    requested_chain = tpl->chain;
  } else {
    requested_chain = ctx.options.default_chain;
  }
  auto resolved = resolve_chain(requested_chain, ctx.options, ctx.find_provider, "channels");
  if (!resolved) return resolved.error();

  // The recipient's language picks the template's forms: the request's "locale", else the
  // customer's, else the template's default.
  std::string locale = customer_locale;
  if (auto* l = o.if_contains("locale")) {
    if (!l->is_string()) return bad("invalid_type", "'locale' must be a string such as \"ko\" or \"en\"", "locale");
    auto normal = customers::normalize_locale(l->as_string());
    if (!normal) return bad("invalid_value", "'locale' must be \"ko\" or \"en\"", "locale");
    locale = *normal;
  }
  LocaleForms lf = tpl ? tpl->forms_for(locale.empty() ? tpl->default_locale : locale) : LocaleForms{};

  // Render each channel's form once.
  json::object forms;
  bool has_alimtalk_form = tpl && lf.alimtalk;
  std::set<std::string> wanted;
  for (auto& s : *resolved) wanted.insert(split_step(s).channel);
  bool wants_alimtalk = wanted.count("alimtalk") > 0, wants_sms = wanted.count("sms") > 0;
  if (wants_alimtalk && m.kind == "ad") {
    if (explicit_chain) {
      return bad("ad_not_allowed_on_alimtalk", "AlimTalk carries informational messages only; send ads by SMS", "channels");
    }
  }
  if (wants_alimtalk && !has_alimtalk_form && explicit_chain) {
    return bad("alimtalk_needs_template",
               "AlimTalk sends only registered templates: give a 'template' with an AlimTalk form, or drop 'alimtalk' from 'channels'",
               "channels");
  }
  if (wants_alimtalk && has_alimtalk_form && m.kind == "info") {
    auto rendered = text::render_template(lf.alimtalk->text, vars);
    if (!rendered) return rendered.error();
    if (auto len = text::check_alimtalk_body(*rendered); !len) return make_error(len.error().code, len.error().message, "vars");
    json::object vo;
    for (auto& name : text::template_variables(lf.alimtalk->text)) vo[name] = vars.at(name);
    json::object codes;
    for (auto& [p, code] : lf.alimtalk->codes) codes[p] = code;
    forms["alimtalk"] = json::object{{"text", *rendered}, {"vars", std::move(vo)}, {"codes", std::move(codes)},
                                     {"buttons", buttons_to_json(lf.alimtalk->buttons)}};
  }
  std::string sms_kind;
  std::string plain_sms_text, plain_sms_subject;  // before the ad format, for channels that lend it
  if (tpl && lf.sms) {
    auto rendered = text::render_template(lf.sms->text, vars);
    if (rendered) plain_sms_text = *rendered;
    auto rsub = text::render_template(lf.sms->subject, vars);
    if (rsub) plain_sms_subject = *rsub;
  }
  if (wants_sms) {
    std::string body, subj = *subject;
    if (tpl) {
      if (!lf.sms) {
        if (explicit_chain) return bad("template_has_no_sms_form", "template '" + tpl->name + "' has no SMS form", "channels");
      } else {
        auto rendered = text::render_template(lf.sms->text, vars);
        if (!rendered) return rendered.error();
        body = *rendered;
        auto rsub = text::render_template(lf.sms->subject, vars);
        if (!rsub) return rsub.error();
        if (subj.empty()) subj = *rsub;
      }
    } else {
      body = *raw_text;
    }
    if (!body.empty()) {
      if (m.kind == "ad") {
        if (ctx.options.ads.opt_out_number.empty()) {
          return bad("ads_not_configured", "sending ads needs ads.opt_out_number (free 080 opt-out line) in the configuration", "kind");
        }
        auto formatted = text::apply_ad_format_sms(body, ctx.options.ads.sender_name, ctx.options.ads.opt_out_number);
        if (!formatted) return formatted.error();
        body = *formatted;
      }
      if (ctx.options.shorten_sms_links) body = ctx.options.shorten_sms_links(body, m.id, ctx.now_ms, m.short_links);
      if (ctx.options.sms_unencodable == "replace") {
        if (auto rb = text::cp949_replace_unencodable(body); rb) body = *rb;
        if (auto rs = text::cp949_replace_unencodable(subj); rs) subj = *rs;
      }
      auto plan = text::choose_sms_kind(body, subj);
      if (!plan) return make_error(plan.error().code, plan.error().message, tpl ? "vars" : plan.error().field);
      sms_kind = plan->kind == text::SmsKind::sms ? "sms" : "lms";
      forms["sms"] = json::object{{"text", body}, {"subject", subj}, {"kind", sms_kind}};
    }
  }
  if (wanted.count("email") || wanted.count("push") || wanted.count("inbox")) {
    RichFormInput rich;
    rich.forms = tpl ? &lf : nullptr;
    rich.vars = &vars;
    rich.raw_text = *raw_text;
    rich.subject = *subject;
    rich.fallback_text = plain_sms_text;
    rich.fallback_subject = plain_sms_subject;
    if (rich.fallback_text.empty() && tpl && lf.alimtalk) {
      if (auto rendered = text::render_template(lf.alimtalk->text, vars); rendered) rich.fallback_text = *rendered;
    }
    rich.advertisement = m.kind == "ad";
    rich.sender_name = ctx.options.ads.sender_name;
    rich.locale = locale.empty() ? (tpl ? tpl->default_locale : "ko") : locale;
    if (auto st = render_rich_forms(rich, wanted.count("email") > 0, wanted.count("push") > 0, wanted.count("inbox") > 0,
                                    forms);
        !st)
      return st.error();
  }
  forms["locale"] = locale.empty() ? (tpl ? tpl->default_locale : "ko") : locale;
  // Keep only the steps that have a form; a fallback never turns info AlimTalk into an ad SMS
  // because kind is fixed per message and the SMS form was rendered with the same kind.
  // Addressed by customer_id without the directory at hand, the directory decides when the message
  // is stored (resolve_recipient).
  const bool decided_later = recipient.contains("customer_id") && !customer_looked_up;
  auto reachable = [&](const std::string& channel) { return decided_later || !unreachable_reason(recipient, channel); };
  std::vector<std::string> steps;
  bool any_form = false;
  for (auto& s : *resolved) {
    std::string channel = split_step(s).channel;
    if (!forms.contains(channel)) continue;
    any_form = true;
    if (reachable(channel)) steps.push_back(s);
  }
  if (steps.empty()) {
    if (any_form) {
      return bad("no_channel_for_recipient",
                 "no channel in the chain reaches this recipient (SMS and AlimTalk need a phone, email an address, "
                 "push and inbox a customer_id)",
                 "recipient");
    }
    return bad("no_channel_for_message", "no channel in the chain can carry this message (AlimTalk needs an info template with an AlimTalk form; SMS needs a text)",
               "channels");
  }
  if (tpl && !tpl->allow_costlier_fallback) {
    auto kind_of = [&](const std::string& s) {
      std::string channel = split_step(s).channel;
      return channel == "sms" ? sms_kind : channel;
    };
    double first = price_of(ctx.find_provider, steps.front(), kind_of(steps.front()));
    std::vector<std::string> kept;
    for (auto& s : steps) {
      if (price_of(ctx.find_provider, s, kind_of(s)) <= first) kept.push_back(s);
    }
    steps = std::move(kept);
  }
  json::array chain;
  for (auto& s : steps) chain.emplace_back(s);
  m.chain_json = json::serialize(chain);
  m.rendered_json = json::serialize(forms);

  // timing
  m.due_ms = ctx.now_ms;
  if (auto* sa = o.if_contains("send_at")) {
    if (!sa->is_string()) return bad("invalid_type", "'send_at' must be an RFC 3339 time such as 2026-11-25T09:00:00+09:00", "send_at");
    auto t = parse_rfc3339(std::string(sa->as_string()));
    if (!t) return bad("invalid_time", "'send_at' must be an RFC 3339 time such as 2026-11-25T09:00:00+09:00", "send_at");
    if (*t > ctx.now_ms + ctx.options.max_ttl_ms) return bad("invalid_time", "'send_at' is more than the maximum TTL ahead", "send_at");
    m.due_ms = std::max(*t, ctx.now_ms);
  }
  if (auto* ttl = o.if_contains("ttl_s")) {
    if (!ttl->is_int64() || ttl->as_int64() <= 0 || ttl->as_int64() * 1000 > ctx.options.max_ttl_ms) {
      return bad("invalid_value", "'ttl_s' must be a positive integer number of seconds, at most the configured maximum", "ttl_s");
    }
    m.expires_ms = m.due_ms + ttl->as_int64() * 1000;
  }
  if (auto* nc = o.if_contains("night_consent")) {
    if (!nc->is_bool()) return bad("invalid_type", "'night_consent' must be true or false", "night_consent");
    m.night_consent = nc->as_bool();
  }
  if (auto* md = o.if_contains("metadata")) {
    if (!md->is_object()) return bad("invalid_type", "'metadata' must be an object", "metadata");
    m.metadata_json = json::serialize(*md);
    if (m.metadata_json.size() > 4096) return bad("metadata_too_large", "'metadata' must be at most 4 KiB of JSON", "metadata");
  } else {
    m.metadata_json = "{}";
  }
  return m;
}

}  // namespace jarip::notify
