// What the customer's inbox page shows of one message: its inbox form, else the text another
// channel carried. Plain text; the page escapes it.
#pragma once

#include <string>

#include "store/records.hpp"

namespace jarip::portal {

struct InboxView {
  std::string title;  // may be empty
  std::string text;   // empty only when the message has no text in any form
};

// The rendered forms (notify::parse_forms) in this order: the inbox form (title and text), else the
// SMS/LMS text (its subject as the title), else the AlimTalk text, else the email text (subject),
// else the push body (title).
InboxView inbox_view(const store::MessageRecord& message);

}  // namespace jarip::portal
