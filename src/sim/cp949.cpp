#include "sim/cp949.hpp"

#include <iconv.h>

#include <cerrno>
#include <unordered_map>

namespace jarip::sim {
namespace {

// Decodes one code point; returns 0 bytes consumed on malformed input.
std::size_t decode(std::string_view s, std::size_t i, char32_t& cp) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return cp = c, 1;
  std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  char32_t v = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(i + k) & 0x3F);
  }
  if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) || (v >= 0xD800 && v <= 0xDFFF))
    return 0;
  cp = v;
  return n;
}

// Asks glibc's CP949 (UHC) converter whether one character is encodable; cached per code point.
bool encodable_slow(std::string_view one_char) {
  thread_local iconv_t cd = iconv_open("CP949", "UTF-8");
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  char in_buf[8];
  char out_buf[16];
  std::size_t in_left = one_char.size();
  for (std::size_t k = 0; k < in_left; ++k) in_buf[k] = one_char[k];
  char* in = in_buf;
  char* out = out_buf;
  std::size_t out_left = sizeof out_buf;
  iconv(cd, nullptr, nullptr, nullptr, nullptr);  // reset state
  std::size_t r = iconv(cd, &in, &in_left, &out, &out_left);
  return r != static_cast<std::size_t>(-1) && in_left == 0;
}

bool encodable(char32_t cp, std::string_view one_char) {
  if (cp >= 0xAC00 && cp <= 0xD7A3) return true;  // every modern Hangul syllable is in CP949
  thread_local std::unordered_map<char32_t, bool> cache;
  auto it = cache.find(cp);
  if (it != cache.end()) return it->second;
  bool ok = encodable_slow(one_char);
  if (cache.size() < 65536) cache.emplace(cp, ok);
  return ok;
}

}  // namespace

std::optional<std::size_t> cp949_length(std::string_view s) {
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp;
    std::size_t n = decode(s, i, cp);
    if (n == 0) return std::nullopt;
    if (cp < 0x80) {
      bytes += 1;
    } else if (encodable(cp, s.substr(i, n))) {
      bytes += 2;
    } else {
      return std::nullopt;
    }
    i += n;
  }
  return bytes;
}

std::optional<std::size_t> utf8_length(std::string_view s) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp;
    std::size_t n = decode(s, i, cp);
    if (n == 0) return std::nullopt;
    i += n;
    ++chars;
  }
  return chars;
}

}  // namespace jarip::sim
