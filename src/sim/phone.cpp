#include "sim/phone.hpp"

namespace jarip::sim {

std::optional<std::string> normalize_kr_number(std::string_view raw) {
  std::string d;
  d.reserve(raw.size());
  for (char c : raw) {
    if (c == '-') continue;
    if (c < '0' || c > '9') return std::nullopt;
    d.push_back(c);
  }
  if (d.size() == 8 && (d.rfind("15", 0) == 0 || d.rfind("16", 0) == 0 || d.rfind("18", 0) == 0)) return d;
  if (d.size() < 9 || d.size() > 11 || d[0] != '0') return std::nullopt;
  if (d[1] == '1' && (d.size() < 10)) return std::nullopt;  // mobile numbers have 10–11 digits
  return d;
}

}  // namespace jarip::sim
