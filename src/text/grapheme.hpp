// User-perceived characters, approximately (a subset of Unicode UAX #29 extended grapheme clusters).
//
// Why: an emoji such as 👍🏽 (U+1F44D U+1F3FD) or 👨‍👩‍👧 (three people joined by U+200D) is several
// code points but one thing on screen. When CP949 cannot encode it, the merchant should be told
// about "👍🏽" once, and the "replace" policy should put one "?" in its place, not two or five.
// The subset: a base code point, then any combining marks, variation selectors, emoji skin-tone
// modifiers, tag characters and Hangul medial/final jamo, and "ZWJ + next code point" repeatedly;
// a pair of regional indicators (a flag) is one cluster. That covers emoji and combining text
// without shipping the Unicode property tables.
#pragma once

#include <cstddef>
#include <string_view>

namespace jarip::text {

// Number of code points in the cluster that starts at `start`; at least 1.
// REQUIRES: start < code_points.size().
std::size_t cluster_length(std::u32string_view code_points, std::size_t start);

// True for U+FE00–U+FE0F and U+E0100–U+E01EF: they only choose a glyph's presentation
// (U+FE0F asks for emoji style), so dropping them loses no text.
bool is_variation_selector(char32_t code_point);

}  // namespace jarip::text
