#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "notify/templates.hpp"

namespace jarip::notify {
namespace {

TEST(TemplateLocales, OtherLocalesOverrideChannelByChannel) {
  auto t = parse_template("arrived", R"({"kind":"info",
    "alimtalk":{"text":"#{name}님 도착","codes":{"solapi":"KA01"}},
    "sms":{"text":"#{name}님, 도착했습니다."},
    "locales":{"en":{"sms":{"text":"Hi #{name}, it arrived.","subject":"Arrived"}}}})");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->default_locale, "ko");
  auto en = t->forms_for("en");
  ASSERT_TRUE(en.sms && en.alimtalk);
  EXPECT_EQ(en.sms->text, "Hi #{name}, it arrived.");
  EXPECT_EQ(en.alimtalk->text, "#{name}님 도착");  // no English AlimTalk registered: the default's
  EXPECT_EQ(t->forms_for("ko").sms->text, "#{name}님, 도착했습니다.");
  EXPECT_EQ(t->forms_for("fr").sms->text, "#{name}님, 도착했습니다.");
  auto back = parse_template("arrived", boost::json::serialize(template_to_json(*t)));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->forms_for("en").sms->subject, "Arrived");
}

TEST(TemplateLocales, ErrorsNameTheLocalesField) {
  struct Case {
    const char* doc;
    const char* field;
  } cases[] = {
      {R"({"sms":{"text":"x"},"locales":{"fr":{"sms":{"text":"y"}}}})", "locales.fr"},
      {R"({"sms":{"text":"x"},"locales":{"ko":{"sms":{"text":"y"}}}})", "locales.ko"},
      {R"({"sms":{"text":"x"},"locales":{"en":{}}})", "locales.en"},
      {R"({"sms":{"text":"x"},"locales":{"en":{"sms":{}}}})", "locales.en.sms.text"},
      {R"({"sms":{"text":"x"},"locales":{"en":{"fax":{}}}})", "locales.en.fax"},
      {R"({"kind":"ad","sms":{"text":"x"},"locales":{"en":{"alimtalk":{"text":"y","codes":{"nhn":"c"}}}}})",
       "locales.en.alimtalk"},
      {R"({"sms":{"text":"x"},"default_locale":"jp"})", "default_locale"},
  };
  for (const auto& c : cases) {
    auto t = parse_template("t", c.doc);
    ASSERT_FALSE(t.ok()) << c.doc;
    EXPECT_EQ(t.error().field, c.field) << c.doc << ": " << t.error().message;
  }
}

}  // namespace
}  // namespace jarip::notify
