// Hangul facts the other text rules rely on (Unicode §3.12, "Conjoining Jamo Behavior").
#pragma once

#include <string>
#include <string_view>

namespace jarip::text {

// U+AC00–U+D7A3: the 11,172 precomposed modern syllables. CP949 encodes all of them (2 bytes each),
// including the 8,822 that KS X 1001 lacks, such as 똠, 햏 and 뷁.
constexpr bool is_hangul_syllable(char32_t cp) { return cp >= 0xAC00 && cp <= 0xD7A3; }

// Composes conjoining jamo sequences (leading U+1100–U+1112, vowel U+1161–U+1175, optional
// trailing U+11A8–U+11C2) into precomposed syllables, and a precomposed LV syllable followed by a
// trailing jamo into an LVT syllable. Text from macOS file names or some IMEs arrives this way
// (NFD): it looks identical but CP949 cannot encode the jamo, while it can encode the syllable.
// Everything else is copied unchanged. This is the Hangul part of Unicode NFC only.
std::u32string compose_hangul_jamo(std::u32string_view code_points);

}  // namespace jarip::text
