#include "text/grapheme.hpp"

namespace jarip::text {
namespace {

constexpr char32_t kZeroWidthJoiner = 0x200D;

bool in(char32_t cp, char32_t first, char32_t last) { return cp >= first && cp <= last; }

bool is_regional_indicator(char32_t cp) { return in(cp, 0x1F1E6, 0x1F1FF); }

// Code points that attach to the one before them.
bool is_extender(char32_t cp) {
  return in(cp, 0x0300, 0x036F)       // combining diacritical marks
         || in(cp, 0x1AB0, 0x1AFF)    // combining diacritical marks extended
         || in(cp, 0x1DC0, 0x1DFF)    // combining diacritical marks supplement
         || in(cp, 0x20D0, 0x20FF)    // combining marks for symbols, incl. the keycap U+20E3
         || in(cp, 0xFE20, 0xFE2F)    // combining half marks
         || is_variation_selector(cp)  //
         || in(cp, 0x1F3FB, 0x1F3FF)  // emoji skin-tone modifiers
         || in(cp, 0xE0020, 0xE007F)  // tag characters (subdivision flags such as 🏴 England)
         || in(cp, 0x1160, 0x11FF)    // Hangul conjoining medial and final jamo (NFD Hangul)
         || in(cp, 0xD7B0, 0xD7FF);   // Hangul jamo extended-B
}

}  // namespace

bool is_variation_selector(char32_t cp) { return in(cp, 0xFE00, 0xFE0F) || in(cp, 0xE0100, 0xE01EF); }

std::size_t cluster_length(std::u32string_view cps, std::size_t start) {
  std::size_t end = start + 1;
  if (is_regional_indicator(cps[start]) && end < cps.size() && is_regional_indicator(cps[end])) {
    ++end;  // a flag is exactly two regional indicators
  }
  while (end < cps.size()) {
    if (is_extender(cps[end])) {
      ++end;
    } else if (cps[end] == kZeroWidthJoiner) {
      ++end;
      if (end < cps.size()) ++end;  // ZWJ glues the next code point onto this cluster
    } else {
      break;
    }
  }
  return end - start;
}

}  // namespace jarip::text
