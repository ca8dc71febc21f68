#include "channels/email/mime.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>

#include "channels/email/address.hpp"
#include "channels/email/ascii.hpp"
#include "common/crypto.hpp"
#include "text/ad_rules.hpp"
#include "text/utf8.hpp"

namespace jarip::channels::email {
namespace {

constexpr std::size_t kMaxMessageIdBytes = 128;
constexpr int kBoundaryTries = 8;

// Headers the builder writes itself (and the ones only a relay or the signer may add).
constexpr std::string_view kReservedHeaders[] = {
    "from",         "to",           "cc",           "bcc",        "reply-to",
    "subject",      "date",         "message-id",   "mime-version", "content-type",
    "content-transfer-encoding", "content-disposition", "dkim-signature", "sender", "return-path",
    "received"};

using ascii::iequals;
using ascii::is_atext;

// RFC 5322 dot-atom-text: atext runs separated by single dots.
bool is_dot_atom(std::string_view v) {
  if (v.empty() || v.front() == '.' || v.back() == '.') return false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '.') {
      if (v[i + 1] == '.') return false;
    } else if (!is_atext(v[i])) {
      return false;
    }
  }
  return true;
}

// A field name short enough that "Name: " leaves room on a 78-column line.
bool is_extra_header_name(std::string_view v) { return v.size() <= 76 && ascii::is_field_name(v); }

bool is_reserved_header(std::string_view name) {
  for (std::string_view r : kReservedHeaders) {
    if (iequals(name, r)) return true;
  }
  return false;
}

// Printable ASCII and TAB in lines of at most 76: sent as it is (7bit), easier on filters and eyes.
bool fits_7bit(std::string_view crlf_text) {
  std::size_t line = 0;
  for (std::size_t i = 0; i < crlf_text.size(); ++i) {
    const char c = crlf_text[i];
    if (c == '\r' && i + 1 < crlf_text.size() && crlf_text[i + 1] == '\n') {
      line = 0;
      ++i;
      continue;
    }
    if ((c < 0x20 || c > 0x7E) && c != '\t') return false;
    if (++line > kBodyLineChars) return false;
  }
  return true;
}

struct EncodedPart {
  std::string headers;  // Content-Type and Content-Transfer-Encoding lines
  std::string body;     // ends with CRLF unless empty
};

Result<EncodedPart> encode_part(std::string_view content, std::string_view subtype, std::string_view field) {
  if (!text::is_valid_utf8(content)) {
    return make_error("invalid_utf8", std::string(field) + " is not valid UTF-8", std::string(field));
  }
  EncodedPart part;
  std::string crlf = to_crlf(content);
  part.headers = "Content-Type: text/" + std::string(subtype) + "; charset=UTF-8\r\n";
  if (fits_7bit(crlf)) {
    part.headers += "Content-Transfer-Encoding: 7bit\r\n";
    if (!crlf.empty() && crlf.back() != '\n') crlf += "\r\n";
    part.body = std::move(crlf);
  } else {
    part.headers += "Content-Transfer-Encoding: base64\r\n";
    part.body = base64_lines(crlf);
  }
  return part;
}

Result<Mailbox> normalize_mailbox(const Mailbox& mailbox, std::string_view field) {
  if (Status s = check_header_text(mailbox.address, field); !s.ok()) return s.error();
  auto address = normalize_address(mailbox.address, field);
  if (!address.ok()) return address.error();
  return Mailbox{std::move(address).value(), mailbox.display_name};
}

}  // namespace

