// The generated CP949 tables, made by tools/gen_cp949_table.py: encodability (cp949_table.cpp) and
// decoding (cp949_decode_table.cpp). Internal to src/text: use cp949.hpp instead.
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

// A CP949 two-byte sequence is a lead byte 0x81–0xFE and a trail byte 0x41–0xFE (only 0x41–0x5A,
// 0x61–0x7A and 0x81–0xFE are ever mapped). kCp949Decode[(lead - 0x81) * 190 + (trail - 0x41)]
// is its code point, 0 when CP949 maps nothing there. Complete: all 17,048 non-ASCII characters,
// the 11,172 Hangul syllables (8,822 of them in Microsoft's extension area) included.
inline constexpr unsigned kCp949LeadFirst = 0x81, kCp949LeadLast = 0xFE;
inline constexpr unsigned kCp949TrailFirst = 0x41, kCp949TrailLast = 0xFE;
inline constexpr unsigned kCp949TrailCount = kCp949TrailLast - kCp949TrailFirst + 1;  // 190
extern const std::uint16_t kCp949Decode[(kCp949LeadLast - kCp949LeadFirst + 1) * kCp949TrailCount];

}  // namespace jarip::text::detail
