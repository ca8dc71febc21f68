#include "text/sms_rules.hpp"

#include <cstdio>
#include <string>

#include "text/cp949.hpp"
#include "text/utf8.hpp"

namespace jarip::text {
namespace {

// The CP949 length of one field, or the field's error. At most a few characters are named in the
// message: enough for a merchant to find them, short enough for an API error.
Result<std::size_t> field_bytes(std::string_view value, const char* field) {
  auto length = cp949_length(value);
  if (!length) return make_error("invalid_utf8", length.error().message, field);
  const auto& unencodable = length->unencodable;
  if (!unencodable.empty()) {
    std::string message = std::to_string(unencodable.size()) +
                          " character(s) cannot be sent by SMS/LMS (not in CP949): ";
    constexpr std::size_t kNamed = 5;
    for (std::size_t i = 0; i < unencodable.size() && i < kNamed; ++i) {
      if (i > 0) message += ", ";
      char code[16];
      std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(unencodable[i].code_point));
      message += "\"" + unencodable[i].text + "\" (" + code + ") at character " +
                 std::to_string(unencodable[i].char_offset);
    }
    if (unencodable.size() > kNamed) message += ", …";
    return make_error("text_unencodable", message, field);
  }
  return length->bytes;
}

Error too_long(const char* what, std::size_t bytes, std::size_t limit, const char* field) {
  return make_error("text_too_long",
                    std::string(what) + " is " + std::to_string(bytes) + " bytes in CP949; the limit is " +
                        std::to_string(limit),
                    field);
}

}  // namespace

Result<SmsPlan> choose_sms_kind(std::string_view body, std::string_view subject) {
  if (body.empty()) return make_error("text_empty", "the message text is empty", "text");
  auto body_bytes = field_bytes(body, "text");
  if (!body_bytes) return body_bytes.error();
  auto subject_bytes = field_bytes(subject, "subject");
  if (!subject_bytes) return subject_bytes.error();

  if (*body_bytes > kLmsMaxBytes) return too_long("the LMS text", *body_bytes, kLmsMaxBytes, "text");
  if (*subject_bytes > kLmsSubjectMaxBytes) {
    return too_long("the LMS subject", *subject_bytes, kLmsSubjectMaxBytes, "subject");
  }
  if (subject.empty() && *body_bytes <= kSmsMaxBytes) return SmsPlan{SmsKind::sms, *body_bytes, 0};
  return SmsPlan{SmsKind::lms, *body_bytes, *subject_bytes};
}

Result<std::size_t> check_alimtalk_body(std::string_view body) {
  if (body.empty()) return make_error("text_empty", "the message text is empty", "text");
  auto chars = count_code_points(body);
  if (!chars) return make_error("invalid_utf8", chars.error().message, "text");
  if (*chars > kAlimtalkMaxChars) {
    return make_error("alimtalk_too_long",
                      "the AlimTalk text is " + std::to_string(*chars) + " characters; the limit is " +
                          std::to_string(kAlimtalkMaxChars),
                      "text");
  }
  return *chars;
}

}  // namespace jarip::text
