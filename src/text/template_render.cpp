#include "text/template_render.hpp"

#include <algorithm>

namespace jarip::text {
namespace {

bool is_name_char(char c) { return c != '#' && c != '{' && c != '}' && c != '\n' && c != '\r'; }

// A template split into literal text and variables; every function below walks it the same way,
// so extraction and rendering can never disagree about what is a variable.
struct Piece {
  std::string_view text;  // literal text, or the variable's name
  bool is_variable;
};

template <class Visit>
void scan(std::string_view tpl, Visit visit) {
  std::size_t literal_start = 0;
  std::size_t i = 0;
  while (i + 1 < tpl.size()) {
    if (tpl[i] != '#' || tpl[i + 1] != '{') {
      ++i;
      continue;
    }
    std::size_t end = i + 2;
    while (end < tpl.size() && is_name_char(tpl[end])) ++end;
    if (end < tpl.size() && tpl[end] == '}' && end > i + 2) {
      if (i > literal_start) visit(Piece{tpl.substr(literal_start, i - literal_start), false});
      visit(Piece{tpl.substr(i + 2, end - i - 2), true});
      i = end + 1;
      literal_start = i;
    } else {
      ++i;  // not a variable: "#" stays literal and scanning resumes at the next character
    }
  }
  if (literal_start < tpl.size()) visit(Piece{tpl.substr(literal_start), false});
}

}  // namespace

std::vector<std::string> template_variables(std::string_view tpl) {
  std::vector<std::string> names;
  scan(tpl, [&](const Piece& piece) {
    if (piece.is_variable && std::find(names.begin(), names.end(), piece.text) == names.end()) {
      names.emplace_back(piece.text);
    }
  });
  return names;
}

Result<std::string> render_template(std::string_view tpl, const TemplateVars& values) {
  std::string out;
  out.reserve(tpl.size());
  std::vector<std::string_view> missing;
  scan(tpl, [&](const Piece& piece) {
    if (!piece.is_variable) {
      out.append(piece.text);
    } else if (auto it = values.find(piece.text); it != values.end()) {
      out.append(it->second);
    } else if (std::find(missing.begin(), missing.end(), piece.text) == missing.end()) {
      missing.push_back(piece.text);
    }
  });
  if (!missing.empty()) {
    std::string message = "no value for template variable";
    message += missing.size() > 1 ? "s " : " ";
    for (std::size_t i = 0; i < missing.size(); ++i) {
      message += (i > 0 ? ", #{" : "#{") + std::string(missing[i]) + "}";
    }
    return make_error("template_variable_missing", message, "vars." + std::string(missing.front()));
  }
  return out;
}

std::vector<std::string> unknown_template_variables(std::string_view tpl, const TemplateVars& values) {
  const std::vector<std::string> used = template_variables(tpl);
  std::vector<std::string> unknown;
  for (const auto& [name, value] : values) {  // std::map iterates sorted
    if (std::find(used.begin(), used.end(), name) == used.end()) unknown.push_back(name);
  }
  return unknown;
}

}  // namespace jarip::text
