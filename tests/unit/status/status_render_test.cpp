// The renderings of one snapshot: HTML (escaped, no inline script or style), status.json's shape, and
// the Atom feed (well-formed XML, escaped).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <regex>

#include "status/status.hpp"
#include "status_test_support.hpp"

namespace jarip::status {
namespace {

namespace json = boost::json;
using testing::kEvilMerchant;
using testing::kEvilTitle;
using testing::kst;
using testing::sample_snapshot;

// A small well-formedness check: one root element, tags nested and closed, attribute values quoted,
// text and attribute values free of raw '<' and of '&' outside the five entities and numeric
// references, and no control characters XML forbids. Returns the first problem, empty when none.
std::string xml_problem(std::string_view x) {
  auto check_text = [](std::string_view t) -> std::string {
    for (std::size_t j = 0; j < t.size(); ++j) {
      unsigned char c = static_cast<unsigned char>(t[j]);
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return "control character";
      if (t[j] == '<') return "raw '<'";
      if (t[j] != '&') continue;
      auto semi = t.find(';', j);
      if (semi == std::string_view::npos) return "'&' without ';'";
      std::string_view ent = t.substr(j + 1, semi - j - 1);
      bool numeric = ent.size() > 1 && ent[0] == '#' &&
                     ent.substr(1).find_first_not_of("0123456789") == std::string_view::npos;
      if (!numeric && ent != "amp" && ent != "lt" && ent != "gt" && ent != "quot" && ent != "apos") {
        return "unknown entity &" + std::string(ent) + ";";
      }
      j = semi;
    }
    return {};
  };
  std::size_t i = 0;
  if (x.starts_with("<?xml")) {
    auto end = x.find("?>");
    if (end == std::string_view::npos) return "unterminated declaration";
    i = end + 2;
  }
  std::vector<std::string> stack;
  bool root_seen = false;
  while (i < x.size()) {
    if (x[i] != '<') {
      auto next = x.find('<', i);
      std::string_view t = x.substr(i, next == std::string_view::npos ? std::string_view::npos : next - i);
      if (stack.empty() && t.find_first_not_of(" \t\r\n") != std::string_view::npos) return "text outside the root";
      if (auto p = check_text(t); !p.empty()) return p;
      i = next == std::string_view::npos ? x.size() : next;
      continue;
    }
    auto close = x.find('>', i);
    if (close == std::string_view::npos) return "unterminated tag";
    std::string_view tag = x.substr(i + 1, close - i - 1);
    i = close + 1;
    if (tag.starts_with("/")) {
      if (stack.empty() || stack.back() != tag.substr(1)) return "mismatched </" + std::string(tag.substr(1)) + ">";
      stack.pop_back();
      continue;
    }
    bool self_closing = tag.ends_with("/");
    if (self_closing) tag.remove_suffix(1);
    auto name_end = tag.find_first_of(" \t\r\n");
    std::string name(tag.substr(0, name_end));
    if (name.empty()) return "empty tag name";
    if (stack.empty() && root_seen) return "second root element";
    root_seen = true;
    std::string_view attrs = name_end == std::string_view::npos ? std::string_view() : tag.substr(name_end);
    std::set<std::string> seen;
    while (true) {
      auto start = attrs.find_first_not_of(" \t\r\n");
      if (start == std::string_view::npos) break;
      attrs.remove_prefix(start);
      auto eq = attrs.find('=');
      if (eq == std::string_view::npos || eq + 1 >= attrs.size() || attrs[eq + 1] != '"') return "unquoted attribute in <" + name + ">";
      if (!seen.insert(std::string(attrs.substr(0, eq))).second) return "duplicate attribute";
      auto end = attrs.find('"', eq + 2);
      if (end == std::string_view::npos) return "unterminated attribute";
      if (auto p = check_text(attrs.substr(eq + 2, end - eq - 2)); !p.empty()) return p;
      attrs.remove_prefix(end + 1);
    }
    if (!self_closing) stack.push_back(name);
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + ">";
  if (!root_seen) return "no root element";
  return {};
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1)) ++n;
  return n;
}

TEST(StatusRender, KstLabel) {
  EXPECT_EQ(kst_label(kst("2026-12-06T21:30:59+09:00")), "2026-12-06 21:30 KST");
  EXPECT_EQ(kst_label(kst("2026-12-06T15:05:00Z")), "2026-12-07 00:05 KST");
}

TEST(StatusRender, HtmlEscapesEverythingFromData) {
  auto s = sample_snapshot();
  for (const char* lang : {"ko", "en"}) {
    std::string html = render_html(s, lang, live_links(s.public_url));
    EXPECT_EQ(html.find(kEvilTitle), std::string::npos) << lang;
    EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos) << lang;
    EXPECT_EQ(html.find("<b>"), std::string::npos);
    EXPECT_NE(html.find("자립상점 &lt;b&gt;&amp;&lt;/b&gt; &quot;Co&#39;s&quot;"), std::string::npos) << lang;
    EXPECT_NE(html.find("점검 &amp; 안내 &lt;i&gt;곧&lt;/i&gt;"), std::string::npos) << lang;
  }
}

