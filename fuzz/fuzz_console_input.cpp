// libFuzzer target for what the operator console and the status page take from outside: the Cookie
// header (http::cookie_value), operator email addresses (console::normalize_email), and the
// automatic-notice wording operators write (status::parse_templates, down_wording).
// Input: the bytes up to the first NUL are the wording JSON; the rest is split at the next NUL into
// a Cookie header and an email address.
// Invariants (a violation aborts):
//  - nothing throws;
//  - parse_templates either fails with code invalid_request or returns templates that validate and
//    survive templates_json → parse_templates unchanged;
//  - a cookie value never contains ';' and is a suffix of the header;
//  - normalize_email either fails naming the field "email" or returns lower-case ASCII with one '@'.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "console/operators.hpp"
#include "http/message.hpp"
#include "status/status.hpp"
#include "fuzz_support.hpp"  // last: it defines check()

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t nul = input.find('\0');
  std::string_view wording = input.substr(0, nul);
  std::string_view rest = nul == std::string_view::npos ? std::string_view{} : input.substr(nul + 1);
  std::size_t nul2 = rest.find('\0');
  std::string_view cookie = rest.substr(0, nul2);
  std::string email(nul2 == std::string_view::npos ? std::string_view{} : rest.substr(nul2 + 1));

  auto templates = jarip::status::parse_templates(wording);
  if (!templates) {
    check(templates.error().code == "invalid_request");
  } else {
    check(jarip::status::validate_templates(*templates).ok());
    auto again = jarip::status::parse_templates(jarip::status::templates_json(*templates));
    check(again.ok());
    check(again->down_ko == templates->down_ko && again->down_en == templates->down_en &&
                     again->recovered_ko == templates->recovered_ko && again->recovered_en == templates->recovered_en);
    auto words = jarip::status::down_wording(*templates, "alimtalk", cookie.substr(0, 16));
    (void)words;
  }

  std::string value = jarip::http::cookie_value(cookie, "jarip_console");
  check(value.find(';') == std::string::npos);
  check(value.empty() || cookie.find(value) != std::string_view::npos);

  auto normalized = jarip::console::normalize_email(email);
  if (!normalized) {
    check(normalized.error().field == "email");
  } else {
    check(normalized->find('@') == normalized->rfind('@'));
    for (unsigned char c : *normalized) check(c > 0x20 && c < 0x7f && !(c >= 'A' && c <= 'Z'));
  }
  return 0;
}
