// The console's preview of a message before it is sent: the request is composed exactly as
// POST /v1/messages would compose it (same validation, templates, advertising rules and chain), but
// nothing is stored, and each channel's form is described as its provider would receive it.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/result.hpp"
#include "notify/compose.hpp"

namespace jarip::notify {

// A request without a recipient is previewed for a stand-in phone number and email address, so that
// every channel's form is shown. A customer_id is replaced by those as well: the preview does not
// read the directory. Returns {"chain":[…],"forms":{channel:{…}},"ad":{…},"state":…} (docs/console-api.md),
// or the composing error (the same code and field the API would answer).
Result<boost::json::object> preview_message(const boost::json::value& request, const ComposeContext& context);

}  // namespace jarip::notify
