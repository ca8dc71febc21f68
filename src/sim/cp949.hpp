// Byte length of text as Korean carriers count it: CP949 (ASCII 1 byte, every other encodable
// character 2 bytes, including the non-KS X 1001 syllables such as 똠 and 햏). Text with a character
// CP949 cannot encode (emoji, most non-Korean scripts) has no length: providers reject it.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace jarip::sim {

// nullopt when `utf8` is not valid UTF-8 or holds a character CP949 cannot encode.
std::optional<std::size_t> cp949_length(std::string_view utf8);

// Number of Unicode characters, or nullopt for invalid UTF-8.
std::optional<std::size_t> utf8_length(std::string_view utf8);

}  // namespace jarip::sim
