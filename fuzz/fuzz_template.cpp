// libFuzzer target for templates: notify::parse_template (PUT /v1/templates/{name} and templates.dir
// files) and text::render_template / template_variables / unknown_template_variables (every message).
// Build: cmake -DJARIP_FUZZ=ON with clang (scripts/fuzz.sh).
// Input: the template document (JSON). If it contains a NUL byte, the bytes before the first NUL are
// the template's name and the rest the document; otherwise the name is "order_shipped".
// The same bytes are also used as raw template text for the renderer.
// Invariants checked (a violation aborts, so the fuzzer reports it like a crash):
//  - an accepted template is well-formed: a valid name, kind info|ad, at least one form, no AlimTalk
//    form on an ad, every AlimTalk code non-empty, at most 5 buttons;
//  - template_to_json() round-trips: its output (less the derived "variables" list) parses back to the
//    same template, and "variables" is template_variables() of the AlimTalk text;
//  - rendering follows the documented syntax exactly (checked against an independent renderer) and
//    never re-expands a value: values that themselves contain "#{other}" come out literally;
//  - rendering every variable as its own placeholder gives the template text back unchanged;
//  - a missing value is reported as template_variable_missing on "vars.<first missing name>";
//  - unknown_template_variables() is exactly the sorted value names the template does not use.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "notify/templates.hpp"
#include "text/template_render.hpp"
#include "template_reference.hpp"
#include "fuzz_support.hpp"

namespace {

namespace json = boost::json;
using jarip::text::TemplateVars;
using jarip::fuzz::reference_render;
using jarip::fuzz::reference_variables;

// Values that would do damage if rendering re-scanned its output.
std::string hostile_value(const std::vector<std::string>& names, std::size_t i, unsigned salt) {
  const std::string& other = names[(i + 1 + salt) % names.size()];
  switch ((i + salt) % 7) {
    case 0: return "#{" + other + "}";
    case 1: return "홍길동 #{" + other + "}#{" + names[i] + "}";
    case 2: return "";
    case 3: return "#{";
    case 4: return "}#{}#";
    case 5: return "#" + std::string("{") + other;  // completes a placeholder only if re-scanned with what follows
    default: return "주문번호 2026-1125-" + std::to_string(i);
  }
}

void check_render(std::string_view text, unsigned salt) {
  const std::vector<std::string> names = jarip::text::template_variables(text);
  check(names == reference_variables(text));
  for (auto& n : names) {
    check(!n.empty() && n.find_first_of(std::string_view("#{}\n\r", 5)) == std::string::npos);
  }

  // Identity: every variable rendered as its own placeholder gives the text back.
  TemplateVars identity;
  for (auto& n : names) identity[n] = "#{" + n + "}";
  auto same = jarip::text::render_template(text, identity);
  check(same.ok() && *same == text);

  // Hostile values come out literally, exactly where the independent renderer puts them.
  TemplateVars values;
  for (std::size_t i = 0; i < names.size(); ++i) values[names[i]] = hostile_value(names, i, salt);
  auto rendered = jarip::text::render_template(text, values);
  check(rendered.ok() && *rendered == reference_render(text, values));

  // Unknown names are reported, sorted; known ones never are.
  TemplateVars extra = values;
  extra.emplace("__no_such_variable", "x");  // unless the template uses these names
  extra.emplace("nmae", "typo");
  std::vector<std::string> expected_unknown;
  for (auto& [name, value] : extra) {
    if (std::find(names.begin(), names.end(), name) == names.end()) expected_unknown.push_back(name);
  }
  check(jarip::text::unknown_template_variables(text, extra) == expected_unknown);
  auto with_extra = jarip::text::render_template(text, extra);
  check(with_extra.ok() && *with_extra == *rendered);

  // A missing value: the first variable in order of appearance is named.
  if (!names.empty()) {
    TemplateVars fewer = values;
    fewer.erase(names[salt % names.size()]);
    auto missing = jarip::text::render_template(text, fewer);
    check(!missing.ok() && missing.error().code == "template_variable_missing");
    check(missing.error().field == "vars." + names[salt % names.size()]);
    TemplateVars none;
    auto all_missing = jarip::text::render_template(text, none);
    check(!all_missing.ok() && all_missing.error().field == "vars." + names.front());
  } else {
    auto plain = jarip::text::render_template(text, {});
    check(plain.ok() && *plain == text);
  }
}

bool same_buttons(const std::vector<jarip::channels::AlimtalkButton>& a, const std::vector<jarip::channels::AlimtalkButton>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].type != b[i].type || a[i].name != b[i].name || a[i].link_mobile != b[i].link_mobile ||
        a[i].link_pc != b[i].link_pc || a[i].scheme_ios != b[i].scheme_ios || a[i].scheme_android != b[i].scheme_android) {
      return false;
    }
  }
  return true;
}

bool same_template(const jarip::notify::Template& a, const jarip::notify::Template& b) {
  if (a.name != b.name || a.kind != b.kind || a.chain != b.chain || a.allow_costlier_fallback != b.allow_costlier_fallback) {
    return false;
  }
  if (a.alimtalk.has_value() != b.alimtalk.has_value() || a.sms.has_value() != b.sms.has_value()) return false;
  if (a.alimtalk && (a.alimtalk->text != b.alimtalk->text || a.alimtalk->codes != b.alimtalk->codes ||
                     !same_buttons(a.alimtalk->buttons, b.alimtalk->buttons))) {
    return false;
  }
  return !a.sms || (a.sms->text == b.sms->text && a.sms->subject == b.sms->subject);
}

void check_template(const std::string& name, const std::string& document, unsigned salt) {
  auto parsed = jarip::notify::parse_template(name, document);
  if (!parsed) {
    check(!parsed.error().code.empty() && !parsed.error().message.empty());
    return;
  }
  const jarip::notify::Template& t = *parsed;
  check(jarip::notify::valid_template_name(name) && t.name == name);
  check(t.kind == "info" || t.kind == "ad");
  check(t.alimtalk || t.sms);
  if (t.alimtalk) {
    check(t.kind == "info");
    check(!t.alimtalk->text.empty() && !t.alimtalk->codes.empty() && t.alimtalk->buttons.size() <= 5);
    for (auto& [provider, code] : t.alimtalk->codes) check(!code.empty());
    check_render(t.alimtalk->text, salt);
  }
  if (t.sms) {
    check(!t.sms->text.empty());
    check_render(t.sms->text, salt);
    check_render(t.sms->subject, salt);
  }

  json::object shown = jarip::notify::template_to_json(t);
  if (t.alimtalk) {
    json::array expected;
    for (auto& v : jarip::text::template_variables(t.alimtalk->text)) expected.emplace_back(v);
    json::object& a = shown.at("alimtalk").as_object();
    check(a.at("variables") == json::value(expected));
    a.erase("variables");  // derived, not part of the document
  }
  auto again = jarip::notify::parse_template(name, json::serialize(shown));
  check(again.ok() && same_template(t, *again));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string name = "order_shipped";
  std::string document = input;
  if (auto nul = input.find('\0'); nul != std::string::npos) {
    name = input.substr(0, nul);
    document = input.substr(nul + 1);
  }
  const unsigned salt = static_cast<unsigned>(size);
  check_template(name, document, salt);
  check_render(input, salt);
  return 0;
}
