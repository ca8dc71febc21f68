#include "sim/template_render.hpp"

namespace jarip::sim {

Rendered render_template(std::string_view content, const std::map<std::string, std::string>& variables) {
  Rendered r;
  r.text.reserve(content.size() + 32);
  std::size_t i = 0;
  while (i < content.size()) {
    auto open = content.find("#{", i);
    if (open == std::string_view::npos) {
      r.text.append(content.substr(i));
      break;
    }
    auto close = content.find('}', open + 2);
    if (close == std::string_view::npos) {
      r.text.append(content.substr(i));
      break;
    }
    r.text.append(content.substr(i, open - i));
    std::string name(content.substr(open + 2, close - open - 2));
    auto it = variables.find(name);
    if (it == variables.end()) {
      r.missing.push_back(name);
      r.text.append(content.substr(open, close - open + 1));
    } else {
      r.text.append(it->second);
    }
    i = close + 1;
  }
  return r;
}

std::string bare_variable_name(std::string_view key) {
  if (key.size() >= 3 && key.substr(0, 2) == "#{" && key.back() == '}') return std::string(key.substr(2, key.size() - 3));
  return std::string(key);
}

}  // namespace jarip::sim
