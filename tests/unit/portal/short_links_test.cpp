#include <gtest/gtest.h>

#include <set>

#include "portal/short_links.hpp"

namespace jarip::portal {
namespace {

constexpr std::string_view kPublic = "https://n.jarip.kr";

// Codes handed out in order, so that the expected texts are fixed.
struct Codes {
  int next = 0;
  std::string operator()() { return "Code00" + std::to_string(next++); }
};

struct Vector {
  const char* name;
  std::string_view text;
  std::string_view expected;
  std::vector<std::string> urls;  // stored links, in order
};

TEST(ShortLinks, RewritesLongUrlsInKoreanText) {
  const std::vector<Vector> vectors = {
      {"url between Korean words",
       "[자립상점] 배송이 시작되었습니다. 배송조회 https://tracking.example.co.kr/track?invoice=1234567890&carrier=cj 감사합니다",
       "[자립상점] 배송이 시작되었습니다. 배송조회 https://n.jarip.kr/s/Code000 감사합니다",
       {"https://tracking.example.co.kr/track?invoice=1234567890&carrier=cj"}},
      {"Korean right after the url",
       "주문내역: https://shop.example.kr/orders/A-1001/detail에서 확인하세요",
       "주문내역: https://n.jarip.kr/s/Code000에서 확인하세요",
       {"https://shop.example.kr/orders/A-1001/detail"}},
      {"closing bracket and full stop",
       "쿠폰(https://shop.example.kr/coupons/winter-2026-sale).",
       "쿠폰(https://n.jarip.kr/s/Code000).",
       {"https://shop.example.kr/coupons/winter-2026-sale"}},
      {"brackets inside the url stay",
       "설명: https://ko.example.org/wiki/Seoul_(city)_history, 참고",
       "설명: https://n.jarip.kr/s/Code000, 참고",
       {"https://ko.example.org/wiki/Seoul_(city)_history"}},
      {"comma, then line break",
       "링크1 https://a.example.kr/very/long/path/one,\n링크2 http://b.example.kr/another/long/path/two!",
       "링크1 https://n.jarip.kr/s/Code000,\n링크2 https://n.jarip.kr/s/Code001!",
       {"https://a.example.kr/very/long/path/one", "http://b.example.kr/another/long/path/two"}},
      {"the same url twice shares one code",
       "https://shop.example.kr/event/2026/winter 와 https://shop.example.kr/event/2026/winter",
       "https://n.jarip.kr/s/Code000 와 https://n.jarip.kr/s/Code000",
       {"https://shop.example.kr/event/2026/winter"}},
      {"a short url stays", "문의 http://a.kr/q 로", "문의 http://a.kr/q 로", {}},
      {"as long as the short link (28 characters) stays", "https://example.kr/abcdefghi", "https://example.kr/abcdefghi", {}},
      {"one longer is replaced", "https://example.kr/abcdefghij", "https://n.jarip.kr/s/Code000",
       {"https://example.kr/abcdefghij"}},
      {"already a link of ours stays",
       "수신거부 https://n.jarip.kr/u/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 알림함 https://N.JARIP.KR/i/abc",
       "수신거부 https://n.jarip.kr/u/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 알림함 https://N.JARIP.KR/i/abc", {}},
      {"another host starting like ours is not ours",
       "https://n.jarip.kr.evil.example/long/path/here",
       "https://n.jarip.kr/s/Code000",
       {"https://n.jarip.kr.evil.example/long/path/here"}},
      {"no url", "안녕하세요 고객님, 주문이 접수되었습니다.", "안녕하세요 고객님, 주문이 접수되었습니다.", {}},
      {"scheme inside a word is no url", "xhttps://shop.example.kr/orders/123456789", "xhttps://shop.example.kr/orders/123456789",
       {}},
      {"quotes end a url",
       "\"https://shop.example.kr/orders/123456789\"",
       "\"https://n.jarip.kr/s/Code000\"",
       {"https://shop.example.kr/orders/123456789"}},
  };
  for (const auto& v : vectors) {
    Codes codes;
    auto out = shorten_links(v.text, kPublic, "msg_1", 1234, std::ref(codes));
    EXPECT_EQ(out.text, v.expected) << v.name;
    std::vector<std::string> urls;
    for (auto& l : out.links) {
      urls.push_back(l.url);
      EXPECT_EQ(l.message_id, "msg_1") << v.name;
      EXPECT_EQ(l.created_ms, 1234) << v.name;
      EXPECT_EQ(l.clicks, 0) << v.name;
    }
    EXPECT_EQ(urls, v.urls) << v.name;
  }
}

TEST(ShortLinks, PublicUrlWithSlashOrPathPrefix) {
  Codes codes;
  auto out = shorten_links("보기 https://shop.example.kr/orders/A-1001/detail", "https://example.kr/n/", "m", 0,
                           std::ref(codes));
  EXPECT_EQ(out.text, "보기 https://example.kr/n/s/Code000");
  auto none = shorten_links("https://shop.example.kr/orders/A-1001/detail", "", "m", 0, std::ref(codes));
  EXPECT_EQ(none.text, "https://shop.example.kr/orders/A-1001/detail");
  EXPECT_TRUE(none.links.empty());
}

TEST(ShortLinks, FindsUrls) {
  struct Case {
    std::string_view text;
    std::vector<std::string_view> urls;
  };
  const std::vector<Case> cases = {
      {"HTTPS://EXAMPLE.KR/A 와 http://b.kr", {"HTTPS://EXAMPLE.KR/A", "http://b.kr"}},
      {"https:// 만", {}},
      {"https://...", {}},
      {"<https://a.kr/x>", {"https://a.kr/x"}},
      {"https://a.kr/x?y=1&z=2#frag;", {"https://a.kr/x?y=1&z=2#frag"}},
      {"https://a.kr/%ED%95%9C글", {"https://a.kr/%ED%95%9C"}},
      {"(see https://a.kr/x)", {"https://a.kr/x"}},
      {"[https://a.kr/x]", {"https://a.kr/x"}},
      {"https://a.kr/x\thttps://b.kr/y", {"https://a.kr/x", "https://b.kr/y"}},
  };
  for (const auto& c : cases) {
    std::vector<std::string_view> got;
    for (auto& s : find_urls(c.text)) got.push_back(c.text.substr(s.begin, s.size));
    EXPECT_EQ(got, c.urls) << c.text;
  }
}

TEST(ShortLinks, CodesAreRandomBase62) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string code = new_short_code();
    EXPECT_EQ(code.size(), 8u);
    EXPECT_TRUE(is_short_code(code)) << code;
    seen.insert(code);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(new_short_code(7).size(), 7u);
  EXPECT_FALSE(is_short_code("abc123"));            // too short
  EXPECT_FALSE(is_short_code("abc-1234"));          // not base62
  EXPECT_FALSE(is_short_code("../../etc/passwd"));
  EXPECT_FALSE(is_short_code(std::string(33, 'a')));
}

}  // namespace
}  // namespace jarip::portal
