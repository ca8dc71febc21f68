#include "channel_test_support.hpp"

namespace jarip::channels::testing {
namespace {

TEST(ChannelWire, QueryParameterIsDecodedAndExact) {
  struct Row {
    const char* target;
    const char* name;
    std::optional<std::string> expect;
  } rows[] = {
      {"/v1/providers/solapi/reports?token=abc", "token", "abc"},
      {"/r?x=1&token=a%2Bb%20c&token=second", "token", "a+b c"},
      {"/r?tokenx=1&xtoken=2", "token", std::nullopt},
      {"/r?token=", "token", ""},
      {"/r?token", "token", ""},
      {"/r", "token", std::nullopt},
      {"/r?token=abc#frag", "token", "abc"},
      {"/r?%74oken=abc", "token", "abc"},
      {"/r?token=%zz", "token", "%zz"},
      {"/r?token=%4", "token", "%4"},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(wire::query_parameter(r.target, r.name), r.expect) << r.target;
  }
}

TEST(ChannelWire, HeadersAreFoundCaseInsensitively) {
  std::vector<HttpHeader> headers{{"content-type", "a"}, {"X-TOAST-WEBHOOK-SIGNATURE", "sig"}};
  EXPECT_EQ(wire::find_header(headers, "X-Toast-Webhook-Signature"), "sig");
  EXPECT_EQ(wire::find_header(headers, "Content-Type"), "a");
  EXPECT_FALSE(wire::find_header(headers, "Authorization").has_value());
}

TEST(ChannelWire, TimestampsProvidersSend) {
  struct Row {
    const char* text;
    int default_offset;
    std::optional<TimeMs> expect;
  } rows[] = {
      {"2019-07-01T00:41:48Z", 0, 1'561'941'708'000},
      {"2021-11-16T05:09:39.837Z", 0, 1'637'039'379'837},
      {"2020-09-09T11:25:10.000+09:00", 0, 1'599'618'310'000},
      {"2020-09-09T02:25:10Z", 540, 1'599'618'310'000},
      {"2024-04-29T20:58:04", 540, 1'714'391'884'000},
      {"2018-08-10 10:06:42.0", 540, 1'533'863'202'000},
      {"2018-08-10 10:06", 540, 1'533'863'160'000},
      {"2023-06-01", 540, std::nullopt},
      {"", 0, std::nullopt},
      {"2019-13-01T00:00:00Z", 0, std::nullopt},
      {"2019-07-01T00:41:48Zjunk", 0, std::nullopt},
      {"2019-07-01T00:41:48.", 0, std::nullopt},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(wire::parse_timestamp(r.text, r.default_offset), r.expect) << r.text;
  }
}

TEST(ChannelWire, FormatsDatesInUtcAndKorea) {
  EXPECT_EQ(wire::format_iso8601_utc(1'561'941'708'123), "2019-07-01T00:41:48Z");
  EXPECT_EQ(wire::format_local(1'714'391'884'000, wire::kKoreaOffsetMinutes, "yyyy-MM-dd HH:mm:ss"), "2024-04-29 20:58:04");
  EXPECT_EQ(wire::format_local(1'714'391'884'000, wire::kKoreaOffsetMinutes, "yyyy-MM-dd HH:mm"), "2024-04-29 20:58");
  // Across midnight and a leap day in KST.
  EXPECT_EQ(wire::format_local(1'709'218'800'000, wire::kKoreaOffsetMinutes, "yyyy-MM-dd HH:mm"), "2024-03-01 00:00");
  EXPECT_EQ(wire::format_local(1'709'218'799'000, wire::kKoreaOffsetMinutes, "yyyy-MM-dd HH:mm:ss"), "2024-02-29 23:59:59");
}

TEST(ChannelWire, BaseUrlsAreCheckedAndTrimmed) {
  EXPECT_EQ(wire::normalize_base_url("https://api.solapi.com/", "f").value(), "https://api.solapi.com");
  EXPECT_EQ(wire::normalize_base_url("http://127.0.0.1:8080", "f").value(), "http://127.0.0.1:8080");
  for (const char* bad : {"", "api.solapi.com", "ftp://x", "https://", "https:///path", "https://a b", "https://x?y=1",
                          "https://x#f", "https://x\n"}) {
    auto r = wire::normalize_base_url(bad, "providers.x.base_url");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "config_invalid");
    EXPECT_EQ(r.error().field, "providers.x.base_url");
  }
}

TEST(ChannelWire, PhonesAreNormalised) {
  EXPECT_EQ(wire::normalize_phone("010-1234-5678"), "01012345678");
  EXPECT_EQ(wire::normalize_phone("821012345678"), "01012345678");
  EXPECT_EQ(wire::normalize_phone("+82 10 1234 5678"), "01012345678");
  EXPECT_EQ(wire::normalize_phone("08012341234"), "08012341234");
  EXPECT_EQ(wire::normalize_phone("unknown"), "unknown");
}

TEST(ChannelWire, JsonNumbersAndStringsReadAlike) {
  auto v = wire::parse_json(R"({"a":3104,"b":"3104","c":-1005,"d":3104.0,"e":null,"f":true,"g":[1]})");
  ASSERT_TRUE(v);
  const auto& o = v->as_object();
  EXPECT_EQ(wire::member_text(o, "a"), "3104");
  EXPECT_EQ(wire::member_text(o, "b"), "3104");
  EXPECT_EQ(wire::member_text(o, "c"), "-1005");
  EXPECT_EQ(wire::member_text(o, "d"), "3104");
  EXPECT_FALSE(wire::member_text(o, "e"));
  EXPECT_EQ(wire::member_text(o, "f"), "true");
  EXPECT_FALSE(wire::member_text(o, "g"));
  EXPECT_FALSE(wire::member_text(o, "missing"));
  EXPECT_FALSE(wire::parse_json("{\"a\":"));
  EXPECT_FALSE(wire::parse_json(""));
}

}  // namespace
}  // namespace jarip::channels::testing
