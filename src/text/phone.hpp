// Korean telephone numbers: recipients (mobile only) and sender numbers (발신번호).
//
// Accepted spellings: digits with any spaces, tabs, hyphens, dots and parentheses between them
// ("010-1234-5678", "010 1234 5678", "(010)1234-5678", "010.1234.5678"), and the international
// forms "+82 10-1234-5678", "+821012345678", "82-10-1234-5678", "0082-10-…" (a redundant trunk 0
// after +82, as in "+82 010-…" or "+82 (0)10-…", is tolerated). Other country codes are refused:
// Korean providers deliver domestically only. Numbering plan: docs/korean-text.md.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace jarip::text {

enum class PhoneKind {
  mobile,          // 010 (11 digits); 011, 016, 017, 018, 019 (10 or 11)
  seoul,           // 02 + 3 or 4 + 4 digits
  area,            // 031–033, 041–044, 051–055, 061–064 + 3 or 4 + 4 digits
  representative,  // 15xx, 16xx, 18xx + 4 digits (대표번호), no area code
  internet,        // 070 + 4 + 4 digits (internet telephony)
  personal,        // 0502–0508 + 3 or 4 + 4 digits (050 safe/personal numbers)
  toll_free,       // 080 + 3 or 4 + 4 digits (free call, e.g. ad opt-out lines)
};
std::string_view to_string(PhoneKind kind);

struct PhoneNumber {
  std::string domestic;  // digits only, as dialled in Korea: "01012345678", "0212345678", "15881234"
  std::string e164;      // "+821012345678" (trunk 0 dropped), "+8215881234"
  PhoneKind kind = PhoneKind::mobile;
};

// A recipient's mobile number. Error{"invalid_phone", why, field}, where why says "empty",
// "contains letters", "invalid character", "foreign country code", "bad prefix", "too short" or
// "too long". The result re-normalises to itself from both its domestic and its E.164 form.
Result<PhoneNumber> normalize_mobile(std::string_view input, std::string_view field = {});

// A sender number: any mobile number, or a landline (02, 0xx area codes), representative
// (15xx/16xx/18xx), internet (070), personal (050x) or toll-free (080) number. Same errors.
Result<PhoneNumber> normalize_sender(std::string_view input, std::string_view field = {});

// The usual hyphenated spelling: "010-1234-5678", "02-123-4567", "1588-1234", "0505-123-4567".
std::string format_phone(const PhoneNumber& number);

// For logs, from any input at all. A number that normalize_sender() accepts keeps its prefix
// (carrier, area or service code: shared by millions, so it identifies no one) and its last 4
// digits: "010-****-5678", "02-***-4567". When prefix and last 4 would be the whole number
// (1588-1234) only the last 4 remain: "****-1234". Anything else shows at most its last 4 digits,
// "****5678", and only when it has at least 8 digits, else "****". Nothing but '*', '-' and those
// digits is ever copied from the input, so a mistyped e-mail address or name never reaches a log.
std::string mask_phone(std::string_view input);

}  // namespace jarip::text