TEST(StatusRender, HtmlHasNoInlineScriptOrStyle) {
  auto s = sample_snapshot();
  std::string html = render_html(s, "ko", live_links(s.public_url));
  EXPECT_EQ(html.find("<style"), std::string::npos);
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(\sstyle\s*=)")));
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(\son[a-z]+\s*=)")));
  EXPECT_EQ(html.find("javascript:"), std::string::npos);
  // Exactly one script element, external and empty.
  EXPECT_EQ(count(html, "<script"), 1u);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(html, m, std::regex(R"re(<script src="/status/status.js" defer data-json="/status.json" data-version="([0-9a-f]{16})"></script>)re")));
  EXPECT_EQ(m[1].str(), content_version(s));
  EXPECT_NE(html.find(R"(<link rel="stylesheet" href="/status/status.css">)"), std::string::npos);
}

TEST(StatusRender, HtmlContentAndLanguages) {
  auto s = sample_snapshot();
  std::string ko = render_html(s, "ko", live_links(s.public_url));
  std::string en = render_html(s, "en", live_links(s.public_url));
  EXPECT_NE(ko.find("<html lang=\"ko\">"), std::string::npos);
  EXPECT_NE(en.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(ko.find("href=\"/status?lang=en\""), std::string::npos);
  EXPECT_NE(en.find("href=\"/status?lang=ko\""), std::string::npos);
  EXPECT_NE(ko.find("name=\"viewport\""), std::string::npos);
  EXPECT_NE(ko.find("일부 알림이 지연되고 있습니다"), std::string::npos);
  EXPECT_NE(en.find("Some notifications are delayed"), std::string::npos);
  EXPECT_NE(ko.find("카카오톡 알림톡 알림이 지연되어 문자로 안내드리고 있습니다"), std::string::npos);
  EXPECT_NE(en.find("KakaoTalk notifications are delayed"), std::string::npos);
  // A notice written in Korean only still shows on the English page.
  EXPECT_NE(en.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(ko.find("2026-12-06 21:29 KST"), std::string::npos);
  EXPECT_NE(ko.find("2026-12-01 12:00 KST"), std::string::npos);
  EXPECT_NE(ko.find("2026-12-06 21:30 KST"), std::string::npos);  // last change
  // Open notices before the channels, resolved ones after.
  auto open = ko.find("카카오톡 알림톡 알림이 지연되어"), channels = ko.find("class=\"channels\""),
       resolved = ko.find("&lt;script&gt;");
  EXPECT_LT(open, channels);
  EXPECT_LT(channels, resolved);
  EXPECT_NE(ko.find("<li class=\"channel state-down\"><span class=\"name\">카카오톡 알림톡</span><span class=\"badge\">중단</span>"),
            std::string::npos);

  s.notices.clear();
  s.state = kOperational;
  s.channels[0].state = kOperational;
  std::string calm = render_html(s, "ko", live_links(s.public_url));
  EXPECT_NE(calm.find("모든 알림이 정상적으로 발송되고 있습니다"), std::string::npos);
  EXPECT_NE(calm.find("최근 7일 동안 해결된 안내가 없습니다."), std::string::npos);
  EXPECT_EQ(calm.find("진행 중인 안내"), std::string::npos);
}

TEST(StatusRender, LinksFollowThePublicUrlPath) {
  auto links = live_links("https://shop.example.kr:8443/jarip/");
  EXPECT_EQ(links.stylesheet, "/jarip/status/status.css");
  EXPECT_EQ(links.json, "/jarip/status.json");
  EXPECT_EQ(links.page_en, "/jarip/status?lang=en");
  EXPECT_EQ(live_links("").feed, "/status/feed.atom");
  EXPECT_EQ(static_links().page_en, "index.en.html");
  std::string html = render_html(sample_snapshot(), "ko", static_links());
  EXPECT_NE(html.find("<meta http-equiv=\"Content-Security-Policy\""), std::string::npos);
  EXPECT_NE(html.find("src=\"status.js\""), std::string::npos);
}

TEST(StatusRender, JsonShape) {
  auto s = sample_snapshot();
  auto doc = json::parse(render_json(s)).as_object();
  EXPECT_EQ(doc.at("merchant").as_string(), kEvilMerchant);
  EXPECT_EQ(doc.at("version").as_string(), content_version(s));
  EXPECT_EQ(doc.at("generated_at").as_string(), "2026-12-06T21:30:00+09:00");
  EXPECT_EQ(doc.at("generated_ms").as_int64(), s.generated_ms);
  EXPECT_EQ(doc.at("state").as_string(), "degraded");
  EXPECT_EQ(doc.at("state_label").at("ko").as_string(), "지연");
  auto& channels = doc.at("channels").as_array();
  ASSERT_EQ(channels.size(), 2u);
  EXPECT_EQ(channels[0].at("channel").as_string(), "alimtalk");
  EXPECT_EQ(channels[0].at("name").at("ko").as_string(), "카카오톡 알림톡");
  EXPECT_EQ(channels[0].at("state").as_string(), "down");
  EXPECT_EQ(channels[0].at("state_label").at("en").as_string(), "Down");
  EXPECT_EQ(channels[0].as_object().count("providers"), 0u);  // provider names stay private
  auto& notices = doc.at("notices").as_array();
  ASSERT_EQ(notices.size(), 2u);
  auto& open = notices[0].as_object();  // open first
  EXPECT_EQ(open.at("id").as_string(), "ntc_open");
  EXPECT_TRUE(open.at("open").as_bool());
  EXPECT_TRUE(open.at("resolved_at").is_null());
  EXPECT_EQ(open.at("kind").as_string(), "auto");
  EXPECT_EQ(open.at("severity").as_string(), "outage");
  EXPECT_EQ(open.at("created_at").as_string(), "2026-12-06T21:29:00+09:00");
  auto& resolved = notices[1].as_object();
  EXPECT_FALSE(resolved.at("open").as_bool());
  EXPECT_EQ(resolved.at("title").at("ko").as_string(), kEvilTitle);
  EXPECT_EQ(resolved.at("title").at("en").as_string(), "");
  EXPECT_EQ(resolved.at("resolved_at").as_string(), "2026-12-01T12:00:00+09:00");
  EXPECT_EQ(resolved.at("resolved_ms").as_int64(), s.notices[0].resolved_ms);
}

TEST(StatusRender, VersionIgnoresGenerationTimeOnly) {
  auto a = sample_snapshot(), b = sample_snapshot();
  b.generated_ms += 60'000;
  EXPECT_EQ(content_version(a), content_version(b));
  b.notices[1].title_en = "changed";
  EXPECT_NE(content_version(a), content_version(b));
  b = a;
  b.channels[1].state = kDegraded;
  EXPECT_NE(content_version(a), content_version(b));
}

TEST(StatusRender, AtomIsWellFormedAndEscaped) {
  auto s = sample_snapshot();
  s.notices[0].title_en = "Control\x01 and \x7f <&> \"quotes\"";
  std::string atom = render_atom(s, live_links(s.public_url));
  EXPECT_EQ(xml_problem(atom), "") << atom;
  EXPECT_TRUE(atom.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\""));
  EXPECT_EQ(atom.find(kEvilTitle), std::string::npos);
  EXPECT_NE(atom.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(atom.find('\x01'), std::string::npos);
  EXPECT_NE(atom.find("<id>https://n.jarip.kr/status/feed.atom</id>"), std::string::npos);
  EXPECT_NE(atom.find("<link rel=\"self\" type=\"application/atom+xml\" href=\"https://n.jarip.kr/status/feed.atom\"/>"),
            std::string::npos);
  EXPECT_NE(atom.find("<updated>2026-12-06T21:30:00+09:00</updated>"), std::string::npos);
  EXPECT_NE(atom.find("<author><name>자립상점 &lt;b&gt;&amp;&lt;/b&gt; &quot;Co&#39;s&quot;</name></author>"), std::string::npos);
  EXPECT_EQ(count(atom, "<entry>"), 2u);
  EXPECT_NE(atom.find("<id>urn:jarip:notice:ntc_open</id>"), std::string::npos);
  EXPECT_NE(atom.find("<id>urn:jarip:notice:ntc_manual</id>"), std::string::npos);
  EXPECT_NE(atom.find("(해결됨 · Resolved) &lt;script&gt;"), std::string::npos);
  EXPECT_NE(atom.find("<content type=\"text\">[장애] 카카오톡 알림톡 알림이 지연되어"), std::string::npos);

  s.public_url.clear();
  s.notices.clear();
  std::string bare = render_atom(s, live_links(""));
  EXPECT_EQ(xml_problem(bare), "");
  EXPECT_NE(bare.find("<id>urn:jarip:status</id>"), std::string::npos);
  EXPECT_NE(bare.find("href=\"/status/feed.atom\""), std::string::npos);
}

TEST(StatusRender, XmlCheckerCatchesBrokenXml) {
  EXPECT_NE(xml_problem("<a><b></a></b>"), "");
  EXPECT_NE(xml_problem("<a>x & y</a>"), "");
  EXPECT_NE(xml_problem("<a>1 < 2</a>"), "");
  EXPECT_NE(xml_problem("<a x=1/>"), "");
  EXPECT_NE(xml_problem("<a/><b/>"), "");
  EXPECT_NE(xml_problem("<a>"), "");
  EXPECT_EQ(xml_problem("<?xml version=\"1.0\"?>\n<a x=\"&amp;\"><b/>t&#39;</a>\n"), "");
}

TEST(StatusRender, RenderAllUsesLiveLinks) {
  auto r = render_all(sample_snapshot());
  EXPECT_EQ(r->json, render_json(r->snapshot));
  EXPECT_NE(r->html_ko.find("lang=\"ko\""), std::string::npos);
  EXPECT_NE(r->html_en.find("lang=\"en\""), std::string::npos);
  EXPECT_EQ(r->atom, render_atom(r->snapshot, live_links(r->snapshot.public_url)));
}

}  // namespace
}  // namespace jarip::status
