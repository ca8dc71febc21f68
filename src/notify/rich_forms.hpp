// The email, push and inbox forms of a message, rendered at accept time beside the AlimTalk and SMS
// forms. A template without a channel's own form lends it its SMS text (then its AlimTalk text), so
// that a message always has something to show at the end of its chain (the inbox).
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "common/result.hpp"
#include "notify/templates.hpp"
#include "text/template_render.hpp"

namespace jarip::notify {

// The largest push notification (title + body + link) accepted: the encrypted record must stay
// within 4 KB (RFC 8291), and the payload's JSON framing and unsubscribe link need room too.
inline constexpr std::size_t kMaxPushContentBytes = 3000;

struct RichFormInput {
  const LocaleForms* forms = nullptr;  // the template's forms in the recipient's locale; null for raw text
  const text::TemplateVars* vars = nullptr;
  std::string raw_text;       // the request's "text" when there is no template
  std::string subject;        // the request's "subject" (may be empty)
  std::string fallback_text;  // the rendered SMS text (before ad formatting), else AlimTalk text
  std::string fallback_subject;  // the rendered SMS subject
  bool advertisement = false;
  std::string sender_name;  // the merchant's name: the title when nothing else gives one
  std::string locale;       // "ko" | "en"
};

// Adds "email", "push" and "inbox" to `forms` for each channel wanted. Errors (field "vars" for
// content from a template, else "text"/"subject"): header_injection (a line break in the subject),
// payload_too_large (push), invalid_value (a push link that is not http(s)), and render errors.
Status render_rich_forms(const RichFormInput& input, bool want_email, bool want_push, bool want_inbox,
                         boost::json::object& forms);

}  // namespace jarip::notify
