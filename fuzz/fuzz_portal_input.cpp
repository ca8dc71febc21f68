// libFuzzer target for the outside input the customer's pages read (src/portal/, docs/portal.md):
//  - form bodies (portal/form_body.hpp): urlencoded and multipart/form-data, with their Content-Type;
//  - signed link tokens (portal/link_tokens.hpp): LinkSigner::verify on any token and purpose;
//  - short links (portal/short_links.hpp): find_urls and shorten_links on any message text.
// (The inbox cursor, ?before=, is parsed by a function local to portal.cpp and is not reached here.)
// Build: cmake -DJARIP_FUZZ=ON with clang (scripts/fuzz.sh).
//
// How an input is read (every reading is applied to every input):
//   head = the first line (without its "\r"), rest = what follows the first "\n" (empty when none)
//   - form: Content-Type = head, body = rest; and, when rest starts with "--", multipart/form-data with
//     the boundary named by rest's first line;
//   - tokens: head, rest and the whole input verified for every purpose; and a token made for
//     purpose = head (without NUL bytes) and subject = rest, with an expiry derived from the input;
//   - text: the whole input shortened under https://n.jarip.kr, under head, and under no public URL.
//
// Invariants:
//  - forms: no crash; errors are "bad_request"; at most kMaxFormFields fields; an urlencoded body
//    gives exactly its non-empty '&'-separated pairs, decoded as the spec says (checked here by a
//    decoder of this file), and an encoding of the fields parses back to them; a multipart body gives
//    values that are bytes of the body, and the fields written again as multipart parse back to
//    them; any other media type is refused;
//  - tokens: verify never accepts a token longer than kMaxTokenChars; an accepted token is the one
//    make() gives for its subject, purpose and expiry (one spelling per token); make() then verify()
//    round-trips the subject for its purpose until the expiry and answers "link_expired" from it on;
//    the token is refused ("invalid_link") for any other purpose, and so is the token with any single
//    character changed, cut short or lengthened, for its purpose and another;
//  - text: find_urls's spans lie in the text, in order, without overlap, each an http(s) URL of URL
//    characters not preceded by a letter or digit and without the trailing punctuation, and no URL
//    is left in the text once they are blanked out; shorten_links never makes the text longer,
//    replaces exactly the URLs it returns a link record for (one per distinct URL, each by the
//    shorter public_url/s/code), leaves URLs under public_url and all other text untouched, and
//    changes nothing when run again on its own output.
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"
#include "portal/form_body.hpp"
#include "portal/link_tokens.hpp"
#include "portal/short_links.hpp"
#include "fuzz_support.hpp"

namespace {

using jarip::TimeMs;
using jarip::portal::FormFields;
using jarip::portal::LinkSigner;

constexpr TimeMs kNow = 1'750'000'000'000;  // 2025-06-15, the time tokens are made and checked at
constexpr std::string_view kPublicUrl = "https://n.jarip.kr";
constexpr std::string_view kPurposes[] = {"inbox", "unsubscribe", "reconfirm", "push"};

// The fixed link secret of this target (32 bytes). The seeds' tokens (fuzz/corpus/fuzz_portal_input/
// tokens_*, and the inbox link in sms_text_*) were made by make() with it, for kNow below.
const LinkSigner& signer() {
  static const LinkSigner s(std::string("jarip-fuzz-link-secret-32-bytes!"));
  return s;
}

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool is_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string_view::npos; }

// ---- forms -------------------------------------------------------------------------------------------

jarip::http::Request form_request(std::string_view content_type, std::string_view body, bool with_header) {
  jarip::http::Request r;
  r.method = "POST";
  r.target = r.path = "/u/token";
  if (with_header) r.headers.push_back({"Content-Type", std::string(content_type)});
  r.body = std::string(body);
  return r;
}

