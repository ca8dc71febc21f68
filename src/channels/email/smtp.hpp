// The pure half of an SMTP client (RFC 5321): reply parsing with enhanced status codes (RFC 3463,
// RFC 2034), the EHLO capability list, command lines, DATA dot-stuffing and AUTH PLAIN/LOGIN
// (RFC 4954, RFC 4616). The async client owns the socket, TLS and timeouts and calls these: it
// appends what it reads to a buffer, calls parse_smtp_reply until it returns a reply, and drops
// `consumed` bytes from the buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace jarip::channels::email {

// Limits that keep a hostile or broken server from making the client buffer without end. RFC 5321
// §4.5.3.1.5 allows 512 bytes a reply line; real servers stay well inside 2048.
inline constexpr std::size_t kMaxSmtpReplyLineBytes = 2048;
inline constexpr std::size_t kMaxSmtpReplyLines = 128;

// What a reply means for the message being sent.
enum class SmtpReplyClass {
  ok,            // 2xx: done, go on
  intermediate,  // 3xx: go on with the next part (354 after DATA, 334 during AUTH)
  temporary,     // 4xx: try again later (the same step, after a backoff)
  permanent,     // 5xx: this message cannot go this way; move on (next channel, or fail)
};

struct EnhancedStatus {  // RFC 3463: class.subject.detail, e.g. 5.1.1 (bad destination mailbox)
  int class_code = 0;    // 2, 4 or 5 (always the reply code's first digit)
  int subject = 0;       // 0–999
  int detail = 0;        // 0–999
  std::string to_string() const;  // "5.1.1"
  bool operator==(const EnhancedStatus&) const = default;
};

struct SmtpReply {
  int code = 0;  // 200–599
  std::optional<EnhancedStatus> enhanced;
  // Each line's text after "250-"/"250 " and after the enhanced code if the line starts with it.
  std::vector<std::string> lines;

  SmtpReplyClass reply_class() const;
  std::string text() const;  // the lines joined by one space, for logs and error messages
};

struct ParsedSmtpReply {
  SmtpReply reply;
  std::size_t consumed = 0;  // bytes of the buffer the reply took, through its last line break
};

// Parses one reply from the start of `buffer`: lines "ddd-text" ending with one "ddd text" (or
// "ddd"), all with the same code. CRLF ends a line; a bare LF is accepted too. Returns nullopt when
// the buffer does not yet hold the last line (read more). Error "smtp_bad_reply" for a line that
// is not a reply line, a code outside 200–599, codes that differ between lines, a line longer than
// kMaxSmtpReplyLineBytes (also while it is still incomplete) or more than kMaxSmtpReplyLines lines.
Result<std::optional<ParsedSmtpReply>> parse_smtp_reply(std::string_view buffer);

// The EHLO answer's service extensions (RFC 5321 §4.1.1.1): the first line is the server's
// greeting, each further line one keyword with its parameters.
struct SmtpCapabilities {
  std::string greeting;
  bool starttls = false;               // RFC 3207
  bool pipelining = false;             // RFC 2920
  bool eight_bit_mime = false;         // RFC 6152
  bool smtputf8 = false;               // RFC 6531
  bool enhanced_status_codes = false;  // RFC 2034
  bool chunking = false;               // RFC 3030
  bool dsn = false;                    // RFC 3461
  bool size_declared = false;          // RFC 1870 SIZE
  std::uint64_t size_limit = 0;        // SIZE n; 0 = no fixed limit (or none given)
  std::vector<std::string> auth_mechanisms;  // upper case ("PLAIN", "LOGIN", …), "AUTH=" form too
  std::vector<std::string> keywords;         // every extension keyword, upper case

  bool supports_auth(std::string_view mechanism) const;
  // True when a message of `bytes` is within SIZE (always true without a limit).
  bool accepts_size(std::uint64_t bytes) const { return size_limit == 0 || bytes <= size_limit; }
};
SmtpCapabilities parse_ehlo_reply(const SmtpReply& reply);

// ---- Commands ----------------------------------------------------------------------------------

// "MAIL FROM:<address>[ SIZE=n][ SMTPUTF8]\r\n"; an empty address is the null reverse-path "<>".
// `address` must be a normalised address (address.hpp). Error "invalid_email" (field "from") for
// a CR, LF, blank, '<' or '>' in it.
Result<std::string> mail_from_command(std::string_view address, std::optional<std::uint64_t> size, bool smtputf8);
// "RCPT TO:<address>\r\n". Error "invalid_email" (field "to") as above; the address may not be empty.
Result<std::string> rcpt_to_command(std::string_view address);

// The DATA payload for `message`: LF, CR and CRLF line endings all become CRLF (so that no bare
// LF or CR reaches a server that reads it as a line end, the "SMTP smuggling" confusion), every
// line starting with '.' gets one more (RFC 5321 §4.5.2), a final CRLF is added if missing, and
// the terminating ".\r\n" follows. A signed message (CRLF-only already) is not altered.
std::string dot_stuff(std::string_view message);

// AUTH PLAIN's response (RFC 4616): base64(authzid NUL username NUL password), sent as
// "AUTH PLAIN <response>" or after a 334. Error "invalid_smtp_credentials" for a NUL in any part
// or an empty username or password.
Result<std::string> auth_plain_response(std::string_view username, std::string_view password,
                                        std::string_view authzid = {});
// AUTH LOGIN's answer to one 334 prompt (the username, then the password): base64 of the value.
std::string auth_login_response(std::string_view value);
// The decoded text of a 334 challenge ("VXNlcm5hbWU6" → "Username:"); nullopt when not base64.
std::optional<std::string> decode_auth_challenge(const SmtpReply& reply);

}  // namespace jarip::channels::email
