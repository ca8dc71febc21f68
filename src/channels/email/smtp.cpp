#include "channels/email/smtp.hpp"

#include <limits>

#include "channels/email/ascii.hpp"
#include "common/crypto.hpp"

namespace jarip::channels::email {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii::upper(c);
  return out;
}

Error bad_reply(std::string why) { return make_error("smtp_bad_reply", "malformed SMTP reply: " + why); }

// Reads 1–3 digits at `pos` into `value`; false when there is none.
bool read_number(std::string_view s, std::size_t& pos, std::size_t max_digits, int& value) {
  const std::size_t start = pos;
  value = 0;
  while (pos < s.size() && pos - start < max_digits && is_digit(s[pos])) value = value * 10 + (s[pos++] - '0');
  return pos > start;
}

// "5.1.1" at the start of `text`, followed by a space or the end; its length in `length`.
std::optional<EnhancedStatus> parse_enhanced(std::string_view text, std::size_t& length) {
  EnhancedStatus status;
  std::size_t pos = 0;
  if (!read_number(text, pos, 1, status.class_code) || pos >= text.size() || text[pos++] != '.') return std::nullopt;
  if (!read_number(text, pos, 3, status.subject) || pos >= text.size() || text[pos++] != '.') return std::nullopt;
  if (!read_number(text, pos, 3, status.detail)) return std::nullopt;
  if (pos < text.size() && text[pos] != ' ') return std::nullopt;
  length = pos;
  return status;
}

// Splits at runs of spaces (and tabs).
std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
    const std::size_t start = pos;
    while (pos < s.size() && s[pos] != ' ' && s[pos] != '\t') ++pos;
    if (pos > start) out.push_back(s.substr(start, pos - start));
  }
  return out;
}

Status check_path(std::string_view address, std::string_view field) {
  for (char c : address) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '<' || c == '>') {
      return make_error("invalid_email", "the address has a character an SMTP command cannot carry",
                        std::string(field));
    }
  }
  return Status::success();
}

}  // namespace

std::string EnhancedStatus::to_string() const {
  return std::to_string(class_code) + "." + std::to_string(subject) + "." + std::to_string(detail);
}

SmtpReplyClass SmtpReply::reply_class() const {
  switch (code / 100) {
    case 2: return SmtpReplyClass::ok;
    case 3: return SmtpReplyClass::intermediate;
    case 4: return SmtpReplyClass::temporary;
    default: return SmtpReplyClass::permanent;
  }
}

std::string SmtpReply::text() const {
  std::string out;
  for (const std::string& line : lines) {
    if (!out.empty()) out += ' ';
    out += line;
  }
  return out;
}

Result<std::optional<ParsedSmtpReply>> parse_smtp_reply(std::string_view buffer) {
  ParsedSmtpReply parsed;
  SmtpReply& reply = parsed.reply;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t nl = buffer.find('\n', pos);
    if (nl == std::string_view::npos) {
      if (buffer.size() - pos > kMaxSmtpReplyLineBytes) return bad_reply("a line longer than 2048 bytes");
      return std::optional<ParsedSmtpReply>();
    }
    std::string_view line = buffer.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > kMaxSmtpReplyLineBytes) return bad_reply("a line longer than 2048 bytes");
    if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2])) {
      return bad_reply("a line does not start with a three-digit code");
    }
    const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (code < 200 || code > 599) return bad_reply("code " + std::to_string(code) + " is not 2xx–5xx");
    if (line.size() > 3 && line[3] != '-' && line[3] != ' ') return bad_reply("no '-' or ' ' after the code");
    if (reply.lines.empty()) {
      reply.code = code;
    } else if (code != reply.code) {
      return bad_reply("the lines of one reply carry different codes");
    }
    if (reply.lines.size() == kMaxSmtpReplyLines) return bad_reply("more than 128 lines");
    reply.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
    pos = nl + 1;
    if (line.size() <= 3 || line[3] == ' ') break;
  }
  parsed.consumed = pos;

  // RFC 2034 §4: every line carries the enhanced code when the server uses them; its class must
  // be the reply's, or it is ordinary text.
  std::size_t length = 0;
  auto enhanced = parse_enhanced(reply.lines.front(), length);
  if (enhanced && enhanced->class_code == reply.code / 100 && enhanced->class_code != 3) {
    const std::string prefix = reply.lines.front().substr(0, length);
    reply.enhanced = enhanced;
    for (std::string& line : reply.lines) {
      if (line.compare(0, prefix.size(), prefix) == 0 && (line.size() == prefix.size() || line[prefix.size()] == ' ')) {
        line.erase(0, std::min(line.size(), prefix.size() + 1));
      }
    }
  }
  return std::optional<ParsedSmtpReply>(std::move(parsed));
}