// The media type as RFC 9110 reads it: before ';', without blanks, in lower case.
std::string media_type(std::string_view content_type) {
  std::string_view m = content_type.substr(0, content_type.find(';'));
  while (!m.empty() && (m.front() == ' ' || m.front() == '\t')) m.remove_prefix(1);
  while (!m.empty() && (m.back() == ' ' || m.back() == '\t')) m.remove_suffix(1);
  return lower(m);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding (WHATWG URL, "percent-decode" + '+' as space), written
// apart from http::percent_decode: "%" not followed by two hex digits stays as it is.
std::string form_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && s.size() - i >= 3 && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string form_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (is_alnum(static_cast<char>(c)) || c == '-' || c == '.' || c == '_' || c == '*') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

FormFields expected_urlencoded(std::string_view body) {
  FormFields out;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t amp = body.find('&', start);
    if (amp == std::string_view::npos) amp = body.size();
    std::string_view pair = body.substr(start, amp - start);
    if (!pair.empty()) {
      std::size_t eq = pair.find('=');
      out.emplace_back(form_decode(pair.substr(0, eq)),
                       eq == std::string_view::npos ? std::string() : form_decode(pair.substr(eq + 1)));
    }
    start = amp + 1;
  }
  return out;
}

void check_lookups(const FormFields& fields) {
  if (fields.empty()) {
    check(!jarip::portal::has_field(fields, "channel"));
    check(jarip::portal::form_value(fields, "channel").empty());
    return;
  }
  const std::string& name = fields.front().first;
  check(jarip::portal::has_field(fields, name));
  check(jarip::portal::form_value(fields, name) == fields.front().second);
  std::size_t count = 0;
  for (const auto& f : fields) count += f.first == name;
  check(jarip::portal::form_values(fields, name).size() == count);
}

void check_urlencoded(std::string_view body, const jarip::Result<FormFields>& parsed) {
  const FormFields expected = expected_urlencoded(body);
  if (expected.size() > jarip::portal::kMaxFormFields) {
    check(!parsed);
    return;
  }
  check(parsed);
  check(*parsed == expected);
  std::string encoded;
  for (const auto& [k, v] : *parsed) {
    if (!encoded.empty()) encoded.push_back('&');
    encoded += form_encode(k) + "=" + form_encode(v);
  }
  if (encoded.size() > jarip::portal::kMaxFormBytes) return;  // an encoding may be 3 times as long
  auto again = jarip::portal::parse_form_body(form_request("application/x-www-form-urlencoded", encoded, true));
  check(again && *again == *parsed);
}

void check_multipart(std::string_view body, const FormFields& fields) {
  for (const auto& f : fields) check(contains(body, f.second));
  // Written again (as a browser writes it) with a boundary that is nowhere in the body.
  std::string boundary = "jarip-fuzz-boundary";
  for (int n = 0; contains(body, boundary); ++n) boundary = "jarip-fuzz-boundary-" + std::to_string(n);
  std::string again_body = "preamble\r\n";
  for (const auto& [name, value] : fields) {
    // Browsers percent-encode '"', CR and LF in names (HTML: multipart/form-data encoding) and send
    // '\' as it is, which this parser reads as an escape: such names are not written again.
    for (char c : name) {
      if (c == '"' || c == '\\' || c == '\r' || c == '\n') return;
    }
    again_body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n";
    again_body += "Content-Type: text/plain; charset=utf-8\r\n\r\n" + value + "\r\n";
  }
  again_body += "--" + boundary + "--\r\nepilogue";
  if (again_body.size() > jarip::portal::kMaxFormBytes) return;
  auto again = jarip::portal::parse_form_body(
      form_request("multipart/form-data; boundary=\"" + boundary + "\"", again_body, true));
  check(again && *again == fields);
}

void check_form(std::string_view content_type, std::string_view body, bool with_header) {
  const auto request = form_request(content_type, body, with_header);
  auto parsed = jarip::portal::parse_form_body(request);
  (void)jarip::portal::is_json_request(request);
  if (!parsed) {
    check(parsed.error().code == "bad_request");
  } else {
    check(parsed->size() <= jarip::portal::kMaxFormFields);
    check_lookups(*parsed);
  }
  if (body.size() > jarip::portal::kMaxFormBytes) {
    check(!parsed);
    return;
  }
  const std::string media = with_header ? media_type(content_type) : std::string();
  if (media.empty() || media == "application/x-www-form-urlencoded") {
    check_urlencoded(body, parsed);
  } else if (media == "multipart/form-data") {
    if (parsed) check_multipart(body, *parsed);
  } else {
    check(!parsed);
  }
}

// ---- tokens ------------------------------------------------------------------------------------------

// Lenient base64url (no padding), apart from the signer's: the bytes of a token it accepted.
std::string base64url_bytes(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '-' ? 62 : c == '_' ? 63 : -1;
  };
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    int v = value(c);
    check(v >= 0);
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return out;
}

