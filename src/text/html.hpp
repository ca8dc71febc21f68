// Escaping text for HTML and XML, shared by every page jarip renders (portal, status page, Atom feed),
// so that there is one rule to review.
#pragma once

#include <string>
#include <string_view>

namespace jarip::text {

// & < > " ' as character references (&#39; for the apostrophe, valid in HTML and XML alike): safe in
// element content and in quoted attribute values of HTML and XML.
std::string html_escape(std::string_view text);

}  // namespace jarip::text
