// AlimTalk-style template variables: "#{name}" in a registered template, filled in per message.
//
// Syntax, as Kakao's template review tool shows it: "#{" then a name then "}". The name is one or
// more characters other than '#', '{', '}' and line breaks, taken exactly (no trimming: Kakao
// compares the rendered text with the registered template character by character, so "#{ 이름 }"
// and "#{이름}" are different variables). Anything else that starts with "#{" — no closing "}",
// an empty name, a line break first — is literal text. Values are inserted literally: a value that
// contains "#{…}" is never expanded again, so customer-supplied text cannot inject variables.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace jarip::text {

using TemplateVars = std::map<std::string, std::string, std::less<>>;

// Variable names in order of first appearance, each once: "#{a} #{b} #{a}" → {"a", "b"}.
std::vector<std::string> template_variables(std::string_view template_text);

// The template with every variable replaced by its value. Error{"template_variable_missing",
// message naming every missing variable, field "vars.<first missing name>"} when a value is absent.
// Values for names the template does not use are ignored here (see unknown_template_variables).
Result<std::string> render_template(std::string_view template_text, const TemplateVars& values);

// Names in `values` that the template does not use, sorted: a typo such as "vars.nmae" is caught
// before a message goes out with the real variable missing.
std::vector<std::string> unknown_template_variables(std::string_view template_text, const TemplateVars& values);

}  // namespace jarip::text
