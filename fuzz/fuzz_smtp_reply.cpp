// libFuzzer target for src/channels/email's SMTP reply parser (bytes from a remote mail server,
// before or after TLS) and the other SMTP helpers.
// Build: cmake -DJARIP_FUZZ=ON with clang (scripts/fuzz.sh).
// The input is a server's byte stream. Invariants checked (a violation aborts):
//  - parsing reply after reply never reads past the buffer; each reply consumes ≥ 4 bytes, ends at
//    a line break, has a code in 200–599, 1–128 lines of ≤ 2048 bytes, and an enhanced code only of
//    its own class (2, 4 or 5); an error is always "smtp_bad_reply"; an incomplete reply stays
//    incomplete (never an error) when a prefix of it is parsed, unless its line is already too long;
//  - writing a parsed reply back (CRLF, the enhanced code on every line) parses to the same reply
//    (when its lines leave room for the code);
//  - the EHLO view of any reply has upper-case keywords and mechanisms, and SIZE only when declared;
//  - dot_stuff(input) ends in CRLF "." CRLF, has no bare CR or LF and no other "." line, and
//    un-stuffing it gives the input with CRLF line endings (plus a final CRLF);
//  - AUTH PLAIN of the input split at its first byte decodes back to authzid NUL user NUL password.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "channels/email/smtp.hpp"
#include "common/crypto.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace jarip::channels::email;

std::string write_reply(const SmtpReply& reply) {
  std::string out;
  for (std::size_t i = 0; i < reply.lines.size(); ++i) {
    out += std::to_string(reply.code);
    out += i + 1 == reply.lines.size() ? ' ' : '-';
    if (reply.enhanced) out += reply.enhanced->to_string() + " ";
    out += reply.lines[i];
    out += "\r\n";
  }
  return out;
}

bool is_upper(std::string_view s) {
  for (char c : s) {
    if (c >= 'a' && c <= 'z') return false;
  }
  return true;
}

std::string crlf_lines(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n') {
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  if (!out.empty() && out.back() != '\n') out += "\r\n";
  return out;
}

void check_reply(const SmtpReply& reply) {
  check(reply.code >= 200 && reply.code <= 599);
  check(!reply.lines.empty() && reply.lines.size() <= kMaxSmtpReplyLines);
  for (const std::string& line : reply.lines) check(line.size() <= kMaxSmtpReplyLineBytes);
  if (reply.enhanced) {
    check(reply.enhanced->class_code == reply.code / 100 && reply.enhanced->class_code != 3);
    check(reply.enhanced->subject >= 0 && reply.enhanced->subject <= 999);
    check(reply.enhanced->detail >= 0 && reply.enhanced->detail <= 999);
  }
  const SmtpReplyClass klass = reply.reply_class();
  check((klass == SmtpReplyClass::ok) == (reply.code / 100 == 2));
  check((klass == SmtpReplyClass::intermediate) == (reply.code / 100 == 3));
  check((klass == SmtpReplyClass::temporary) == (reply.code / 100 == 4));
  check((klass == SmtpReplyClass::permanent) == (reply.code / 100 == 5));

  const SmtpCapabilities caps = parse_ehlo_reply(reply);
  check(caps.greeting == reply.lines.front());
  for (const std::string& k : caps.keywords) check(is_upper(k) && !k.empty());
  for (const std::string& m : caps.auth_mechanisms) check(is_upper(m) && !m.empty());
  check(caps.size_declared || caps.size_limit == 0);
  check(caps.keywords.size() <= reply.lines.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // ---- replies, one after another as a pipelining client reads them ----
  std::string_view rest = input;
  for (int replies = 0; replies < 64; ++replies) {
    auto parsed = parse_smtp_reply(rest);
    if (!parsed.ok()) {
      check(parsed.error().code == "smtp_bad_reply" && !parsed.error().message.empty());
      break;
    }
    if (!parsed->has_value()) {
      // Incomplete: no line break ends the last line yet, and that line is not over the limit.
      check(rest.size() - (rest.rfind('\n') == std::string_view::npos ? 0 : rest.rfind('\n') + 1) <=
            kMaxSmtpReplyLineBytes);
      break;
    }
    const ParsedSmtpReply& p = **parsed;
    check(p.consumed >= 4 && p.consumed <= rest.size() && rest[p.consumed - 1] == '\n');
    check_reply(p.reply);

    // Every proper prefix that cuts the last line is incomplete (or, for an over-long line, an error).
    const std::string_view whole = rest.substr(0, p.consumed);
    auto cut = parse_smtp_reply(whole.substr(0, whole.size() - 1));
    check(cut.ok() ? !cut->has_value() : cut.error().code == "smtp_bad_reply");

    // (Skipped when a line without the enhanced code would pass the line limit with it.)
    const std::string written = write_reply(p.reply);
    auto again = parse_smtp_reply(written);
    bool fits = true;
    for (const std::string& line : p.reply.lines) fits = fits && line.size() + 16 <= kMaxSmtpReplyLineBytes;
    if (fits) {
      check(again.ok() && again->has_value());
      const SmtpReply& r = (*again)->reply;
      check((*again)->consumed == written.size());
      check(r.code == p.reply.code && r.lines == p.reply.lines && r.enhanced == p.reply.enhanced);
    }
    rest.remove_prefix(p.consumed);
  }

  // ---- DATA ----
  const std::string payload = dot_stuff(input);
  check(payload.size() >= 3 && payload.substr(payload.size() - 3) == ".\r\n");
  check(payload.size() == 3 || payload.substr(payload.size() - 5) == "\r\n.\r\n");
  std::string unstuffed;
  std::size_t pos = 0;
  const std::string_view body = std::string_view(payload).substr(0, payload.size() - 3);
  while (pos < body.size()) {
    const std::size_t end = body.find("\r\n", pos);
    check(end != std::string_view::npos);
    std::string_view line = body.substr(pos, end - pos);
    check(line.find_first_of("\r\n") == std::string_view::npos);
    if (!line.empty() && line.front() == '.') {
      check(line.size() >= 2 && line[1] == '.');
      line.remove_prefix(1);
    }
    unstuffed += line;
    unstuffed += "\r\n";
    pos = end + 2;
  }
  check(unstuffed == crlf_lines(input));

  // ---- AUTH PLAIN ----
  if (!input.empty()) {
    const std::size_t split = static_cast<unsigned char>(input[0]) % (input.size());
    const std::string_view user = input.substr(1, split);
    const std::string_view password = input.substr(std::min(input.size(), 1 + split));
    auto response = auth_plain_response(user, password);
    if (response.ok()) {
      const auto decoded = jarip::crypto::base64_decode(*response);
      check(decoded.has_value() && *decoded == std::string(1, '\0') + std::string(user) + '\0' + std::string(password));
    } else {
      check(response.error().code == "invalid_smtp_credentials");
    }
  }
  return 0;
}