Result<MimeMessage> build_message(const EmailMessage& message, const RandomBytes& random) {
  // Header inputs first, so that an injection attempt is reported as one whatever else is wrong.
  for (const MessageHeader& h : message.extra_headers) {
    if (h.name.find_first_of("\r\n") != std::string::npos || h.value.find_first_of("\r\n") != std::string::npos) {
      return make_error("header_injection", "line breaks are not allowed in e-mail headers (in an extra header)",
                        "extra_headers");
    }
  }
  if (Status s = check_header_text(message.subject, "subject"); !s.ok()) return s.error();
  if (Status s = check_header_text(message.message_id, "message_id"); !s.ok()) return s.error();

  auto from = normalize_mailbox(message.from, "from");
  if (!from.ok()) return from.error();
  auto to = normalize_mailbox(message.to, "to");
  if (!to.ok()) return to.error();
  std::optional<Mailbox> reply_to;
  if (message.reply_to) {
    auto r = normalize_mailbox(*message.reply_to, "reply_to");
    if (!r.ok()) return r.error();
    reply_to = std::move(r).value();
  }
  if (message.message_id.size() > kMaxMessageIdBytes || !is_dot_atom(message.message_id)) {
    return make_error("invalid_message_id", "the message id must be 1–128 characters of letters, digits and . _ -",
                      "message_id");
  }
  if (message.date_offset_minutes <= -24 * 60 || message.date_offset_minutes >= 24 * 60) {
    return make_error("invalid_header", "the Date offset must be within ±23:59", "date_offset_minutes");
  }

  MimeMessage out;
  out.envelope_from = from->address;
  out.envelope_to = to->address;
  out.needs_smtputf8 = needs_smtputf8(from->address) || needs_smtputf8(to->address) ||
                       (reply_to && needs_smtputf8(reply_to->address));

  std::string& m = out.bytes;
  auto add = [&m](Result<std::string> line) -> Status {
    if (!line.ok()) return line.error();
    m += *line;
    return Status::success();
  };
  if (Status s = add(encode_mailbox_header("From", *from, "from")); !s.ok()) return s.error();
  if (Status s = add(encode_mailbox_header("To", *to, "to")); !s.ok()) return s.error();
  if (reply_to) {
    if (Status s = add(encode_mailbox_header("Reply-To", *reply_to, "reply_to")); !s.ok()) return s.error();
  }
  if (Status s = add(encode_unstructured_header("Subject", message.subject, "subject")); !s.ok()) return s.error();
  m += "Date: " + format_date(message.date, message.date_offset_minutes) + "\r\n";
  m += "Message-ID: <" + message.message_id + "@" + std::string(domain_of(from->address)) + ">\r\n";
  m += "MIME-Version: 1.0\r\n";

  for (std::size_t i = 0; i < message.extra_headers.size(); ++i) {
    const MessageHeader& h = message.extra_headers[i];
    if (!is_extra_header_name(h.name)) {
      return make_error("invalid_header", "an extra header name must be 1–76 printable ASCII characters without ':'",
                        "extra_headers");
    }
    if (is_reserved_header(h.name)) {
      return make_error("invalid_header", "the builder writes " + h.name + " itself: not allowed as an extra header",
                        "extra_headers");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (iequals(message.extra_headers[j].name, h.name)) {
        return make_error("invalid_header", "extra header " + h.name + " is given twice", "extra_headers");
      }
    }
    if (Status s = add(encode_ascii_header(h.name, h.value, "extra_headers")); !s.ok()) return s.error();
  }

  auto text = encode_part(message.text_body, "plain", "text_body");
  if (!text.ok()) return text.error();
  if (!message.html_body) {
    m += text->headers;
    m += "\r\n";
    m += text->body;
    return out;
  }
  auto html = encode_part(*message.html_body, "html", "html_body");
  if (!html.ok()) return html.error();

  std::string boundary;
  for (int attempt = 0; attempt < kBoundaryTries && boundary.empty(); ++attempt) {
    std::string candidate = "=_jarip_" + crypto::to_hex(random(16));
    if (text->body.find(candidate) == std::string::npos && html->body.find(candidate) == std::string::npos) {
      boundary = std::move(candidate);
    }
  }
  if (boundary.empty()) {
    return make_error("internal", "no MIME boundary free of the message parts: the random source repeats");
  }
  m += "Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"\r\n";
  m += "\r\n";
  for (const EncodedPart* part : {&*text, &*html}) {
    m += "--" + boundary + "\r\n";
    m += part->headers;
    m += "\r\n";
    // The CRLF before the next "--boundary" belongs to the delimiter (RFC 2046 §5.1.1).
    m += part->body.empty() ? std::string("\r\n") : part->body;
  }
  m += "--" + boundary + "--\r\n";
  return out;
}

std::string ad_subject(std::string_view subject, MessageKind kind) {
  if (kind != MessageKind::ad) return std::string(subject);
  std::string_view s = subject;
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  if (s.substr(0, text::kAdPrefix.size()) == text::kAdPrefix) return std::string(subject);
  return std::string(text::kAdPrefix) + " " + std::string(s);
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Result<std::vector<MessageHeader>> list_unsubscribe_headers(std::string_view https_url,
                                                            std::string_view mailto_address) {
  auto bad_url = [](std::string why) {
    return make_error("invalid_unsubscribe_url", "the unsubscribe URL " + why, "unsubscribe_url");
  };
  constexpr std::string_view kScheme = "https://";
  if (https_url.size() <= kScheme.size() || !iequals(https_url.substr(0, kScheme.size()), kScheme)) {
    return bad_url("must be an https:// URL (RFC 8058)");
  }
  if (https_url.size() > 900) return bad_url("is longer than 900 bytes");
  if (https_url[kScheme.size()] == '/') return bad_url("has no host");
  for (char c : https_url) {
    if (c <= 0x20 || c >= 0x7F || c == '<' || c == '>' || c == ',') {
      return bad_url("may hold only printable ASCII without blanks, '<', '>' or ','");
    }
  }
  std::string value = "<" + std::string(https_url) + ">";
  if (!mailto_address.empty()) {
    if (Status s = check_header_text(mailto_address, "unsubscribe_mailto"); !s.ok()) return s.error();
    auto address = normalize_address(mailto_address, "unsubscribe_mailto");
    if (!address.ok()) return address.error();
    if (needs_smtputf8(*address)) {
      return make_error("invalid_email", "the unsubscribe address must be ASCII", "unsubscribe_mailto");
    }
    value += ", <mailto:" + *address + ">";
  }
  return std::vector<MessageHeader>{{"List-Unsubscribe", std::move(value)},
                                    {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}};
}

std::string format_date(TimeMs time, int offset_minutes) {
  using namespace std::chrono;
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // Years 1–9999, the range RFC 5322's four-digit year can show.
  constexpr TimeMs kFirst = -62'135'596'800'000, kLast = 253'402'300'799'999;
  time = std::clamp<TimeMs>(time, kFirst + 86'400'000, kLast - 86'400'000);
  const sys_time<milliseconds> local{milliseconds(time + std::int64_t{offset_minutes} * 60'000)};
  const sys_days day = floor<days>(local);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> hms{local - day};
  const int offset = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d %c%02d%02d",
                kDays[weekday(day).c_encoding()], static_cast<unsigned>(ymd.day()),
                kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()), offset_minutes < 0 ? '-' : '+', offset / 60, offset % 60);
  return buf;
}

std::string base64_lines(std::string_view bytes) {
  const std::string encoded = crypto::base64_encode(bytes);
  std::string out;
  out.reserve(encoded.size() + encoded.size() / kBodyLineChars * 2 + 2);
  for (std::size_t i = 0; i < encoded.size(); i += kBodyLineChars) {
    out.append(encoded, i, kBodyLineChars);
    out += "\r\n";
  }
  return out;
}

std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace jarip::channels::email
