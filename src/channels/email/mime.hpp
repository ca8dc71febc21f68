// The RFC 5322 / MIME message an Email send puts on the wire, built from plain fields. Pure: no I/O,
// randomness injected (the multipart boundary), errors as values.
//
// What the output always is:
//  - CRLF line endings only (no bare CR or LF anywhere);
//  - every header line ≤ 78 columns where the text allows it and ≤ 998 always (RFC 5322 §2.1.1):
//    From/To/Reply-To/Subject are folded at ≤ 78, non-ASCII or over-long text as RFC 2047
//    encoded-words ("=?UTF-8?B?…?=", each ≤ 75 characters, never splitting a UTF-8 character);
//  - a text/plain part, or multipart/alternative (text/plain, then text/html) when an HTML body
//    is given; a body is 7bit when it is printable ASCII in lines of ≤ 76, else base64 in lines of
//    76 characters; charset=UTF-8;
//  - a boundary that is random and checked not to occur in either part.
// Header injection: a CR or LF in any header input (names, addresses, subject, message id, extra
// headers) is Error{"header_injection", …, field}; nothing is silently stripped.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace jarip::channels::email {

inline constexpr std::size_t kMaxHeaderLineBytes = 998;  // RFC 5322 §2.1.1 MUST, without CRLF
inline constexpr std::size_t kFoldColumns = 78;          // RFC 5322 §2.1.1 SHOULD
inline constexpr std::size_t kMaxEncodedWordChars = 75;  // RFC 2047 §2
inline constexpr std::size_t kBodyLineChars = 76;        // RFC 2045 §6.8 (base64), §6.7 (QP)

struct Mailbox {
  std::string address;       // addr-spec; validated and normalised by the builder
  std::string display_name;  // UTF-8, one line; may be empty
};

struct MessageHeader {
  std::string name;
  std::string value;
};

struct EmailMessage {
  Mailbox from;
  Mailbox to;
  std::optional<Mailbox> reply_to;
  std::string subject;                   // UTF-8, one line (see ad_subject for ads)
  std::string text_body;                 // UTF-8; LF, CR or CRLF line endings (all sent as CRLF)
  std::optional<std::string> html_body;  // UTF-8; escape variables with html_escape
  std::string message_id;                // jarip's id ("msg_…"): Message-ID: <msg_…@from-domain>
  TimeMs date = 0;                       // the Date header
  int date_offset_minutes = 9 * 60;      // the zone Date is written in (KST by default)
  // List-Unsubscribe, List-Unsubscribe-Post (list_unsubscribe_headers), or other headers the
  // builder does not write itself: printable ASCII values, folded at white space.
  std::vector<MessageHeader> extra_headers;
};

struct MimeMessage {
  std::string bytes;           // the message, headers + body, CRLF line endings
  std::string envelope_from;   // normalised From address (MAIL FROM)
  std::string envelope_to;     // normalised To address (RCPT TO)
  bool needs_smtputf8 = false;  // an address has an IDN domain: send with SMTPUTF8 or not at all
};

// `count` random bytes (the MIME boundary). Production passes crypto::random_bytes.
using RandomBytes = std::function<std::string(std::size_t count)>;

// Builds the message. Errors (field names are EmailMessage's members, "extra_headers" for those):
//  "header_injection" (CR or LF in a header input), "invalid_email" (an address),
//  "invalid_utf8" (subject, names, bodies), "invalid_header" (control characters in a header
//  text; an extra header with a bad name, a name the builder writes itself, a non-ASCII value or
//  a word too long to fold within 998 bytes), "invalid_message_id" (not a dot-atom of ≤ 128 bytes),
//  "internal" (no boundary free of the parts after 8 tries: a broken random source).
Result<MimeMessage> build_message(const EmailMessage& message, const RandomBytes& random);

// ---- Pieces, public for the builder's tests and for other senders -----------------------------

enum class MessageKind { info, ad };

// The subject of an ad email must begin with "(광고)" (정보통신망법 §50(4), KISA's guide: for email,
// in the subject). kind == ad → "(광고) " + subject, without a second prefix when the subject
// already starts with "(광고)" (after leading blanks); kind == info → the subject unchanged.
std::string ad_subject(std::string_view subject, MessageKind kind);

// Escapes & < > " ' for text inserted into HTML (element content or a quoted attribute value).
std::string html_escape(std::string_view text);

// RFC 8058 one-click unsubscribe: List-Unsubscribe: <https_url>[, <mailto:mailto_address>] and
// List-Unsubscribe-Post: List-Unsubscribe=One-Click. The URL must be https, printable ASCII without
// blanks, '<', '>' or ',', ≤ 900 bytes; the address (optional, empty for none) a valid address.
// Errors "invalid_unsubscribe_url" (field "unsubscribe_url"), "invalid_email" (field "unsubscribe_mailto").
// Both headers must be covered by the DKIM signature (dkim.hpp signs them by default).
Result<std::vector<MessageHeader>> list_unsubscribe_headers(std::string_view https_url,
                                                            std::string_view mailto_address = {});

// RFC 5322 §3.3 date-time at `offset_minutes` east of UTC: "Tue, 05 Mar 2024 14:30:00 +0900".
std::string format_date(TimeMs time, int offset_minutes);

// One unstructured header field ("Subject: …\r\n"): printable ASCII folded at white space when
// every line fits 78 columns, else the whole value as encoded-words, one or more per line.
// Leading and trailing blanks are dropped. Errors as build_message's, reported against `field`.
Result<std::string> encode_unstructured_header(std::string_view name, std::string_view value,
                                               std::string_view field);

// One address header field ("From: Name <a@b>\r\n"): the display name as an atom phrase, a
// quoted-string or encoded-words (non-ASCII, or too long for the first line); the address after
// it, folded onto its own line when it does not fit. The address must already be normalised.
Result<std::string> encode_mailbox_header(std::string_view name, const Mailbox& mailbox, std::string_view field);

// One structured header field of printable ASCII ("List-Unsubscribe: <…>, <…>\r\n"), folded at
// blanks; a line passes 78 columns only for a word longer than that. Errors: "header_injection"
// (CR/LF), "invalid_header" (other bytes outside printable ASCII and TAB, or a word too long for a
// 998-byte line), reported against `field`.
Result<std::string> encode_ascii_header(std::string_view name, std::string_view value, std::string_view field);

// The check every header input passes before it is written: a CR or LF is "header_injection", text
// that is not UTF-8 "invalid_utf8", another control character (U+0000–U+001F but TAB, U+007F)
// "invalid_header"; each reported against `field`.
Status check_header_text(std::string_view value, std::string_view field);

// Bytes as base64 in lines of 76 characters, each ending in CRLF ("" for no bytes).
std::string base64_lines(std::string_view bytes);

// LF, CR and CRLF line endings all become CRLF.
std::string to_crlf(std::string_view text);

}  // namespace jarip::channels::email
