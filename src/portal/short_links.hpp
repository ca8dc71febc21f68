// Short links for SMS texts (docs/portal.md): each long http(s) URL in a message's text becomes
// `{public url}/s/{code}`, which answers with a redirect to the URL and counts the click. Every byte
// counts in an SMS (90 bytes) or LMS, so a URL is replaced only when the short link is shorter.
// Pure functions: storing the links is the caller's.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "store/records.hpp"

namespace jarip::portal {

// Where a URL sits in a text: text.substr(begin, size).
struct UrlSpan {
  std::size_t begin = 0;
  std::size_t size = 0;
};

// The http:// and https:// URLs of a text (scheme in any case), in order. A URL starts where no ASCII
// letter or digit precedes the scheme and runs over ASCII URL characters (RFC 3986: letters, digits,
// - . _ ~ : / ? # [ ] @ ! $ & ( ) * + , ; = %); it ends at white space, a control character, any
// other character (< > " ' { } | \ ^ `) and at non-ASCII text such as Korean ("…/a에서"). Trailing
// . , ; : ! ? are not part of it, nor a trailing ) or ] without its opening bracket inside the URL
// ("(https://a.kr/x)" → "https://a.kr/x"). A scheme with nothing after it is no URL.
std::vector<UrlSpan> find_urls(std::string_view text);

struct ShortenedText {
  std::string text;                          // the text with the replacements
  std::vector<store::ShortLinkRecord> links;  // one per distinct URL replaced, to be stored with the message
};

// Replaces each URL of `text` (find_urls) by `{public_url}/s/{code}` when that is shorter, with a new
// code from `new_code` per distinct URL (the same URL twice shares one code). URLs already under
// public_url are left alone, as is everything when public_url is empty. public_url is the
// server's public base ("https://n.example.kr", a trailing '/' is ignored).
ShortenedText shorten_links(std::string_view text, std::string_view public_url, const std::string& message_id,
                            TimeMs now, const std::function<std::string()>& new_code);

// A new short-link code: `length` base62 characters from the OS CSPRNG (unbiased).
// REQUIRES: length >= 7.
std::string new_short_code(std::size_t length = 8);

// Whether `code` is shaped like one (7–32 base62 characters): anything else is refused unread.
bool is_short_code(std::string_view code);

}  // namespace jarip::portal
