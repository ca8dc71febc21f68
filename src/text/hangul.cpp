#include "text/hangul.hpp"

namespace jarip::text {
namespace {

// The arithmetic of Unicode §3.12: syllable = 0xAC00 + (L·21 + V)·28 + T.
constexpr char32_t kSyllableBase = 0xAC00, kLeadBase = 0x1100, kVowelBase = 0x1161, kTrailBase = 0x11A7;
constexpr char32_t kLeadCount = 19, kVowelCount = 21, kTrailCount = 28;

bool is_lead(char32_t cp) { return cp >= kLeadBase && cp < kLeadBase + kLeadCount; }
bool is_vowel(char32_t cp) { return cp >= kVowelBase && cp < kVowelBase + kVowelCount; }
// T index 0 means "no trailing consonant", so real trailing jamo are 1..27.
bool is_trail(char32_t cp) { return cp > kTrailBase && cp < kTrailBase + kTrailCount; }

}  // namespace

std::u32string compose_hangul_jamo(std::u32string_view cps) {
  std::u32string out;
  out.reserve(cps.size());
  for (std::size_t i = 0; i < cps.size(); ++i) {
    const char32_t cp = cps[i];
    if (is_lead(cp) && i + 1 < cps.size() && is_vowel(cps[i + 1])) {
      char32_t syllable =
          kSyllableBase + ((cp - kLeadBase) * kVowelCount + (cps[i + 1] - kVowelBase)) * kTrailCount;
      ++i;
      if (i + 1 < cps.size() && is_trail(cps[i + 1])) syllable += cps[++i] - kTrailBase;
      out.push_back(syllable);
    } else if (is_hangul_syllable(cp) && (cp - kSyllableBase) % kTrailCount == 0 && i + 1 < cps.size() &&
               is_trail(cps[i + 1])) {
      out.push_back(cp + (cps[++i] - kTrailBase));
    } else {
      out.push_back(cp);
    }
  }
  return out;
}

}  // namespace jarip::text
