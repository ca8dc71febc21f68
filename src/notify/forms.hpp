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
};

MessageForms parse_forms(const std::string& rendered_json);

struct ChainStep {
  std::string channel;   // alimtalk | sms
  std::string provider;
};

std::vector<std::string> parse_chain(const std::string& chain_json);
ChainStep split_step(const std::string& step);

}  // namespace jarip::notify
