// Which text message a body becomes, and the AlimTalk length limit.
//
// Korean carriers' limits, as every provider enforces them (Solapi, NHN Cloud): SMS carries at most
// 90 CP949 bytes and has no subject; LMS carries at most 2,000 bytes and a subject of at most 40.
// AlimTalk counts characters, not bytes: at most 1,000 per message. See docs/korean-text.md.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/result.hpp"

namespace jarip::text {

inline constexpr std::size_t kSmsMaxBytes = 90;
inline constexpr std::size_t kLmsMaxBytes = 2000;
inline constexpr std::size_t kLmsSubjectMaxBytes = 40;
inline constexpr std::size_t kAlimtalkMaxChars = 1000;

enum class SmsKind { sms, lms };

struct SmsPlan {
  SmsKind kind = SmsKind::sms;
  std::size_t body_bytes = 0;     // CP949 bytes of the body
  std::size_t subject_bytes = 0;  // CP949 bytes of the subject (0 for SMS)
};

// Chooses SMS or LMS for `body` (and an optional LMS `subject`), both UTF-8:
//  - SMS when the subject is empty and the body is ≤ 90 bytes;
//  - LMS when the body is 91–2,000 bytes, or when a subject is given (SMS has none, and dropping a
//    merchant's subject silently would lose text they wrote);
// Errors, with field "text" or "subject":
//  "text_empty"         the body is empty;
//  "invalid_utf8"       either is not UTF-8;
//  "text_unencodable"   either has a character CP949 cannot encode (the message names them; the
//                       caller may apply cp949_replace_unencodable() first if the merchant chose so);
//  "text_too_long"      body > 2,000 bytes or subject > 40 bytes.
Result<SmsPlan> choose_sms_kind(std::string_view body, std::string_view subject = {});

// Checks an AlimTalk body (UTF-8): ≤ 1,000 characters (code points). Errors, with field "text":
// "text_empty", "invalid_utf8", "alimtalk_too_long".
Result<std::size_t> check_alimtalk_body(std::string_view body);

}  // namespace jarip::text
