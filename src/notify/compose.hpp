// Turns one API message request into a stored message: validates every field at the edge, resolves
// the channel chain, renders every channel's form now (so a later template edit cannot change a
// message already accepted), and applies the advertising rules.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "common/result.hpp"
#include "customers/customer.hpp"
#include "notify/forms.hpp"
#include "notify/options.hpp"
#include "notify/templates.hpp"
#include "store/records.hpp"
#include "text/kst.hpp"

namespace jarip::notify {

using TemplateLookup = std::function<std::optional<Template>(const std::string& name)>;
using ProviderLookup = std::function<const ProviderRuntime*(const std::string& name)>;

// Looks a customer up in the directory (on a store thread); nullopt when there is none.
using CustomerLookup = std::function<Result<std::optional<customers::Customer>>(const std::string& id)>;

struct ComposeContext {
  const DeliveryOptions& options;
  TemplateLookup find_template;
  ProviderLookup find_provider;
  TimeMs now_ms = 0;
  std::string api_key_id;
  // Set when composing where the directory can be read: a customer_id then gets its phone and
  // locale here (and unknown ids are refused); unset, they are filled in when the message is stored.
  CustomerLookup find_customer = {};
};

// REQUIRES: request is the parsed JSON body of one message.
Result<store::MessageRecord> compose_message(const boost::json::value& request, const ComposeContext& context);

// Chain steps as stored: "channel@provider". Expands bare channels through the configured order.
Result<std::vector<std::string>> resolve_chain(const std::vector<std::string>& requested,
                                               const DeliveryOptions& options, const ProviderLookup& find_provider,
                                               const std::string& field);

std::string new_message_id(TimeMs now_ms);
// alimtalk, sms, email, push, inbox.
bool is_chain_channel(std::string_view channel);
// The deduplication key sent to a provider: one per (message, chain step), never per attempt.
std::string dedup_key(const std::string& message_id, int step);

using text::parse_rfc3339;  // "send_at"

}  // namespace jarip::notify
