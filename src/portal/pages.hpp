// HTML and answers of the customer's pages: escaping, the page frame with its stylesheet, the security
// headers every answer carries, and the error pages. Internal to portal/.
#pragma once

#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "http/message.hpp"

namespace jarip::portal {

// One piece of text in both languages. Pages show the customer's language first and the other
// below it: Korean first for anyone whose locale is not "en" (and when the customer is unknown).
struct Bilingual {
  std::string_view ko;
  std::string_view en;
};

// & < > " ' as character references: safe in element content and in quoted attribute values.
std::string html_escape(std::string_view text);

// A message's plain text as HTML: escaped, with each http(s) URL (find_urls) made a link that
// sends no referrer. Line breaks stay line breaks (the stylesheet keeps white space).
std::string text_to_html(std::string_view text);

// Percent-encodes all but RFC 3986 unreserved characters (for a query value).
std::string url_encode(std::string_view text);

// "2026-11-25 10:00" in KST.
std::string kst_display(TimeMs time);

// `text` as HTML in both languages (escaped): the first in a plain span, the other in a span of class
// "alt" that the stylesheet shows on its own line, smaller.
std::string both(const Bilingual& text, std::string_view locale);

// A whole page: <title>, the merchant's name, then `content` (HTML, already escaped).
std::string page_html(std::string_view locale, const Bilingual& title, std::string_view merchant,
                      std::string_view content);

// The portal's headers on any answer: Cache-Control: no-store, Referrer-Policy: no-referrer,
// X-Content-Type-Options: nosniff, X-Frame-Options: DENY, and a Content-Security-Policy allowing
// no script, no images and no frames, the page's own stylesheet (by its hash) and forms to this
// origin only.
http::Response secured(http::Response response);
http::Response html_response(int status, std::string html);
http::Response json_response(int status, std::string json);
// 302/303 with Location (which must be a URL without CR or LF).
http::Response redirect_response(int status, std::string location);

// The page for a failure, in Korean then English: 400 bad request, 404 link not valid or not found,
// 405 (the caller adds Allow), 410 link expired, 500, 503 (with Retry-After: 1). `what` chooses the
// wording for 404: "link" (a token page) or "short" (a short link).
http::Response error_page(int status, std::string_view merchant, std::string_view what = "link");

// {"error":{"code","message"}} with the portal's headers.
http::Response json_error(int status, std::string_view code, std::string_view message);

}  // namespace jarip::portal
