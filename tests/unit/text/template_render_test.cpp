#include "text/template_render.hpp"

#include <gtest/gtest.h>

#include "vector_file.hpp"

namespace jarip::text {
namespace {

using testing::read_vectors;
using testing::split_list;
using testing::words;

TEST(TextTemplateRender, Vectors) {
  for (const auto& row : read_vectors("template.tsv", 5)) {
    SCOPED_TRACE(row.where());
    const std::string& tpl = row.cells[0];
    TemplateVars vars;
    for (const std::string& pair : split_list(row.raw[1])) {
      const std::size_t eq = pair.find('=');
      ASSERT_NE(eq, std::string::npos) << "vars are name=value";
      vars[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
    EXPECT_EQ(template_variables(tpl), split_list(row.raw[2]));
    EXPECT_EQ(unknown_template_variables(tpl, vars), split_list(row.raw[3]));

    const auto expected = words(row.cells[4], 2);
    auto rendered = render_template(tpl, vars);
    if (expected[0] == "error") {
      ASSERT_FALSE(rendered.ok());
      EXPECT_EQ(rendered.error().code, expected[1]);
      EXPECT_EQ(rendered.error().field, expected[2]);
    } else {
      ASSERT_TRUE(rendered.ok()) << rendered.error().message;
      EXPECT_EQ(*rendered, row.cells[4].substr(3));
    }
  }
}

TEST(TextTemplateRender, MissingMessageNamesEveryMissingVariable) {
  auto rendered = render_template("#{a} #{b} #{a} #{c}", {{"b", "2"}});
  ASSERT_FALSE(rendered.ok());
  EXPECT_EQ(rendered.error().message, "no value for template variables #{a}, #{c}");
  EXPECT_EQ(rendered.error().field, "vars.a");
}

// Every template over a small alphabet, up to 7 characters: giving each variable its own spelling
// "#{name}" as value reproduces the template exactly, so extraction, rendering and the literal
// handling of malformed "#{" agree with each other, and a value is never expanded twice.
TEST(TextTemplateRender, RenderingVariablesAsThemselvesIsIdentity) {
  const std::string alphabet = "#{}a\n";
  std::string tpl;
  std::size_t checked = 0;
  auto visit = [&](auto& self, std::size_t depth) -> void {
    TemplateVars vars;
    for (const std::string& name : template_variables(tpl)) vars[name] = "#{" + name + "}";
    auto rendered = render_template(tpl, vars);
    ASSERT_TRUE(rendered.ok()) << tpl;
    ASSERT_EQ(*rendered, tpl);
    ASSERT_TRUE(unknown_template_variables(tpl, vars).empty());
    ++checked;
    if (depth == 7) return;
    for (char c : alphabet) {
      tpl.push_back(c);
      self(self, depth + 1);
      tpl.pop_back();
    }
  };
  visit(visit, 0);
  EXPECT_GT(checked, 19'000u);
}

}  // namespace
}  // namespace jarip::text
