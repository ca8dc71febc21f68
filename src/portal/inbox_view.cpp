#include "portal/inbox_view.hpp"

#include "notify/forms.hpp"

namespace jarip::portal {

InboxView inbox_view(const store::MessageRecord& message) {
  notify::MessageForms f = notify::parse_forms(message.rendered_json);
  if (!f.inbox_text.empty()) return {f.inbox_title, f.inbox_text};
  if (!f.sms_text.empty()) return {f.sms_subject, f.sms_text};
  if (!f.alimtalk_text.empty()) return {"", f.alimtalk_text};
  if (!f.email_text.empty()) return {f.email_subject, f.email_text};
  return {f.push_title, f.push_body};
}

}  // namespace jarip::portal
