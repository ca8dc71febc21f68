#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "notify/compose.hpp"

namespace jarip::notify {
namespace {

namespace json = boost::json;

struct Fixture {
  DeliveryOptions options;
  std::map<std::string, ProviderRuntime> providers;
  std::map<std::string, Template> templates;

  Fixture() {
    options.channel_providers = {{"alimtalk", {"solapi", "nhn"}}, {"sms", {"nhn", "solapi"}}};
    options.ads = {"자립상점", "080-123-4567"};
    for (const char* name : {"solapi", "nhn"}) {
      ProviderRuntime p;
      p.name = name;
      p.channels = {"alimtalk", "sms"};
      p.price = {{"alimtalk", 8}, {"sms", 18}, {"lms", 45}};
      providers[name] = p;
    }
    auto t = parse_template("ship", R"({"kind":"info","alimtalk":{"text":"#{name}님 주문 #{order} 발송",
      "codes":{"solapi":"KA01","nhn":"SHIP"}},"sms":{"text":"[상점] #{name}님 #{order} 발송"}})");
    EXPECT_TRUE(t.ok()) << t.error().message;
    templates["ship"] = *t;
    auto cheap = parse_template("cheap", R"({"kind":"info","allow_costlier_fallback":false,
      "alimtalk":{"text":"#{name}님","codes":{"solapi":"KA02","nhn":"C"}},"sms":{"text":"#{name}님"}})");
    templates["cheap"] = *cheap;
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

TEST(DedupKey, IsPerMessageAndStepNeverPerAttempt) {
  EXPECT_EQ(dedup_key("msg_a", 0), "msg_a.0");
  EXPECT_EQ(dedup_key("msg_a", 0), dedup_key("msg_a", 0));  // a retry of the same step: same key
  EXPECT_NE(dedup_key("msg_a", 0), dedup_key("msg_a", 1));
  EXPECT_NE(dedup_key("msg_a", 1), dedup_key("msg_b", 1));
}

TEST(MessageId, IsUniqueAndSortsByTime) {
  auto a = new_message_id(1000), b = new_message_id(1000), c = new_message_id(2000);
  EXPECT_NE(a, b);
  EXPECT_LT(a.substr(0, 15), c.substr(0, 15));
}

TEST(Rfc3339, ParsesWellFormedAndRejectsTheRest) {
  struct Row {
    const char* text;
    std::optional<TimeMs> expected;
  } rows[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"1970-01-01T09:00:00+09:00", 0},
      {"2024-02-29T12:00:00.5Z", 1709208000500},
      {"2026-02-31T10:00:00+09:00", std::nullopt},  // no 31 February
      {"2025-02-29T10:00:00Z", std::nullopt},       // not a leap year
      {" 2026-01-05T01:02:03Z", std::nullopt},
      {"2026-1-5T1:2:3Z", std::nullopt},
      {"2026-01-05T01:02:03Z trailing", std::nullopt},
      {"2026-01-05T24:00:00Z", std::nullopt},
      {"2026-01-05T10:00:00+99:99", std::nullopt},
      {"2026-01-05T10:00:00", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& r : rows) EXPECT_EQ(parse_rfc3339(r.text), r.expected) << r.text;
}

TEST(Compose, TemplateMessageRendersEveryChannelAndExpandsTheChain) {
  Fixture f;
  auto m = f.compose(R"({"recipient":{"phone":"+82 10-1234-5678"},"template":"ship","vars":{"name":"김","order":"A1"}})");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->phone, "01012345678");
  EXPECT_EQ(m->chain_json, R"(["alimtalk@solapi","alimtalk@nhn","sms@nhn","sms@solapi"])");
  auto forms = json::parse(m->rendered_json);
  EXPECT_EQ(forms.at("alimtalk").at("text"), "김님 주문 A1 발송");
  EXPECT_EQ(forms.at("sms").at("text"), "[상점] 김님 A1 발송");
  EXPECT_EQ(forms.at("sms").at("kind"), "sms");
}

