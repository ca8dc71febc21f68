// An independent reading of the template syntax of text/template_render.hpp, for the fuzz targets to
// compare the real renderer with: "#{" + name + "}", the name being one or more bytes other than '#',
// '{', '}', '\n', '\r'; anything else, including a "#{" that does not close that way, is literal.
// Written differently on purpose (find-based, not a character state machine) and single-pass by
// construction: a value is appended and never looked at again.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace jarip::fuzz {

struct RefPiece {
  std::string text;  // literal text, or the variable's name
  bool variable;
};

inline std::vector<RefPiece> reference_scan(std::string_view t) {
  std::vector<RefPiece> pieces;
  std::string literal;
  std::size_t i = 0;
  while (i < t.size()) {
    const std::size_t open = t.find("#{", i);
    if (open == std::string_view::npos) {
      literal.append(t.substr(i));
      break;
    }
    literal.append(t.substr(i, open - i));
    const std::size_t stop = t.find_first_of(std::string_view("#{}\n\r", 5), open + 2);
    if (stop != std::string_view::npos && t[stop] == '}' && stop > open + 2) {
      if (!literal.empty()) pieces.push_back({std::move(literal), false});
      literal.clear();
      pieces.push_back({std::string(t.substr(open + 2, stop - open - 2)), true});
      i = stop + 1;
    } else {
      literal.push_back('#');
      i = open + 1;
    }
  }
  if (!literal.empty()) pieces.push_back({std::move(literal), false});
  return pieces;
}

inline std::vector<std::string> reference_variables(std::string_view t) {
  std::vector<std::string> names;
  for (auto& p : reference_scan(t)) {
    if (p.variable && std::find(names.begin(), names.end(), p.text) == names.end()) names.push_back(p.text);
  }
  return names;
}

// REQUIRES: every variable of t has a value in `values` (a map with find()).
template <class Map>
std::string reference_render(std::string_view t, const Map& values) {
  std::string out;
  for (auto& p : reference_scan(t)) out += p.variable ? values.find(p.text)->second : p.text;
  return out;
}

}  // namespace jarip::fuzz
