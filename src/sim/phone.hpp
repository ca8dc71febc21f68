// Korean phone numbers as the providers accept them: digits only (hyphens removed first).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jarip::sim {

// Removes '-' and checks the shape: mobile 01X + 7–8 digits, area/landline 0X… 9–11 digits, or
// an 8-digit representative number 15xx/16xx/18xx. nullopt when not a valid domestic number.
std::optional<std::string> normalize_kr_number(std::string_view raw);

}  // namespace jarip::sim