bool SmtpCapabilities::supports_auth(std::string_view mechanism) const {
  const std::string wanted = upper(mechanism);
  for (const std::string& m : auth_mechanisms) {
    if (m == wanted) return true;
  }
  return false;
}

SmtpCapabilities parse_ehlo_reply(const SmtpReply& reply) {
  SmtpCapabilities caps;
  if (reply.lines.empty()) return caps;
  caps.greeting = reply.lines.front();
  for (std::size_t i = 1; i < reply.lines.size(); ++i) {
    std::vector<std::string_view> parts = words(reply.lines[i]);
    if (parts.empty()) continue;
    std::string keyword = upper(parts.front());
    // Old servers write "AUTH=LOGIN PLAIN": the first mechanism after '='.
    if (const std::size_t eq = keyword.find('='); eq != std::string::npos && keyword.compare(0, eq, "AUTH") == 0) {
      const std::string first = keyword.substr(eq + 1);
      keyword = "AUTH";
      parts.front() = std::string_view();
      if (!first.empty()) caps.auth_mechanisms.push_back(first);
    }
    caps.keywords.push_back(keyword);
    if (keyword == "STARTTLS") caps.starttls = true;
    else if (keyword == "PIPELINING") caps.pipelining = true;
    else if (keyword == "8BITMIME") caps.eight_bit_mime = true;
    else if (keyword == "SMTPUTF8") caps.smtputf8 = true;
    else if (keyword == "ENHANCEDSTATUSCODES") caps.enhanced_status_codes = true;
    else if (keyword == "CHUNKING") caps.chunking = true;
    else if (keyword == "DSN") caps.dsn = true;
    else if (keyword == "SIZE") {
      caps.size_declared = true;
      if (parts.size() > 1) {
        std::uint64_t n = 0;
        bool digits = !parts[1].empty();
        for (char c : parts[1]) {
          if (!is_digit(c) || n > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) {
            digits = false;
            break;
          }
          n = n * 10 + static_cast<std::uint64_t>(c - '0');
        }
        caps.size_limit = digits ? n : 0;
      }
    } else if (keyword == "AUTH") {
      for (std::size_t j = 1; j < parts.size(); ++j) {
        const std::string mechanism = upper(parts[j]);
        if (!mechanism.empty() && !caps.supports_auth(mechanism)) caps.auth_mechanisms.push_back(mechanism);
      }
    }
  }
  return caps;
}

Result<std::string> mail_from_command(std::string_view address, std::optional<std::uint64_t> size, bool smtputf8) {
  if (Status s = check_path(address, "from"); !s.ok()) return s.error();
  std::string out = "MAIL FROM:<" + std::string(address) + ">";
  if (size) out += " SIZE=" + std::to_string(*size);
  if (smtputf8) out += " SMTPUTF8";
  out += "\r\n";
  return out;
}

Result<std::string> rcpt_to_command(std::string_view address) {
  if (address.empty()) return make_error("invalid_email", "no recipient address", "to");
  if (Status s = check_path(address, "to"); !s.ok()) return s.error();
  return "RCPT TO:<" + std::string(address) + ">\r\n";
}

std::string dot_stuff(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 64 + 8);
  bool line_start = true;
  for (std::size_t i = 0; i < message.size(); ++i) {
    const char c = message[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < message.size() && message[i + 1] == '\n') ++i;
      out += "\r\n";
      line_start = true;
      continue;
    }
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = false;
  }
  if (!line_start) out += "\r\n";
  out += ".\r\n";
  return out;
}

Result<std::string> auth_plain_response(std::string_view username, std::string_view password,
                                        std::string_view authzid) {
  const std::string_view nul("\0", 1);
  if (username.empty() || password.empty()) {
    return make_error("invalid_smtp_credentials", "SMTP AUTH needs a username and a password");
  }
  for (std::string_view part : {username, password, authzid}) {
    if (part.find(nul) != std::string_view::npos) {
      return make_error("invalid_smtp_credentials", "SMTP AUTH PLAIN credentials may not contain NUL");
    }
  }
  std::string message(authzid);
  message += '\0';
  message += username;
  message += '\0';
  message += password;
  return crypto::base64_encode(message);
}

std::string auth_login_response(std::string_view value) { return crypto::base64_encode(value); }

std::optional<std::string> decode_auth_challenge(const SmtpReply& reply) {
  if (reply.lines.empty()) return std::nullopt;
  std::string_view text = reply.lines.front();
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  if (text.empty()) return std::string();
  for (char c : text) {
    if (!(is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '+' || c == '/' || c == '=')) {
      return std::nullopt;
    }
  }
  return crypto::base64_decode(text);
}

}  // namespace jarip::channels::email
