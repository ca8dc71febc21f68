// A template is one message in every channel's form: the AlimTalk text with the template code each
// provider registered it under (and its buttons), the SMS/LMS text, its kind and default chain.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "channels/provider.hpp"
#include "common/result.hpp"

namespace jarip::notify {

struct AlimtalkForm {
  std::string text;
  std::map<std::string, std::string> codes;  // provider name → template code registered there
  std::vector<channels::AlimtalkButton> buttons;
};

struct SmsForm {
  std::string text;
  std::string subject;
};

struct EmailForm {
  std::string subject;  // one line; "(광고)" is added for ads
  std::string text;     // the plain-text part
  std::string html;     // the HTML part; variables are HTML-escaped into it. Empty: text only
};

struct PushForm {
  std::string title;
  std::string body;
  std::string url;  // where a click leads; may hold variables; empty: the customer's inbox
};

struct InboxForm {
  std::string title;
  std::string text;
};

// One locale's forms of a template. A channel without its own form falls back to the SMS text
// (email, push, inbox), so that a message can always reach the end of its chain.
struct LocaleForms {
  std::optional<AlimtalkForm> alimtalk;
  std::optional<SmsForm> sms;
  std::optional<EmailForm> email;
  std::optional<PushForm> push;
  std::optional<InboxForm> inbox;

  bool empty() const { return !alimtalk && !sms && !email && !push && !inbox; }
};

// The top-level forms are the default locale's; `locales` holds the others ("en" beside a "ko"
// default). An AlimTalk form in another locale is a separately registered Kakao template, with its
// own codes.
struct Template : LocaleForms {
  std::string name;
  std::string kind = "info";  // info | ad
  std::vector<std::string> chain;  // empty: server default
  bool allow_costlier_fallback = true;
  std::string default_locale = "ko";
  std::map<std::string, LocaleForms> locales;

  // The forms for a recipient whose locale is `locale`: that locale's, channel by channel, where the
  // template has them; the default locale's otherwise.
  LocaleForms forms_for(const std::string& locale) const;
};

// Validates a template document (JSON text). Errors name the field, e.g. "alimtalk.codes".
Result<Template> parse_template(const std::string& name, const std::string& json_text);
boost::json::object template_to_json(const Template& t);
bool valid_template_name(const std::string& name);

boost::json::array buttons_to_json(const std::vector<channels::AlimtalkButton>& buttons);
std::vector<channels::AlimtalkButton> buttons_from_json(const boost::json::value& v);

}  // namespace jarip::notify
