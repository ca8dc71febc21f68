// Email, push and inbox forms: templates carry them per locale, compose renders them (variables
// HTML-escaped in the HTML part, "(광고)" on ad subjects and titles), a channel without its own form
// borrows the SMS text, and bad content is refused before anything is stored.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "notify/compose.hpp"
#include "notify/forms.hpp"
#include "notify/recipients.hpp"

namespace jarip::notify {
namespace {

namespace json = boost::json;

struct Fixture {
  DeliveryOptions options;
  std::map<std::string, ProviderRuntime> providers;
  std::map<std::string, Template> templates;

  Fixture() {
    options.channel_providers = {{"sms", {"nhn"}}, {"email", {"relay"}}, {"push", {"push"}}, {"inbox", {"inbox"}}};
    options.ads = {"자립상점", "080-123-4567"};
    auto add = [&](const char* name, std::vector<std::string> channels) {
      ProviderRuntime p;
      p.name = name;
      p.channels = std::move(channels);
      providers[name] = p;
    };
    add("nhn", {"sms"});
    add("relay", {"email"});
    add("push", {"push"});
    add("inbox", {"inbox"});
    auto t = parse_template("ship", R"({"kind":"info",
      "sms":{"text":"[상점] #{name}님 #{order} 발송"},
      "email":{"subject":"#{name}님, 주문 #{order} 발송","text":"#{name}님 주문이 발송되었습니다.",
               "html":"<p><b>#{name}</b>님 주문이 발송되었습니다.</p>"},
      "push":{"title":"발송 안내","body":"주문 #{order} 발송","url":"https://shop.example/o/#{order}"},
      "locales":{"en":{"email":{"subject":"Order #{order} shipped","text":"Hi #{name}, it shipped."}}}})");
    EXPECT_TRUE(t.ok()) << t.error().message;
    templates["ship"] = *t;
    auto sale = parse_template("sale", R"({"kind":"ad","sms":{"text":"봄 세일 #{pct}%"}})");
    EXPECT_TRUE(sale.ok()) << sale.error().message;
    templates["sale"] = *sale;
  }

  Result<store::MessageRecord> compose(const std::string& body) {
    ComposeContext ctx{options,
                       [this](const std::string& n) -> std::optional<Template> {
                         auto it = templates.find(n);
                         return it == templates.end() ? std::nullopt : std::optional<Template>(it->second);
                       },
                       [this](const std::string& n) -> const ProviderRuntime* {
                         auto it = providers.find(n);
                         return it == providers.end() ? nullptr : &it->second;
                       },
                       1'764'000'000'000, "key1"};
    return compose_message(json::parse(body), ctx);
  }
};

TEST(RichForms, TemplateFormsRenderPerChannelWithHtmlEscaped) {
  Fixture f;
  auto m = f.compose(R"({"recipient":{"phone":"010-1234-5678","email":"Hong@Example.KR"},"template":"ship",
    "vars":{"name":"<홍&길동>","order":"A-1"},"channels":["sms","email"]})");
  ASSERT_TRUE(m.ok()) << m.error().message;
  auto forms = parse_forms(m->rendered_json);
  ASSERT_TRUE(forms.has_email);
  EXPECT_EQ(forms.email_subject, "<홍&길동>님, 주문 A-1 발송");  // a subject is text, not HTML
  EXPECT_EQ(forms.email_html, "<p><b>&lt;홍&amp;길동&gt;</b>님 주문이 발송되었습니다.</p>");
  EXPECT_EQ(forms.email_text, "<홍&길동>님 주문이 발송되었습니다.");
  EXPECT_EQ(parse_recipient(m->recipient_json).email, "Hong@example.kr");
  EXPECT_EQ(m->chain_json, R"(["sms@nhn","email@relay"])");
}

TEST(RichForms, LocalePicksTheEmailForm) {
  Fixture f;
  auto m = f.compose(R"({"recipient":{"email":"a@example.com"},"template":"ship","locale":"en",
    "vars":{"name":"Kim","order":"7"},"channels":["email"]})");
  ASSERT_TRUE(m.ok()) << m.error().message;
  auto forms = parse_forms(m->rendered_json);
  EXPECT_EQ(forms.email_subject, "Order 7 shipped");
  EXPECT_EQ(forms.email_html, "");  // the English form has no HTML part
  EXPECT_EQ(forms.locale, "en");
}