void check_verify_any(std::string_view token) {
  for (std::string_view purpose : kPurposes) {
    auto subject = signer().verify(purpose, token, kNow);
    if (!subject) {
      check(subject.error().code == "invalid_link" || subject.error().code == "link_expired");
      continue;
    }
    // Only a token made with the secret gets here (the seeds): it has exactly one spelling.
    check(token.size() <= jarip::portal::kMaxTokenChars);
    const std::string bytes = base64url_bytes(token);
    check(bytes.size() == 1 + 5 + subject->size() + 16);
    std::uint64_t seconds = 0;
    for (std::size_t i = 1; i <= 5; ++i) seconds = seconds << 8 | static_cast<unsigned char>(bytes[i]);
    check(static_cast<TimeMs>(seconds) * 1000 > kNow);
    check(signer().make(purpose, *subject, static_cast<TimeMs>(seconds) * 1000) == token);
  }
}

// A token with one change is refused for its own purpose and for another one.
void check_refused(const std::string& token, std::string_view own_purpose, std::string_view other_purpose) {
  for (std::string_view purpose : {own_purpose, other_purpose}) {
    auto r = signer().verify(purpose, token, kNow);
    check(!r && r.error().code == "invalid_link");
  }
}

void check_round_trip(std::string_view purpose_bytes, std::string_view subject, std::uint64_t hash) {
  std::string purpose;
  for (char c : purpose_bytes.substr(0, 64)) {
    if (c != '\0') purpose.push_back(c);
  }
  // Expiry: from 1 ms to 400 days after now (the longest link TTL, unsubscribe links).
  const TimeMs expires = kNow + 1 + static_cast<TimeMs>(hash % (400ull * 24 * 3600 * 1000));
  const std::string token = signer().make(purpose, subject, expires);
  const std::string_view kept = subject.substr(0, 256);

  auto ok = signer().verify(purpose, token, kNow);
  check(ok && *ok == kept);
  const TimeMs rounded = (expires + 999) / 1000 * 1000;  // make() rounds up to the second
  auto last = signer().verify(purpose, token, rounded - 1);
  check(last && *last == kept);
  auto expired = signer().verify(purpose, token, rounded);
  check(!expired && expired.error().code == "link_expired");

  // Bound to its purpose: no other purpose accepts it, however close.
  for (std::string_view other : kPurposes) {
    if (other == purpose) continue;
    auto r = signer().verify(other, token, kNow);
    check(!r && r.error().code == "invalid_link");
  }
  for (const std::string& other : {purpose + "x", purpose.substr(0, purpose.size() / 2), lower(purpose) + "\x01"}) {
    if (other == purpose) continue;
    auto r = signer().verify(other, token, kNow);
    check(!r && r.error().code == "invalid_link");
  }

  // Any single byte changed (four positions per input, the first and last always; to another
  // base64url character, so that the MAC is what refuses it), cut short or lengthened: refused for
  // its purpose and for another one (which one, and where, vary with the input).
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::string_view other_purpose = kPurposes[hash % std::size(kPurposes)];
  const std::size_t positions[] = {0, token.size() - 1, static_cast<std::size_t>((hash >> 8) % token.size()),
                                   static_cast<std::size_t>((hash >> 24) % token.size())};
  for (std::size_t k = 0; k < std::size(positions); ++k) {
    std::string changed = token;
    const std::size_t at = kAlphabet.find(changed[positions[k]]);
    check(at != std::string_view::npos);
    changed[positions[k]] = kAlphabet[(at + 1 + (hash >> (6 * k)) % 63) % 64];
    check_refused(changed, purpose, other_purpose);
  }
  check_refused(token.substr(0, token.size() - 1), purpose, other_purpose);
  check_refused(token + "A", purpose, other_purpose);
}

// ---- short links -------------------------------------------------------------------------------------

bool is_url_char(char c) {
  return is_alnum(c) || std::string_view("-._~:/?#[]@!$&()*+,;=%").find(c) != std::string_view::npos;
}

