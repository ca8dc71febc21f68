// libFuzzer target for src/channels/email's MIME builder and DKIM signer: subjects, display names,
// bodies, the message id and the unsubscribe URL come from the fuzzer (merchant templates and
// customer names reach them).
// Build: cmake -DJARIP_FUZZ=ON with clang (scripts/fuzz.sh).
// Input: one flags byte, then fields separated by 0x1F: from name, to name, subject, text body,
// HTML body, message id, unsubscribe URL, reply-to name. Flags: 1 HTML body, 2 Reply-To,
// 4 ad (subject gets "(광고)"), 8 List-Unsubscribe headers, 16 an IDN recipient, 32 sign with RSA
// instead of Ed25519.
// Invariants checked (a violation aborts, so the fuzzer reports it like a crash):
//  - a header input with CR or LF is never accepted; an error has a known code and a field;
//  - the message has CRLF line endings only; every header line is ≤ 998 bytes, and the lines of
//    From, To, Reply-To and Subject ≤ 78; the header section is ASCII but for an IDN address;
//  - the Subject decodes (RFC 2047, this file's own decoder) to the subject given, blanks trimmed,
//    and no encoded-word is longer than 75 characters or splits a UTF-8 character;
//  - a multipart body has exactly two parts and a closing delimiter, and the boundary occurs nowhere
//    else; every body line (7bit, base64, part headers) is ≤ 76 characters;
//  - the message signs, and the signature verifies against the key's own record, also after
//    dot-stuffing and un-stuffing (what SMTP transmits).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "channels/email/dkim.hpp"
#include "channels/email/mime.hpp"
#include "channels/email/smtp.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace jarip::channels::email;

std::vector<std::string_view> split_fields(std::string_view input, std::size_t count) {
  std::vector<std::string_view> fields;
  while (fields.size() + 1 < count) {
    const std::size_t sep = input.find('\x1f');
    if (sep == std::string_view::npos) break;
    fields.push_back(input.substr(0, sep));
    input.remove_prefix(sep + 1);
  }
  fields.push_back(input);
  fields.resize(count);
  return fields;
}

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

std::string_view trim_blanks(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

std::string b64decode(std::string_view s) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : s) {
    if (c == '=') break;
    const std::size_t v = kAlphabet.find(c);
    check(v != std::string_view::npos);
    buffer = (buffer << 6 | static_cast<unsigned>(v)) & 0xFFFFFF;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(buffer >> bits & 0xFF);
    }
  }
  return out;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n;
  }
  return true;
}

// The value of header `name` (exact case, as the builder writes it), unfolded; lines checked.
std::string header_value(std::string_view headers, std::string_view name, std::size_t max_line) {
  const std::string start = std::string(name) + ":";
  std::size_t pos = headers.find(start);
  while (pos != std::string_view::npos && pos != 0 && headers[pos - 1] != '\n') pos = headers.find(start, pos + 1);
  check(pos != std::string_view::npos);
  std::string value;
  std::size_t line = pos;
  for (bool first = true;; first = false) {
    const std::size_t end = headers.find("\r\n", line);
    check(end - line <= max_line);
    value += headers.substr(first ? line + start.size() : line, end - (first ? line + start.size() : line));
    line = end + 2;
    if (line >= headers.size() || (headers[line] != ' ' && headers[line] != '\t')) break;
  }
  return value;
}

// RFC 2047 decoding of an unfolded unstructured value.
std::string decode_words(std::string_view value) {
  std::string out, blanks;
  bool after_word = false;
  std::size_t i = 0;
  while (i < value.size()) {
    if (value.substr(i, 10) == "=?UTF-8?B?") {
      const std::size_t end = value.find("?=", i + 10);
      check(end != std::string_view::npos && end + 2 - i <= kMaxEncodedWordChars);
      const std::string bytes = b64decode(value.substr(i + 10, end - i - 10));
      check(valid_utf8(bytes));
      if (!after_word) out += blanks;
      blanks.clear();
      out += bytes;
      after_word = true;
      i = end + 2;
    } else if (value[i] == ' ' || value[i] == '\t') {
      blanks += value[i++];
    } else {
      out += blanks;
      blanks.clear();
      out += value[i++];
      after_word = false;
    }
  }
  return out + blanks;
}

const DkimKey& signing_key(bool rsa) {
  static const DkimKey ed25519 = *DkimKey::from_ed25519_seed("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=");
  static const DkimKey rsa_key = [] {
    auto generated = generate_dkim_key(DkimAlgorithm::rsa_sha256, 1024);
    return *DkimKey::from_pem(generated->private_key);
  }();
  return rsa ? rsa_key : ed25519;
}

