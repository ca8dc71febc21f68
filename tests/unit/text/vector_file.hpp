// Test vectors as data, as DuckDB keeps its tests: tests/unit/text/vectors/<name>.tsv, one case per
// line, cells separated by a tab. Add a line to add a case; no C++ changes needed.
//
// Lines that are empty or start with '#' are skipped. Escapes inside a cell:
//   \t \n \r \\          tab, line feed, carriage return, backslash
//   \e                   nothing (an explicitly empty cell)
//   \xHH                 one raw byte (for invalid UTF-8)
//   \u{HHHH}             a code point as UTF-8 (for invisible ones: ZWJ, variation selectors)
//   \R{N:text}           text (itself unescaped; write '}' in it as \}) repeated N times
//   \<other>             that character, e.g. \| inside a '|'-separated list, \# at line start
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "text/utf8.hpp"

#ifndef JARIP_SOURCE_DIR
#error "JARIP_SOURCE_DIR must name the source tree (CMake defines it for jarip_unit)"
#endif

namespace jarip::text::testing {

struct VectorRow {
  std::string file;
  int line = 0;
  std::vector<std::string> raw;  // cells before unescaping (for split_list)
  std::vector<std::string> cells;
  std::string where() const { return file + ":" + std::to_string(line); }
};

inline std::string unescape(std::string_view cell) {
  std::string out;
  for (std::size_t i = 0; i < cell.size(); ++i) {
    if (cell[i] != '\\' || i + 1 == cell.size()) {
      out.push_back(cell[i]);
      continue;
    }
    const char c = cell[++i];
    switch (c) {
      case 't': out.push_back('\t'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 'e': break;
      case 'x':
        out.push_back(static_cast<char>(std::stoi(std::string(cell.substr(i + 1, 2)), nullptr, 16)));
        i += 2;
        break;
      case 'u': {
        const std::size_t close = cell.find('}', i);
        append_utf8(out, static_cast<char32_t>(std::stoul(std::string(cell.substr(i + 2, close - i - 2)), nullptr, 16)));
        i = close;
        break;
      }
      case 'R': {
        const std::size_t colon = cell.find(':', i);
        std::size_t close = colon + 1;
        while (close < cell.size() && cell[close] != '}') close += cell[close] == '\\' ? 2 : 1;
        const int count = std::stoi(std::string(cell.substr(i + 2, colon - i - 2)));
        const std::string piece = unescape(cell.substr(colon + 1, close - colon - 1));
        for (int n = 0; n < count; ++n) out += piece;
        i = close;
        break;
      }
      default: out.push_back(c);
    }
  }
  return out;
}

// Splits a raw cell on unescaped `separator`, then unescapes each part. "\e" is the empty list.
inline std::vector<std::string> split_list(std::string_view raw, char separator = '|') {
  std::vector<std::string> parts;
  if (raw == "\\e" || raw.empty()) return parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= raw.size(); ++i) {
    if (i < raw.size() && raw[i] == '\\') {
      ++i;
      continue;
    }
    if (i == raw.size() || raw[i] == separator) {
      parts.push_back(unescape(raw.substr(start, i - start)));
      start = i + 1;
    }
  }
  return parts;
}

// Every case of vectors/<name>; each must have exactly `columns` cells (checked, with file:line).
inline std::vector<VectorRow> read_vectors(const std::string& name, std::size_t columns) {
  const std::string path = std::string(JARIP_SOURCE_DIR) + "/tests/unit/text/vectors/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::vector<VectorRow> rows;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    VectorRow row{name, number, {}, {}};
    std::size_t start = 0;
    for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
      row.raw.push_back(line.substr(start, tab - start));
    }
    row.raw.push_back(line.substr(start));
    for (const auto& cell : row.raw) row.cells.push_back(unescape(cell));
    EXPECT_EQ(row.cells.size(), columns) << row.where() << ": wrong number of cells";
    if (row.cells.size() == columns) rows.push_back(std::move(row));
  }
  EXPECT_FALSE(rows.empty()) << path << " has no cases";
  return rows;
}

// "ok 12 rest…" → {"ok", "12", "rest…"}: splits off the first `count` space-separated words.
inline std::vector<std::string> words(const std::string& cell, std::size_t count) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (out.size() < count) {
    const std::size_t space = cell.find(' ', start);
    if (space == std::string::npos) break;
    out.push_back(cell.substr(start, space - start));
    start = space + 1;
  }
  out.push_back(cell.substr(start));
  return out;
}

}  // namespace jarip::text::testing
