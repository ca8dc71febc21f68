// libFuzzer target for src/text's UTF-8 decoder, CP949 byte counting, the "replace" policy and
// the SMS/LMS/AlimTalk length rules: any bytes as message text.
// Build: cmake -DJARIP_FUZZ=ON with clang, or
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc src/text/*.cpp fuzz/fuzz_cp949.cpp
// Invariants checked (a violation aborts, so the fuzzer reports it like a crash):
//  - the three UTF-8 entry points agree on validity; decoding then re-encoding gives the input back;
//  - CP949 bytes lie between the number of encodable code points and twice that; every reported
//    unencodable character is where its offsets say, in order, and really is unencodable;
//  - the replaced text is valid, fully encodable, and replacing it again changes nothing;
//  - choose_sms_kind() agrees with cp949_length() and the 90/2,000-byte limits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "text/cp949.hpp"
#include "text/sms_rules.hpp"
#include "text/utf8.hpp"

namespace {

using namespace jarip::text;

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const bool valid = is_valid_utf8(text);
  auto decoded = decode_utf8(text);
  auto count = count_code_points(text);
  auto length = cp949_length(text);
  check(decoded.ok() == valid && count.ok() == valid && length.ok() == valid);
  auto plan = choose_sms_kind(text);
  auto alimtalk = check_alimtalk_body(text);
  if (!valid) {
    check(decoded.error().code == "invalid_utf8" && length.error().code == "invalid_utf8");
    check(size == 0 || !plan.ok());
    check(!cp949_replace_unencodable(text).ok());
    return 0;
  }

  std::string reencoded;
  std::size_t encodable = 0;
  for (char32_t cp : *decoded) {
    append_utf8(reencoded, cp);
    if (cp949_char_bytes(cp) > 0) ++encodable;
  }
  check(reencoded == text);
  check(decoded->size() == *count);
  check(length->bytes >= encodable && length->bytes <= 2 * encodable);

  std::size_t previous_end = 0;
  for (const UnencodableChar& u : length->unencodable) {
    check(u.byte_offset >= previous_end && u.byte_offset + u.text.size() <= text.size());
    check(text.substr(u.byte_offset, u.text.size()) == u.text);
    check(u.char_offset < decoded->size() && !cp949_encodable(u.code_point));
    previous_end = u.byte_offset + u.text.size();
  }

  auto replaced = cp949_replace_unencodable(text, "?");
  check(replaced.ok() && is_valid_utf8(*replaced));
  auto replaced_length = cp949_length(*replaced);
  check(replaced_length.ok() && replaced_length->unencodable.empty());
  auto twice = cp949_replace_unencodable(*replaced, "?");
  check(twice.ok() && *twice == *replaced);
  if (length->unencodable.empty()) {
    // Nothing to replace: only NFD Hangul composition may shorten it, and it never lengthens.
    check(replaced_length->bytes <= length->bytes);
  }

  if (size == 0) {
    check(!plan.ok() && plan.error().code == "text_empty");
  } else if (!length->unencodable.empty()) {
    check(!plan.ok() && plan.error().code == "text_unencodable");
  } else if (length->bytes > kLmsMaxBytes) {
    check(!plan.ok() && plan.error().code == "text_too_long");
  } else {
    check(plan.ok() && plan->body_bytes == length->bytes);
    check((plan->kind == SmsKind::sms) == (length->bytes <= kSmsMaxBytes));
  }
  check(size == 0 ? !alimtalk.ok() : (alimtalk.ok() == (*count <= kAlimtalkMaxChars)));
  return 0;
}
