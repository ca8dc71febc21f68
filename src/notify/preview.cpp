#include "notify/preview.hpp"

#include <boost/json.hpp>

#include "notify/forms.hpp"
#include "text/cp949.hpp"
#include "text/utf8.hpp"

namespace jarip::notify {

namespace json = boost::json;

namespace {

constexpr std::size_t kSmsMaxBytes = 90;
constexpr std::size_t kLmsMaxBytes = 2000;
constexpr std::size_t kAlimtalkMaxChars = 1000;

json::object sms_form(const MessageForms& f) {
  json::object o{{"text", f.sms_text}, {"type", std::string(channels::to_string(f.sms_kind))}};
  if (!f.sms_subject.empty()) o["subject"] = f.sms_subject;
  json::array errors;
  auto length = text::cp949_length(f.sms_text);
  if (!length) {
    errors.emplace_back(length.error().message);
    o["bytes"] = 0;
  } else {
    o["bytes"] = length->bytes;
    for (auto& c : length->unencodable) {
      errors.emplace_back("'" + c.text + "' cannot be sent by SMS (not in EUC-KR/CP949)");
    }
    if (length->bytes > kLmsMaxBytes) {
      errors.emplace_back("LMS holds at most 2,000 bytes; this text has " + std::to_string(length->bytes));
    }
  }
  o["limit"] = f.sms_kind == channels::SendKind::sms ? kSmsMaxBytes : kLmsMaxBytes;
  o["valid"] = errors.empty();
  o["errors"] = std::move(errors);
  return o;
}

json::object alimtalk_form(const MessageForms& f) {
  auto counted = text::count_code_points(f.alimtalk_text);
  std::size_t chars = counted ? *counted : 0;
  json::array errors;
  if (!counted) errors.emplace_back(counted.error().message);
  if (chars > kAlimtalkMaxChars) {
    errors.emplace_back("AlimTalk holds at most 1,000 characters; this text has " + std::to_string(chars));
  }
  json::object codes;
  for (auto& [provider, code] : f.alimtalk_codes) codes[provider] = code;
  return json::object{{"text", f.alimtalk_text}, {"chars", chars},    {"limit", kAlimtalkMaxChars},
                      {"template_codes", std::move(codes)}, {"buttons", f.buttons.size()},
                      {"valid", errors.empty()},           {"errors", std::move(errors)}};
}

}  // namespace

Result<json::object> preview_message(const json::value& request, const ComposeContext& context) {
  if (!request.is_object()) return make_error("invalid_json", "a message is a JSON object");
  json::object copy = request.as_object();
  json::value* recipient = copy.if_contains("recipient");
  if (!recipient || !recipient->is_object() || recipient->as_object().contains("customer_id")) {
    copy["recipient"] = json::object{{"phone", "01000000000"}, {"email", "preview@example.invalid"}};
  }
  auto record = compose_message(copy, context);
  if (!record) return record.error();
  MessageForms f = parse_forms(record->rendered_json);
  json::object forms;
  if (f.has_alimtalk) forms["alimtalk"] = alimtalk_form(f);
  if (f.has_sms) forms["sms"] = sms_form(f);
  if (f.has_email) forms["email"] = json::object{{"subject", f.email_subject}, {"text", f.email_text}};
  if (f.has_push) forms["push"] = json::object{{"title", f.push_title}, {"body", f.push_body}};
  if (f.has_inbox) forms["inbox"] = json::object{{"title", f.inbox_title}, {"text", f.inbox_text}};
  json::array chain;
  for (auto& step : parse_chain(record->chain_json)) chain.emplace_back(step);
  bool ad = record->kind == "ad";
  bool held = record->state == store::kStateHeld;
  json::object ad_rules{{"ad", ad},
                        {"prefix_added", ad},
                        {"opt_out_number", ad ? context.options.ads.opt_out_number : std::string()},
                        {"night", held},
                        {"held_until_ms", held ? record->due_ms : 0}};
  return json::object{{"chain", std::move(chain)}, {"forms", std::move(forms)}, {"ad", std::move(ad_rules)},
                      {"state", record->state}, {"locale", f.locale}};
}

}  // namespace jarip::notify