TEST(RichForms, ChannelsWithoutTheirOwnFormBorrowTheSmsText) {
  Fixture f;
  auto m = f.compose(R"({"recipient":{"customer_id":"c-1"},"template":"sale","vars":{"pct":"30"},
    "channels":["sms","email","push","inbox"]})");
  ASSERT_TRUE(m.ok()) << m.error().message;
  auto forms = parse_forms(m->rendered_json);
  ASSERT_TRUE(forms.has_email && forms.has_push && forms.has_inbox);
  EXPECT_EQ(forms.email_text, "봄 세일 30%");
  EXPECT_EQ(forms.email_subject, "(광고) 자립상점");  // ads are marked at the start of the subject
  EXPECT_EQ(forms.push_title, "(광고) 자립상점");
  EXPECT_EQ(forms.inbox_title, "(광고) 자립상점");
  // The SMS form carries the ad format; the others carry the plain text plus their own marks.
  EXPECT_NE(forms.sms_text.find("080-123-4567"), std::string::npos);
}

TEST(RichForms, RawTextUsesTheSubjectAsTitle) {
  Fixture f;
  auto m = f.compose(R"({"recipient":{"customer_id":"c-1"},"text":"택배가 도착했습니다","subject":"도착 안내",
    "channels":["push","inbox"]})");
  ASSERT_TRUE(m.ok()) << m.error().message;
  auto forms = parse_forms(m->rendered_json);
  EXPECT_EQ(forms.push_title, "도착 안내");
  EXPECT_EQ(forms.push_body, "택배가 도착했습니다");
  EXPECT_EQ(forms.inbox_title, "도착 안내");
}

TEST(RichForms, RefusesBadContentBeforeStoring) {
  Fixture f;
  auto injected = f.compose(R"({"recipient":{"email":"a@example.com"},"template":"ship",
    "vars":{"name":"x\r\nBcc: victim@example.com","order":"1"},"channels":["email"]})");
  ASSERT_FALSE(injected.ok());
  EXPECT_EQ(injected.error().code, "header_injection");
  EXPECT_EQ(injected.error().field, "vars");

  std::string big(4000, 'a');
  auto too_big = f.compose(R"({"recipient":{"customer_id":"c-1"},"text":")" + big + R"(","channels":["push"]})");
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, "payload_too_large");

  auto bad_email = f.compose(R"({"recipient":{"email":"not an address"},"text":"x","channels":["email"]})");
  ASSERT_FALSE(bad_email.ok());
  EXPECT_EQ(bad_email.error().code, "invalid_email");
  EXPECT_EQ(bad_email.error().field, "recipient.email");
}

TEST(RichForms, AChainThatCannotReachTheRecipientIsRefused) {
  Fixture f;
  auto m = f.compose(R"({"recipient":{"email":"a@example.com"},"text":"hello","channels":["sms","push"]})");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, "no_channel_for_recipient");
  auto reaches = f.compose(R"({"recipient":{"email":"a@example.com"},"text":"hello","channels":["sms","email"]})");
  ASSERT_TRUE(reaches.ok()) << reaches.error().message;
  EXPECT_EQ(reaches->chain_json, R"(["email@relay"])");  // the SMS step has no phone to go to
}

TEST(RichForms, UnknownChannelNamesTheKnownOnes) {
  Fixture f;
  auto m = f.compose(R"({"recipient":{"phone":"01012345678"},"text":"x","channels":["fax"]})");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, "unknown_channel");
  EXPECT_NE(m.error().message.find("inbox"), std::string::npos);
}

TEST(RichForms, TemplateFormErrorsNameTheirField) {
  struct Case {
    const char* doc;
    const char* field;
  } cases[] = {
      {R"({"email":{"text":"x"}})", "email.subject"},
      {R"({"email":{"subject":"a\nb","text":"x"}})", "email.subject"},
      {R"J({"push":{"title":"t","body":"b","url":"javascript:alert(1)"}})J", "push.url"},
      {R"({"inbox":{"title":"t"}})", "inbox.text"},
      {R"({"sms":{"text":"x"},"locales":{"en":{"push":{"title":"t"}}}})", "locales.en.push.body"},
  };
  for (const auto& c : cases) {
    auto t = parse_template("t", c.doc);
    ASSERT_FALSE(t.ok()) << c.doc;
    EXPECT_EQ(t.error().field, c.field) << c.doc << ": " << t.error().message;
  }
  auto only_inbox = parse_template("t", R"({"inbox":{"text":"x"}})");
  EXPECT_TRUE(only_inbox.ok());
}

TEST(RecipientAddresses, UnreachableReasonPerChannel) {
  json::object r{{"customer_id", "c-1"}, {"email", "a@example.com"}};
  EXPECT_FALSE(unreachable_reason(r, "email"));
  EXPECT_FALSE(unreachable_reason(r, "inbox"));
  EXPECT_EQ(*unreachable_reason(r, "sms"), "no phone number");
  EXPECT_EQ(*unreachable_reason(r, "push"), "no web push subscription");
}

}  // namespace
}  // namespace jarip::notify