TEST(Compose, AdGetsPrefixAndOptOutAndNeverAlimtalk) {
  Fixture f;
  auto m = f.compose(R"({"recipient":{"phone":"01012345678"},"text":"겨울 세일 30%","kind":"ad"})");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->chain_json, R"(["sms@nhn","sms@solapi"])");  // default chain loses its AlimTalk steps
  std::string text(json::parse(m->rendered_json).at("sms").at("text").as_string());
  EXPECT_EQ(text.rfind("(광고)", 0), 0u) << text;
  EXPECT_NE(text.find("080-123-4567"), std::string::npos) << text;
  auto refused = f.compose(R"({"recipient":{"phone":"01012345678"},"text":"세일","kind":"ad","channels":["alimtalk"]})");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "ad_not_allowed_on_alimtalk");
}

TEST(Compose, CostlierFallbackIsDroppedWhenTheTemplateSaysSo) {
  Fixture f;
  auto m = f.compose(R"({"recipient":{"phone":"01012345678"},"template":"cheap","vars":{"name":"김"}})");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->chain_json, R"(["alimtalk@solapi","alimtalk@nhn"])");  // SMS (18) costs more than AlimTalk (8)
}

TEST(Compose, RejectsBadInputWithCodeAndField) {
  Fixture f;
  struct Row {
    const char* body;
    const char* code;
    const char* field;
  } rows[] = {
      {R"([])", "invalid_json", ""},
      {R"({"text":"x"})", "missing_field", "recipient"},
      {R"({"recipient":{"phone":"010-12"},"text":"x"})", "invalid_phone", "recipient.phone"},
      {R"({"recipient":{"email":"a@b.kr"},"text":"x"})", "no_channel_for_recipient", "recipient"},  // chain alimtalk, sms: no phone
      {R"({"recipient":{},"text":"x"})", "missing_field", "recipient.phone"},
      {R"({"recipient":{"phone":"01012345678"},"text":"x","colour":1})", "unknown_field", "colour"},
      {R"({"recipient":{"phone":"01012345678"},"template":"nope"})", "unknown_template", "template"},
      {R"({"recipient":{"phone":"01012345678"},"template":"ship","vars":{"name":"김"}})", "template_variable_missing", "vars.order"},
      {R"({"recipient":{"phone":"01012345678"},"template":"ship","vars":{"name":"김","order":"1","nmae":"x"}})", "template_variable_unknown", "vars.nmae"},
      {R"({"recipient":{"phone":"01012345678"},"text":"x","kind":"spam"})", "invalid_value", "kind"},
      {R"({"recipient":{"phone":"01012345678"},"text":"x","channels":["fax"]})", "unknown_channel", "channels"},
      {R"({"recipient":{"phone":"01012345678"},"text":"x","channels":["sms@kt"]})", "unknown_provider", "channels"},
      {R"({"recipient":{"phone":"01012345678"},"text":"x","channels":["alimtalk"]})", "alimtalk_needs_template", "channels"},
      {R"({"recipient":{"phone":"01012345678"},"text":"x","ttl_s":0})", "invalid_value", "ttl_s"},
      {R"({"recipient":{"phone":"01012345678"},"text":"x","send_at":"tomorrow"})", "invalid_time", "send_at"},
      {R"({"recipient":{"phone":"01012345678"},"text":"x","metadata":[1]})", "invalid_type", "metadata"},
      {R"({"recipient":{"phone":"01012345678"},"text":"👍 좋아요"})", "text_unencodable", "text"},
  };
  for (const auto& r : rows) {
    auto m = f.compose(r.body);
    ASSERT_FALSE(m.ok()) << r.body;
    EXPECT_EQ(m.error().code, r.code) << r.body << " → " << m.error().message;
    EXPECT_EQ(m.error().field, r.field) << r.body;
  }
}

TEST(Compose, ReplacePolicyMakesUnencodableTextSendable) {
  Fixture f;
  f.options.sms_unencodable = "replace";
  auto m = f.compose(R"({"recipient":{"phone":"01012345678"},"text":"👍 좋아요"})");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(json::parse(m->rendered_json).at("sms").at("text"), "? 좋아요");
}

}  // namespace
}  // namespace jarip::notify
