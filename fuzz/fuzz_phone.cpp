// libFuzzer target for src/text/phone: any bytes as a phone number (recipient, sender, log mask).
// Build: cmake -DJARIP_FUZZ=ON with clang, or
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc src/text/*.cpp fuzz/fuzz_phone.cpp
// Invariants checked (a violation aborts, so the fuzzer reports it like a crash):
//  - a normalised number is digits only, its E.164 is "+82" + the domestic digits without the
//    trunk 0, and its domestic, E.164 and hyphenated forms all normalise back to it;
//  - every accepted recipient number is an accepted sender number with the same digits;
//  - mask_phone() copies nothing but '*', '-' and digits, at most the last 4 digits of the input
//    (plus the prefix of a valid number), and those are the input's own last digits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "text/phone.hpp"

namespace {

using namespace jarip::text;

void check(bool condition) {
  if (!condition) std::abort();
}

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

std::string digits_of(std::string_view s) {
  std::string d;
  for (char c : s) {
    if (c >= '0' && c <= '9') d.push_back(c);
  }
  return d;
}

void check_number(const PhoneNumber& n, bool sender) {
  check(all_digits(n.domestic));
  check(n.e164 == "+82" + (n.domestic.front() == '0' ? n.domestic.substr(1) : n.domestic));
  auto normalize = sender ? normalize_sender : normalize_mobile;
  for (const std::string& spelling : {n.domestic, n.e164, format_phone(n)}) {
    auto again = normalize(spelling, {});
    check(again.ok());
    check(again->domestic == n.domestic && again->e164 == n.e164 && again->kind == n.kind);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  auto mobile = normalize_mobile(input, "to");
  auto sender = normalize_sender(input, "from");
  if (mobile) {
    check(mobile->kind == PhoneKind::mobile);
    check_number(*mobile, false);
    check(sender.ok() && sender->domestic == mobile->domestic);
  } else {
    check(mobile.error().code == "invalid_phone" && mobile.error().field == "to");
    check(!mobile.error().message.empty());
  }
  if (sender) {
    check_number(*sender, true);
  } else {
    check(sender.error().code == "invalid_phone" && sender.error().field == "from");
  }

  const std::string masked = mask_phone(input);
  for (char c : masked) check(c == '*' || c == '-' || (c >= '0' && c <= '9'));
  const std::string shown = digits_of(masked);
  const std::string all = digits_of(input);
  if (sender) {
    // prefix (at most 4 digits) + last 4 digits, never the middle
    check(shown.size() <= 8 && shown.size() < sender->domestic.size());
    check(sender->domestic.size() >= 4 && masked.size() >= 4 &&
          masked.substr(masked.size() - 4) == sender->domestic.substr(sender->domestic.size() - 4));
  } else {
    check(shown.size() <= 4);
    check(all.size() >= shown.size() && all.compare(all.size() - shown.size(), shown.size(), shown) == 0);
  }
  return 0;
}