void check_spans(std::string_view text, const std::vector<jarip::portal::UrlSpan>& spans) {
  std::size_t previous_end = 0;
  std::string blanked(text);
  for (const auto& span : spans) {
    check(span.begin >= previous_end);
    check(span.size <= text.size() && span.begin <= text.size() - span.size);
    previous_end = span.begin + span.size;
    const std::string url = lower(text.substr(span.begin, span.size));
    const std::size_t scheme = url.rfind("https://", 0) == 0 ? 8 : url.rfind("http://", 0) == 0 ? 7 : 0;
    check(scheme != 0 && url.size() > scheme);
    check(span.begin == 0 || !is_alnum(text[span.begin - 1]));
    for (char c : url) check(is_url_char(c));
    check(std::string_view(".,;:!?").find(url.back()) == std::string_view::npos);
    if (url.back() == ')' || url.back() == ']') {
      const char open = url.back() == ')' ? '(' : '[';
      std::size_t opens = 0, closes = 0;
      for (std::size_t i = scheme; i < url.size(); ++i) {
        opens += url[i] == open;
        closes += url[i] == url.back();
      }
      check(closes <= opens);
    }
    for (std::size_t i = 0; i < span.size; ++i) blanked[span.begin + i] = ' ';
  }
  check(jarip::portal::find_urls(blanked).empty());
}

// Whether `url` is under `base` (no trailing '/'), by the rule of shorten_links.
bool under(std::string_view url, std::string_view base) {
  if (url.size() < base.size() || lower(url.substr(0, base.size())) != lower(base)) return false;
  return url.size() == base.size() || std::string_view("/?#").find(url[base.size()]) != std::string_view::npos;
}

jarip::portal::ShortenedText check_shorten(std::string_view text, std::string_view public_url) {
  int next = 0;
  auto new_code = [&next] {
    std::string code = "c" + std::to_string(1000000 + next++);  // 8 base62 characters
    check(jarip::portal::is_short_code(code));
    return code;
  };
  auto out = jarip::portal::shorten_links(text, public_url, "msg-1", kNow, new_code);
  check(out.text.size() <= text.size());

  std::string_view base = public_url;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  if (base.empty()) {
    check(out.text == text && out.links.empty());
    return out;
  }
  std::map<std::string, std::string> short_of;  // URL → short URL, from the link records
  std::set<std::string> codes;
  for (const auto& link : out.links) {
    check(link.message_id == "msg-1" && link.created_ms == kNow && link.clicks == 0 && link.last_click_ms == 0);
    check(codes.insert(link.code).second);
    const std::string short_url = std::string(base) + "/s/" + link.code;
    check(short_url.size() < link.url.size());
    check(!under(link.url, base));
    check(short_of.emplace(link.url, short_url).second);  // one record per distinct URL
  }
  // The text rebuilt from the spans and the records: every other byte as it was.
  std::string expected;
  std::size_t copied = 0;
  std::set<std::string> used;
  for (const auto& span : jarip::portal::find_urls(text)) {
    const std::string url(text.substr(span.begin, span.size));
    expected.append(text.substr(copied, span.begin - copied));
    copied = span.begin + span.size;
    auto hit = short_of.find(url);
    if (hit == short_of.end()) {
      expected += url;
    } else {
      expected += hit->second;
      used.insert(url);
    }
  }
  expected.append(text.substr(copied));
  check(out.text == expected);
  check(used.size() == short_of.size());  // no record for a URL that is not in the text
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  std::string_view head = input.substr(0, newline);
  if (!head.empty() && head.back() == '\r') head.remove_suffix(1);
  const std::string_view rest = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  const std::uint64_t hash = fnv1a(input);

  // Forms.
  check_form(head, rest, true);
  check_form("", input, false);
  if (rest.substr(0, 2) == "--") {
    std::string_view boundary = rest.substr(2);
    boundary = boundary.substr(0, boundary.find('\n'));
    if (!boundary.empty() && boundary.back() == '\r') boundary.remove_suffix(1);
    check_form("multipart/form-data; boundary=\"" + std::string(boundary) + "\"", rest, true);
  }

  // Tokens.
  check_verify_any(head);
  check_verify_any(rest);
  check_verify_any(input);
  check_round_trip(head, rest, hash);

  // Short links.
  check_spans(input, jarip::portal::find_urls(input));
  const auto shortened = check_shorten(input, kPublicUrl);
  const auto twice = check_shorten(shortened.text, kPublicUrl);
  check(twice.text == shortened.text && twice.links.empty());
  if (head.size() <= 100) check_shorten(input, head);
  check_shorten(input, "");
  return 0;
}
