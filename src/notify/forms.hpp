// The per-channel forms of one message as rendered at accept time (MessageRecord::rendered_json).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "channels/provider.hpp"

namespace jarip::notify {

struct MessageForms {
  bool has_alimtalk = false;
  std::string alimtalk_text;
  std::vector<std::pair<std::string, std::string>> alimtalk_vars;
  std::map<std::string, std::string> alimtalk_codes;  // provider → template code
  std::vector<channels::AlimtalkButton> buttons;
  bool has_sms = false;
  std::string sms_text;
  std::string sms_subject;
  channels::SendKind sms_kind = channels::SendKind::sms;
  bool has_email = false;
  std::string email_subject;  // "(광고)" already in front for ads
  std::string email_text;
  std::string email_html;
  bool has_push = false;
  std::string push_title;
  std::string push_body;
  std::string push_url;
  bool has_inbox = false;
  std::string inbox_title;
  std::string inbox_text;
  std::string locale;  // the recipient's language the forms were rendered in
};

MessageForms parse_forms(const std::string& rendered_json);

// Where a message goes, as MessageRecord::recipient_json holds it (the phone is a column of its own).
struct RecipientAddresses {
  std::string customer_id;
  std::string email;
  std::vector<std::string> push_subscriptions;  // PushSubscription.toJSON() of each device
  // Channels an ad may not use for this customer: channel → (code, reason), e.g. email →
  // ("ad_consent_withdrawn", "…"). The engine skips those steps with that reason.
  std::map<std::string, std::pair<std::string, std::string>> ad_refused;
};

RecipientAddresses parse_recipient(const std::string& recipient_json);

struct ChainStep {
  std::string channel;   // alimtalk | sms | email | push | inbox
  std::string provider;
};

std::vector<std::string> parse_chain(const std::string& chain_json);
ChainStep split_step(const std::string& step);

}  // namespace jarip::notify
