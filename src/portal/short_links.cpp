#include "portal/short_links.hpp"

#include <map>

#include "common/crypto.hpp"
#include "http/message.hpp"

namespace jarip::portal {

namespace {

constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool is_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool is_url_char(char c) {
  if (is_alnum(c)) return true;
  switch (c) {
    case '-': case '.': case '_': case '~': case ':': case '/': case '?': case '#': case '[': case ']':
    case '@': case '!': case '$': case '&': case '(': case ')': case '*': case '+': case ',': case ';':
    case '=': case '%':
      return true;
    default:
      return false;
  }
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// Trailing punctuation belongs to the sentence, and a closing bracket to an opening one before the URL.
// The brackets are counted once and the counts kept as the end moves back: linear in the URL's length
// (a text of 20,000 ")" must not take seconds).
std::size_t trim_url_end(std::string_view url) {
  std::size_t n = url.size();
  std::size_t parens_open = 0, parens_close = 0, brackets_open = 0, brackets_close = 0;
  for (char c : url) {
    parens_open += c == '(';
    parens_close += c == ')';
    brackets_open += c == '[';
    brackets_close += c == ']';
  }
  while (n > 0) {
    char last = url[n - 1];
    if (last == '.' || last == ',' || last == ';' || last == ':' || last == '!' || last == '?') {
      --n;
    } else if (last == ')' && parens_close > parens_open) {
      --parens_close;
      --n;
    } else if (last == ']' && brackets_close > brackets_open) {
      --brackets_close;
      --n;
    } else {
      break;
    }
  }
  return n;
}

}  // namespace

std::vector<UrlSpan> find_urls(std::string_view text) {
  std::vector<UrlSpan> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t scheme = 0;
    if (starts_with_nocase(text.substr(i), "https://")) scheme = 8;
    else if (starts_with_nocase(text.substr(i), "http://")) scheme = 7;
    if (scheme == 0 || (i > 0 && is_alnum(text[i - 1]))) {
      ++i;
      continue;
    }
    std::size_t end = i + scheme;
    while (end < text.size() && is_url_char(text[end])) ++end;
    std::size_t size = scheme + trim_url_end(text.substr(i + scheme, end - i - scheme));
    if (size > scheme) {
      out.push_back(UrlSpan{i, size});
      i += size;
    } else {
      i += scheme;
    }
  }
  return out;
}

ShortenedText shorten_links(std::string_view text, std::string_view public_url, const std::string& message_id,
                            TimeMs now, const std::function<std::string()>& new_code) {
  ShortenedText out;
  while (!public_url.empty() && public_url.back() == '/') public_url.remove_suffix(1);
  if (public_url.empty()) {
    out.text = std::string(text);
    return out;
  }
  auto under_public_url = [&](std::string_view url) {
    if (url.size() < public_url.size() || !http::iequals(url.substr(0, public_url.size()), public_url)) return false;
    if (url.size() == public_url.size()) return true;
    char next = url[public_url.size()];
    return next == '/' || next == '?' || next == '#';
  };
  std::map<std::string, std::string, std::less<>> replaced;  // URL → its short link
  std::size_t copied = 0;
  for (const auto& span : find_urls(text)) {
    std::string_view url = text.substr(span.begin, span.size);
    out.text.append(text.substr(copied, span.begin - copied));
    copied = span.begin + span.size;
    if (auto hit = replaced.find(url); hit != replaced.end()) {
      out.text.append(hit->second);
      continue;
    }
    if (under_public_url(url)) {
      out.text.append(url);
      continue;
    }
    std::string code = new_code();
    std::string short_url = std::string(public_url) + "/s/" + code;
    if (short_url.size() >= url.size()) {
      out.text.append(url);
      continue;
    }
    out.links.push_back(store::ShortLinkRecord{code, message_id, std::string(url), now, 0, 0});
    replaced.emplace(std::string(url), short_url);
    out.text.append(short_url);
  }
  out.text.append(text.substr(copied));
  return out;
}

std::string new_short_code(std::size_t length) {
  std::string code;
  code.reserve(length);
  while (code.size() < length) {
    for (unsigned char b : crypto::random_bytes(length)) {
      // 248 = 4 × 62: accepting only bytes below it keeps every character equally likely.
      if (b < 248 && code.size() < length) code.push_back(kBase62[b % 62]);
    }
  }
  return code;
}

bool is_short_code(std::string_view code) {
  if (code.size() < 7 || code.size() > 32) return false;
  for (char c : code) {
    if (!is_alnum(c)) return false;
  }
  return true;
}

}  // namespace jarip::portal