// What the receiving server reads back out of the DATA payload.
std::string unstuff(std::string_view payload) {
  check(payload.size() >= 3 && payload.substr(payload.size() - 3) == ".\r\n");
  payload.remove_suffix(3);
  std::string out;
  std::size_t pos = 0;
  while (pos < payload.size()) {
    const std::size_t end = payload.find("\r\n", pos);
    check(end != std::string_view::npos);
    std::string_view line = payload.substr(pos, end - pos);
    if (!line.empty() && line.front() == '.') {
      check(line.size() >= 2 && line[1] == '.');  // a lone "." line would end the data early
      line.remove_prefix(1);
    }
    out += line;
    out += "\r\n";
    pos = end + 2;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const unsigned flags = data[0];
  const std::vector<std::string_view> f =
      split_fields(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), 8);

  EmailMessage m;
  m.from = {"news@shop.example.com", std::string(f[0])};
  m.to = {(flags & 16) ? "user@한국.kr" : "Hong@Example.co.kr", std::string(f[1])};
  m.subject = ad_subject(f[2], (flags & 4) ? MessageKind::ad : MessageKind::info);
  m.text_body = std::string(f[3]);
  if (flags & 1) m.html_body = std::string(f[4]);
  m.message_id = std::string(f[5]);
  if (flags & 2) m.reply_to = Mailbox{"cs@shop.example.com", std::string(f[7])};
  m.date = 1709616600000;
  if (flags & 8) {
    auto unsubscribe = list_unsubscribe_headers(f[6], "unsubscribe@shop.example.com");
    if (unsubscribe.ok()) {
      check(!has_line_break(f[6]));
      m.extra_headers = *unsubscribe;
    } else {
      check(unsubscribe.error().code == "invalid_unsubscribe_url" && unsubscribe.error().field == "unsubscribe_url");
    }
  }

  unsigned char counter = 0;
  auto built = build_message(m, [&counter](std::size_t n) { return std::string(n, static_cast<char>(counter++)); });
  const bool injected = has_line_break(m.subject) || has_line_break(m.from.display_name) ||
                        has_line_break(m.to.display_name) || has_line_break(m.message_id) ||
                        (m.reply_to && has_line_break(m.reply_to->display_name));
  if (!built.ok()) {
    const std::string& code = built.error().code;
    check(code == "header_injection" || code == "invalid_utf8" || code == "invalid_header" ||
          code == "invalid_message_id");
    check(!built.error().field.empty() && !built.error().message.empty());
    return 0;
  }
  check(!injected);
  const std::string& msg = built->bytes;

  for (std::size_t i = 0; i < msg.size(); ++i) {
    if (msg[i] == '\n') check(i > 0 && msg[i - 1] == '\r');
    if (msg[i] == '\r') check(i + 1 < msg.size() && msg[i + 1] == '\n');
  }
  const std::size_t blank = msg.find("\r\n\r\n");
  check(blank != std::string::npos);
  const std::string_view headers = std::string_view(msg).substr(0, blank + 2);
  const std::string_view body = std::string_view(msg).substr(blank + 4);
  for (std::size_t pos = 0; pos < headers.size();) {
    const std::size_t end = headers.find("\r\n", pos);
    check(end - pos <= kMaxHeaderLineBytes);
    pos = end + 2;
  }
  for (char c : headers) {
    const auto u = static_cast<unsigned char>(c);
    check(u >= 0x20 || c == '\r' || c == '\n' || c == '\t');
    check(u < 0x7F || (flags & 16));
  }
  header_value(headers, "From", kFoldColumns);
  header_value(headers, "To", kFoldColumns);
  if (m.reply_to) header_value(headers, "Reply-To", kFoldColumns);
  std::string subject = decode_words(header_value(headers, "Subject", kFoldColumns));
  if (!subject.empty()) {
    check(subject.front() == ' ');
    subject.erase(0, 1);
  }
  check(subject == trim_blanks(m.subject));

  // Every body line, 7bit or base64, part header or delimiter, is at most 76 characters.
  for (std::size_t pos = 0; pos < body.size();) {
    const std::size_t end = body.find("\r\n", pos);
    check(end != std::string_view::npos && end - pos <= kBodyLineChars);
    pos = end + 2;
  }
  if (m.html_body) {
    const std::size_t at = headers.find("boundary=\"");
    check(at != std::string_view::npos);
    const std::size_t close = headers.find('"', at + 10);
    const std::string delimiter = "--" + std::string(headers.substr(at + 10, close - at - 10));
    check(body.substr(0, delimiter.size() + 2) == delimiter + "\r\n");
    check(body.size() >= delimiter.size() + 6 &&
          body.substr(body.size() - delimiter.size() - 6) == "\r\n" + delimiter + "--\r\n");
    std::size_t count = 0;
    for (std::size_t pos = body.find(delimiter); pos != std::string_view::npos; pos = body.find(delimiter, pos + 1)) {
      ++count;
    }
    check(count == 3);  // opening, between the two parts, closing
  }

  DkimSignOptions options;
  options.domain = "shop.example.com";
  options.selector = "fuzz";
  options.timestamp = 1709616600;
  const DkimKey& key = signing_key(flags & 32);
  auto signed_message = dkim_sign(msg, key, options);
  check(signed_message.ok());
  check(dkim_verify(*signed_message, key.dns_record()).ok());
  const std::string received = unstuff(dot_stuff(*signed_message));
  check(received == *signed_message);
  return 0;
}
