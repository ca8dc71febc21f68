#include <gtest/gtest.h>

#include "sim/simulator.hpp"
#include "sim/template_render.hpp"
#include "sim_test_util.hpp"

namespace jarip::sim {
namespace {

TEST(TemplateRender, SubstitutesEveryPlaceholder) {
  auto r = render_template("#{name}님 주문 #{order}번, #{name}님", {{"name", "홍"}, {"order", "7"}});
  EXPECT_TRUE(r.missing.empty());
  EXPECT_EQ(r.text, "홍님 주문 7번, 홍님");
}

TEST(TemplateRender, ReportsMissingVariables) {
  auto r = render_template("#{name}님 주문 #{order}번", {{"name", "홍"}});
  ASSERT_EQ(r.missing.size(), 1u);
  EXPECT_EQ(r.missing[0], "order");
}

TEST(TemplateRender, UnterminatedPlaceholderIsLiteral) {
  auto r = render_template("값 #{name", {});
  EXPECT_TRUE(r.missing.empty());
  EXPECT_EQ(r.text, "값 #{name");
}

TEST(TemplateRender, BareNames) {
  EXPECT_EQ(bare_variable_name("#{name}"), "name");
  EXPECT_EQ(bare_variable_name("name"), "name");
}

class TemplateCheck : public ::testing::Test {
 protected:
  FakeClock clock{test::kT0};
  SimConfig cfg = default_config();
  Simulator sim{cfg, clock, 3};

  std::string solapi(const std::string& kakao_extra, const std::string& text_field = "") {
    std::string m = R"({"to":"01012345678",)" + text_field + R"("kakaoOptions":{"pfId":")" + cfg.solapi.pf_id +
                    R"(","templateId":")" + cfg.solapi.templates[0].id + "\"" + kakao_extra + "}}";
    return sim.handle(Endpoint::solapi, test::solapi_send(cfg, clock.now_ms(), "{\"messages\":[" + m + "]}")).out.body;
  }
  std::string nhn(const std::string& params) {
    std::string body = R"({"senderKey":")" + cfg.nhn.sender_key + R"(","templateCode":")" + cfg.nhn.templates[0].id +
                       R"(","recipientList":[{"recipientNo":"01012345678","templateParameter":)" + params + "}]}";
    return sim.handle(Endpoint::nhn_alimtalk,
                      test::nhn_post(cfg, "/alimtalk/v2.3/appkeys/" + cfg.nhn.alimtalk_appkey + "/messages", body))
        .out.body;
  }
};

TEST_F(TemplateCheck, SolapiAcceptsMatchingRendering) {
  auto body = solapi(R"(,"variables":{"#{name}":"홍길동","order":"42"})", R"("text":"홍길동님 주문 42번이 발송되었습니다.",)");
  EXPECT_NE(body.find("\"registeredSuccess\":1"), std::string::npos) << body;
}

TEST_F(TemplateCheck, SolapiRejectsMissingVariableAndDifferentText) {
  EXPECT_NE(solapi(R"(,"variables":{"#{name}":"홍길동"})").find("\"statusCode\":\"1043\""), std::string::npos);
  EXPECT_NE(solapi(R"(,"variables":{"#{name}":"홍길동","#{order}":"42"})", R"("text":"홍길동님 주문 42번이 배송되었습니다.",)")
                .find("\"statusCode\":\"1043\""),
            std::string::npos);
}

TEST_F(TemplateCheck, SolapiButtonsMustBeAsRegistered) {
  const auto& b = cfg.solapi.templates[0].buttons[0];
  std::string ok = R"(,"variables":{"#{name}":"a","#{order}":"1"},"buttons":[{"buttonType":"WL","buttonName":")" + b.name +
                   R"(","linkMo":")" + b.link_mo + R"(","linkPc":")" + b.link_pc + "\"}]";
  EXPECT_NE(solapi(ok).find("\"registeredSuccess\":1"), std::string::npos);
  std::string wrong = R"(,"variables":{"#{name}":"a","#{order}":"1"},"buttons":[{"buttonType":"WL","buttonName":"다른버튼","linkMo":"https://x"}])";
  EXPECT_NE(solapi(wrong).find("\"statusCode\":\"1044\""), std::string::npos);
}

TEST_F(TemplateCheck, SolapiUnknownTemplateAndPfId) {
  std::string m = R"({"messages":[{"to":"01012345678","kakaoOptions":{"pfId":"OTHER","templateId":"X"}}]})";
  auto body = sim.handle(Endpoint::solapi, test::solapi_send(cfg, clock.now_ms(), m)).out.body;
  EXPECT_NE(body.find("\"statusCode\":\"1041\""), std::string::npos) << body;
}

TEST_F(TemplateCheck, NhnMissingParameterIsMinus3049) {
  EXPECT_NE(nhn(R"({"name":"홍"})").find("\"resultCode\":-3049"), std::string::npos);
  EXPECT_NE(nhn(R"({"name":"홍","order":"1"})").find("\"resultCode\":0,\"resultMessage\":\"SUCCESS\",\"isSuccessful\":true"),
            std::string::npos);
}

}  // namespace
}  // namespace jarip::sim
