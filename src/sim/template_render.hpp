// AlimTalk template rendering as the providers check it: every #{name} in the registered content is
// replaced by the given value; a placeholder without a value makes the message a template mismatch.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace jarip::sim {

struct Rendered {
  std::string text;
  std::vector<std::string> missing;  // placeholder names without a value, in order of appearance
};

// `variables` are keyed by bare name ("name", not "#{name}").
Rendered render_template(std::string_view content, const std::map<std::string, std::string>& variables);

// "#{name}" → "name"; "name" stays "name".
std::string bare_variable_name(std::string_view key);

}  // namespace jarip::sim
