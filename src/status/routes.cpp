// GET/HEAD answers of the status page. Anyone may read them (no session), other sites may embed the
// banner and read status.json (CORS), and proxies may cache them briefly.
#include <cctype>
#include <cstdlib>

#include "common/crypto.hpp"
#include "status/assets.hpp"
#include "status/status.hpp"

namespace jarip::status {

namespace {

// The console's policy (docs/console-api.md): no inline script or style anywhere.
constexpr const char* kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
// The status changes at most every couple of seconds; a short shared cache absorbs a crowd of
// customers opening the page at once during an outage.
constexpr const char* kDynamicCache = "public, max-age=15";
constexpr const char* kAssetCache = "public, max-age=300";

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string etag_of(std::string_view body) { return "\"" + crypto::to_hex(crypto::sha256(body)).substr(0, 20) + "\""; }

bool etag_matches(std::string_view if_none_match, const std::string& etag) {
  while (!if_none_match.empty()) {
    auto comma = if_none_match.find(',');
    std::string tag = trim(if_none_match.substr(0, comma));
    if (tag.rfind("W/", 0) == 0) tag = tag.substr(2);  // weak comparison (RFC 9110 §13.1.2)
    if (tag == "*" || tag == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

struct Kind {
  const char* content_type;
  const char* cache;
  bool html = false;
  bool cross_origin = false;
};

void answer(const http::Request& req, const http::Responder& respond, std::string body, const Kind& kind) {
  http::Response r{200, kind.content_type, {}, {}};
  std::string etag = etag_of(body);
  r.headers.push_back({"ETag", etag});
  r.headers.push_back({"Cache-Control", kind.cache});
  r.headers.push_back({"X-Content-Type-Options", "nosniff"});
  r.headers.push_back({"Referrer-Policy", "same-origin"});
  if (kind.html) {
    r.headers.push_back({"Content-Security-Policy", kCsp});
    r.headers.push_back({"X-Frame-Options", "DENY"});
    r.headers.push_back({"Vary", "Accept-Language"});
  }
  if (kind.cross_origin) {
    r.headers.push_back({"Access-Control-Allow-Origin", "*"});
    // Host pages that isolate themselves (Cross-Origin-Embedder-Policy) load only resources that opt in.
    r.headers.push_back({"Cross-Origin-Resource-Policy", "cross-origin"});
  }
  if (etag_matches(req.header("If-None-Match"), etag)) {
    r.status = 304;
  } else if (req.method != "HEAD") {
    r.body = std::move(body);
  }
  respond(std::move(r));
}

bool is_status_path(std::string_view p) {
  return p == "/status" || p == "/status/" || p == "/status.json" || p == "/status/status.json" ||
         p == "/status/feed.atom" || p == "/status/banner.js" || p == "/status/banner-data.js" ||
         p == "/status/status.css" || p == "/status/status.js";
}

}  // namespace

std::string choose_language(const http::Request& request) {
  std::string lang = request.query_param("lang");
  if (lang == "en" || lang == "ko") return lang;
  // The better-ranked of ko and en in Accept-Language; on a tie the first listed.
  std::string_view header = request.header("Accept-Language");
  std::string best = "ko";
  double best_q = -1;
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string item = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    auto semi = item.find(';');
    std::string tag = trim(std::string_view(item).substr(0, semi));
    double q = 1.0;
    if (semi != std::string::npos) {
      std::string params = trim(std::string_view(item).substr(semi + 1));
      if (params.rfind("q=", 0) == 0) q = std::strtod(params.c_str() + 2, nullptr);
    }
    std::string primary = tag.substr(0, tag.find('-'));
    for (auto& c : primary) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((primary == "ko" || primary == "en") && q > 0 && q > best_q) {
      best = primary;
      best_q = q;
    }
  }
  return best;
}

bool handle_status_route(const http::Request& req, const http::Responder& respond, const StatusSnapshotSource& source) {
  const std::string& p = req.path;
  if (!is_status_path(p)) return false;
  if (req.method != "GET" && req.method != "HEAD") {
    http::Response r = http::Response::text(405, "method not allowed\n");
    r.headers.push_back({"Allow", "GET, HEAD"});
    r.headers.push_back({"X-Content-Type-Options", "nosniff"});
    r.headers.push_back({"Content-Security-Policy", kCsp});
    respond(std::move(r));
    return true;
  }
  if (p == "/status/banner.js") {
    answer(req, respond, std::string(status_asset("banner.js")),
           {"text/javascript; charset=utf-8", kAssetCache, false, true});
    return true;
  }
  if (p == "/status/status.js") {
    answer(req, respond, std::string(status_asset("status.js")), {"text/javascript; charset=utf-8", kAssetCache});
    return true;
  }
  if (p == "/status/status.css") {
    answer(req, respond, std::string(status_asset("status.css")), {"text/css; charset=utf-8", kAssetCache});
    return true;
  }
  auto current = source ? source() : nullptr;
  if (!current) {
    http::Response r = http::Response::text(503, "the status is not known yet\n");
    r.headers.push_back({"Retry-After", "2"});
    r.headers.push_back({"Cache-Control", "no-store"});
    r.headers.push_back({"X-Content-Type-Options", "nosniff"});
    respond(std::move(r));
    return true;
  }
  if (p == "/status.json" || p == "/status/status.json") {
    answer(req, respond, current->json, {"application/json", kDynamicCache, false, true});
  } else if (p == "/status/banner-data.js") {
    answer(req, respond, banner_data_js(current->json), {"text/javascript; charset=utf-8", kDynamicCache, false, true});
  } else if (p == "/status/feed.atom") {
    answer(req, respond, current->atom, {"application/atom+xml; charset=utf-8", kDynamicCache});
  } else {
    bool en = choose_language(req) == "en";
    answer(req, respond, en ? current->html_en : current->html_ko, {"text/html; charset=utf-8", kDynamicCache, true});
  }
  return true;
}

}  // namespace jarip::status
