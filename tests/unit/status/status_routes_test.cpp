// The status routes' answers: content types, security and cache headers, CORS for what other sites
// embed, 304, HEAD, 405, the language choice, and paths that are not theirs.
#include <gtest/gtest.h>

#include <optional>

#include "status/assets.hpp"
#include "status/status.hpp"
#include "status_test_support.hpp"

namespace jarip::status {
namespace {

using testing::sample_snapshot;

constexpr const char* kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

std::string header(const http::Response& r, std::string_view name) {
  for (auto& h : r.headers) {
    if (http::iequals(h.name, name)) return h.value;
  }
  return {};
}

class StatusRoutes : public ::testing::Test {
 protected:
  std::shared_ptr<const RenderedStatus> rendered_ = render_all(sample_snapshot());
  StatusSnapshotSource source_ = [this] { return rendered_; };

  std::optional<http::Response> call(std::string method, std::string path, std::string query = {},
                                     std::vector<http::Header> headers = {}) {
    http::Request req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.query = std::move(query);
    req.target = req.path + (req.query.empty() ? "" : "?" + req.query);
    req.headers = std::move(headers);
    std::optional<http::Response> out;
    int calls = 0;
    bool handled = handle_status_route(req, [&](http::Response r) { out = std::move(r), ++calls; }, source_);
    EXPECT_EQ(handled, calls == 1);
    EXPECT_LE(calls, 1);
    return out;
  }
};

TEST_F(StatusRoutes, PageWithStrictPolicy) {
  for (const char* path : {"/status", "/status/"}) {
    auto r = call("GET", path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->content_type, "text/html; charset=utf-8");
    EXPECT_EQ(r->body, rendered_->html_ko);
    EXPECT_EQ(header(*r, "Content-Security-Policy"), kCsp);
    EXPECT_EQ(header(*r, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(header(*r, "X-Frame-Options"), "DENY");
    EXPECT_EQ(header(*r, "Cache-Control"), "public, max-age=15");
    EXPECT_EQ(header(*r, "Vary"), "Accept-Language");
    EXPECT_EQ(header(*r, "Access-Control-Allow-Origin"), "");
    EXPECT_FALSE(header(*r, "ETag").empty());
  }
}

TEST_F(StatusRoutes, Language) {
  EXPECT_EQ(call("GET", "/status", "lang=en")->body, rendered_->html_en);
  EXPECT_EQ(call("GET", "/status", "lang=ko", {{"Accept-Language", "en-US,en;q=0.9"}})->body, rendered_->html_ko);
  EXPECT_EQ(call("GET", "/status", "", {{"Accept-Language", "en-US,en;q=0.9"}})->body, rendered_->html_en);
  EXPECT_EQ(call("GET", "/status", "", {{"Accept-Language", "en;q=0.5, ko-KR;q=0.8"}})->body, rendered_->html_ko);
  EXPECT_EQ(call("GET", "/status", "", {{"Accept-Language", "fr, de"}})->body, rendered_->html_ko);
  EXPECT_EQ(call("GET", "/status", "", {{"Accept-Language", "EN"}})->body, rendered_->html_en);
  EXPECT_EQ(call("GET", "/status", "lang=xx")->body, rendered_->html_ko);
  EXPECT_EQ(call("GET", "/status", "", {{"Accept-Language", "en;q=0"}})->body, rendered_->html_ko);
}

TEST_F(StatusRoutes, JsonIsReadableFromOtherSites) {
  for (const char* path : {"/status.json", "/status/status.json"}) {
    auto r = call("GET", path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->content_type, "application/json");
    EXPECT_EQ(r->body, rendered_->json);
    EXPECT_EQ(header(*r, "Access-Control-Allow-Origin"), "*");
    EXPECT_EQ(header(*r, "Cache-Control"), "public, max-age=15");
    EXPECT_EQ(header(*r, "X-Content-Type-Options"), "nosniff");
  }
}

TEST_F(StatusRoutes, FeedAndAssets) {
  auto feed = call("GET", "/status/feed.atom");
  EXPECT_EQ(feed->content_type, "application/atom+xml; charset=utf-8");
  EXPECT_EQ(feed->body, rendered_->atom);
  EXPECT_EQ(header(*feed, "Cache-Control"), "public, max-age=15");

  auto banner = call("GET", "/status/banner.js");
  EXPECT_EQ(banner->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(banner->body, std::string(status_asset("banner.js")));
  EXPECT_EQ(header(*banner, "Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(header(*banner, "Cross-Origin-Resource-Policy"), "cross-origin");
  EXPECT_EQ(header(*banner, "X-Content-Type-Options"), "nosniff");

  auto data = call("GET", "/status/banner-data.js");
  EXPECT_EQ(data->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(data->body, banner_data_js(rendered_->json));
  EXPECT_NE(data->body.find("window.jaripStatusBanner.receive({"), std::string::npos);
  EXPECT_EQ(header(*data, "Cache-Control"), "public, max-age=15");
  EXPECT_EQ(header(*data, "Cross-Origin-Resource-Policy"), "cross-origin");

  auto js = call("GET", "/status/status.js");
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(js->body.find("data-version"), std::string::npos);
  auto css = call("GET", "/status/status.css");
  EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
  EXPECT_FALSE(css->body.empty());
}

TEST_F(StatusRoutes, ConditionalAndHead) {
  auto first = call("GET", "/status.json");
  std::string etag = header(*first, "ETag");
  ASSERT_EQ(etag.size(), 22u);
  auto again = call("GET", "/status.json", "", {{"If-None-Match", etag}});
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  EXPECT_EQ(header(*again, "ETag"), etag);
  EXPECT_EQ(header(*again, "Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(call("GET", "/status.json", "", {{"If-None-Match", "\"other\", W/" + etag}})->status, 304);
  EXPECT_EQ(call("GET", "/status.json", "", {{"If-None-Match", "\"other\""}})->status, 200);
  // Each language has its own tag.
  EXPECT_NE(header(*call("GET", "/status", "lang=en"), "ETag"), header(*call("GET", "/status"), "ETag"));

  auto head = call("HEAD", "/status");
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  EXPECT_EQ(head->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header(*head, "ETag"), header(*call("GET", "/status"), "ETag"));
  EXPECT_EQ(header(*head, "Content-Security-Policy"), kCsp);
}

TEST_F(StatusRoutes, OtherMethodsAndPaths) {
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    auto r = call(method, "/status.json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405);
    EXPECT_EQ(header(*r, "Allow"), "GET, HEAD");
  }
  EXPECT_FALSE(call("GET", "/status/other"));
  EXPECT_FALSE(call("GET", "/statusx"));
  EXPECT_FALSE(call("GET", "/v1/status"));
  EXPECT_FALSE(call("POST", "/console"));
}

TEST_F(StatusRoutes, UnknownStatusIsUnavailableButAssetsServe) {
  rendered_ = nullptr;
  auto r = call("GET", "/status");
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(header(*r, "Retry-After"), "2");
  EXPECT_EQ(call("GET", "/status/banner.js")->status, 200);
}

}  // namespace
}  // namespace jarip::status
