#include "portal/pages.hpp"

#include <boost/json.hpp>

#include <cstdio>

#include "common/crypto.hpp"
#include "portal/short_links.hpp"
#include "text/html.hpp"
#include "text/kst.hpp"

namespace jarip::portal {

namespace {

// The only style on any page; the Content-Security-Policy allows exactly this text by its hash.
constexpr std::string_view kStyle =
    "body{font-family:system-ui,-apple-system,\"Apple SD Gothic Neo\",\"Malgun Gothic\",sans-serif;"
    "max-width:40rem;margin:0 auto;padding:1rem;line-height:1.5;color:#222;background:#fff}"
    "h1{font-size:1.3rem;margin:.5rem 0}h2{font-size:1rem;margin:.2rem 0}"
    ".alt{display:block;color:#666;font-size:.85em}"
    ".merchant{color:#555;font-weight:bold}"
    "ol.messages{list-style:none;padding:0}"
    "ol.messages li{border-bottom:1px solid #ddd;padding:.8rem .6rem}"
    "li.unread{border-left:4px solid #0a66c2}"
    ".meta{color:#666;font-size:.85rem}"
    ".badge{background:#0a66c2;color:#fff;border-radius:.6rem;padding:0 .4rem;margin-left:.4rem}"
    ".body{white-space:pre-wrap;overflow-wrap:anywhere}"
    "button{font-size:1rem;padding:.5rem 1rem;margin:.3rem .3rem .3rem 0}"
    ".note{color:#444}";

const std::string& content_security_policy() {
  static const std::string csp = "default-src 'none'; style-src 'sha256-" +
                                 crypto::base64_encode(crypto::sha256(kStyle)) +
                                 "'; img-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
  return csp;
}

}  // namespace

std::string html_escape(std::string_view text) { return text::html_escape(text); }

std::string text_to_html(std::string_view text) {
  std::string out;
  std::size_t copied = 0;
  for (const auto& span : find_urls(text)) {
    out += html_escape(text.substr(copied, span.begin - copied));
    std::string url = html_escape(text.substr(span.begin, span.size));
    out += "<a href=\"" + url + "\" rel=\"noopener noreferrer nofollow\">" + url + "</a>";
    copied = span.begin + span.size;
  }
  out += html_escape(text.substr(copied));
  return out;
}

std::string url_encode(std::string_view text) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

std::string kst_display(TimeMs time) {
  text::KstTime k = text::to_kst(time);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d %02d:%02d", static_cast<long long>(k.year), k.month, k.day, k.hour,
                k.minute);
  return buf;
}

std::string both(const Bilingual& text, std::string_view locale) {
  bool en = locale == "en";
  std::string_view first = en ? text.en : text.ko, second = en ? text.ko : text.en;
  return "<span lang=\"" + std::string(en ? "en" : "ko") + "\">" + html_escape(first) + "</span><span class=\"alt\" lang=\"" +
         std::string(en ? "ko" : "en") + "\">" + html_escape(second) + "</span>";
}

std::string page_html(std::string_view locale, const Bilingual& title, std::string_view merchant,
                      std::string_view content) {
  bool en = locale == "en";
  std::string out = "<!DOCTYPE html>\n<html lang=\"";
  out += en ? "en" : "ko";
  out += "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta name=\"robots\" content=\"noindex, nofollow\"><title>";
  if (!merchant.empty()) out += html_escape(merchant) + " - ";
  out += html_escape(en ? title.en : title.ko);
  out += "</title><style>";
  out += kStyle;
  out += "</style></head><body>";
  if (!merchant.empty()) out += "<p class=\"merchant\">" + html_escape(merchant) + "</p>";
  out += content;
  out += "</body></html>\n";
  return out;
}

http::Response secured(http::Response r) {
  r.headers.push_back({"Cache-Control", "no-store"});
  r.headers.push_back({"Referrer-Policy", "no-referrer"});
  r.headers.push_back({"X-Content-Type-Options", "nosniff"});
  r.headers.push_back({"X-Frame-Options", "DENY"});
  r.headers.push_back({"Content-Security-Policy", content_security_policy()});
  return r;
}

http::Response html_response(int status, std::string html) {
  return secured(http::Response{status, "text/html; charset=utf-8", std::move(html), {}});
}

http::Response json_response(int status, std::string json) { return secured(http::Response::json(status, std::move(json))); }

http::Response redirect_response(int status, std::string location) {
  http::Response r{status, "text/plain; charset=utf-8", "", {}};
  r.headers.push_back({"Location", std::move(location)});
  return secured(std::move(r));
}

http::Response error_page(int status, std::string_view merchant, std::string_view what) {
  Bilingual title{"오류", "Error"};
  Bilingual text{"요청을 처리하지 못했습니다.", "The request could not be processed."};
  switch (status) {
    case 400:
      title = {"잘못된 요청", "Bad request"};
      text = {"요청을 처리할 수 없습니다. 받으신 메시지의 링크를 다시 열어 주세요.",
              "The request could not be processed. Please open the link in your message again."};
      break;
    case 404:
      if (what == "short") {
        title = {"찾을 수 없는 링크", "Link not found"};
        text = {"이 링크는 없거나 더 이상 사용할 수 없습니다.", "This link does not exist or is no longer available."};
      } else {
        title = {"유효하지 않은 링크", "Invalid link"};
        text = {"이 링크는 유효하지 않습니다. 받으신 메시지의 링크를 빠짐없이 열었는지 확인해 주세요.",
                "This link is not valid. Please check that you opened the whole link from your message."};
      }
      break;
    case 405:
      title = {"허용되지 않는 요청", "Method not allowed"};
      text = {"이 주소에서는 그 요청을 처리하지 않습니다.", "This address does not accept that request."};
      break;
    case 410:
      title = {"만료된 링크", "Link expired"};
      text = {"이 링크는 유효 기간이 지났습니다. 최근에 받으신 메시지의 링크를 이용해 주세요.",
              "This link has expired. Please use the link in a more recent message."};
      break;
    case 503:
      title = {"일시적인 오류", "Temporarily unavailable"};
      text = {"잠시 후 다시 시도해 주세요.", "Please try again in a moment."};
      break;
    default:
      break;
  }
  std::string content = "<h1>" + both(title, "ko") + "</h1><p>" + both(text, "ko") + "</p>";
  http::Response r = html_response(status, page_html("ko", title, merchant, content));
  if (status == 503) r.headers.push_back({"Retry-After", "1"});
  return r;
}

http::Response json_error(int status, std::string_view code, std::string_view message) {
  namespace json = boost::json;
  json::object inner{{"code", code}, {"message", message}};
  return json_response(status, json::serialize(json::object{{"error", std::move(inner)}}));
}

}  // namespace jarip::portal
