// The generated CP949 encodability table (cp949_table.cpp, made by tools/gen_cp949_table.py).
// Internal to src/text: use cp949_encodable() from cp949.hpp instead.
#pragma once

#include <cstddef>
#include <cstdint>

namespace jarip::text::detail {

// kCp949PageIndex[cp >> 8] is the row of kCp949PageBits for the BMP page holding cp (0 = none);
// bit (cp & 0xFF) of that row's 256 bits is set when CP949 encodes cp. Hangul syllables
// U+AC00–U+D7A3 and ASCII are not in the table.
extern const std::uint8_t kCp949PageIndex[256];
extern const std::uint64_t kCp949PageBits[][4];
extern const std::size_t kCp949PageCount;

}  // namespace jarip::text::detail
