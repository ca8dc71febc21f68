// The status page as HTML. No inline script or style (the CSP forbids both): the look is
// status.css, the self-refresh status.js; every text from data goes through html_escape.
#include <algorithm>
#include <cstdio>

#include "status/render_common.hpp"
#include "text/html.hpp"
#include "text/kst.hpp"

namespace jarip::status {

using text::html_escape;

namespace detail {

std::vector<const store::StatusNoticeRecord*> ordered_notices(const std::vector<store::StatusNoticeRecord>& notices) {
  std::vector<const store::StatusNoticeRecord*> out;
  for (auto& n : notices) out.push_back(&n);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) {
    bool open_a = a->resolved_ms == 0, open_b = b->resolved_ms == 0;
    if (open_a != open_b) return open_a;
    TimeMs ka = open_a ? a->created_ms : a->resolved_ms, kb = open_b ? b->created_ms : b->resolved_ms;
    if (ka != kb) return ka > kb;
    return a->id < b->id;
  });
  return out;
}

UrlParts split_public_url(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return {"", ""};
  auto slash = url.find('/', scheme + 3);
  if (slash == std::string_view::npos) return {std::string(url), ""};
  return {std::string(url.substr(0, slash)), std::string(url.substr(slash))};
}

}  // namespace detail

namespace {

struct Words {
  const char* title;
  const char* headline_operational;
  const char* headline_degraded;
  const char* headline_down;
  const char* last_change;
  const char* open_notices;
  const char* channels;
  const char* resolved;
  const char* none_resolved;
  const char* started;
  const char* resolved_at;
  const char* updated;
  const char* times_note;
  const char* feed;
  const char* other_lang;
  const char* other_lang_code;
  const char* channel_label;
};

constexpr Words kKo{"알림 발송 상태",
                    "모든 알림이 정상적으로 발송되고 있습니다",
                    "일부 알림이 지연되고 있습니다",
                    "알림 발송이 원활하지 않습니다",
                    "마지막 변경",
                    "진행 중인 안내",
                    "채널별 상태",
                    "최근 7일 동안 해결된 안내",
                    "최근 7일 동안 해결된 안내가 없습니다.",
                    "시작",
                    "해결",
                    "갱신",
                    "시간은 한국 표준시(KST)입니다.",
                    "Atom 피드",
                    "English",
                    "en",
                    "채널"};
constexpr Words kEn{"Notification status",
                    "All notifications are being delivered normally",
                    "Some notifications are delayed",
                    "Notifications are not getting through",
                    "Last change",
                    "Current notices",
                    "Channels",
                    "Resolved in the last 7 days",
                    "No notices were resolved in the last 7 days.",
                    "Started",
                    "Resolved",
                    "Updated",
                    "Times are Korea Standard Time (KST).",
                    "Atom feed",
                    "한국어",
                    "ko",
                    "Channel"};

// The CSP a plain web server does not send for the static copy; frame-ancestors has no effect in a
// <meta> and is left out.
constexpr std::string_view kMetaCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'";

void notice_html(std::string& out, const store::StatusNoticeRecord& n, bool en, const Words& w) {
  const std::string& title = en ? detail::either(n.title_en, n.title_ko) : detail::either(n.title_ko, n.title_en);
  const std::string& body = en ? detail::either(n.body_en, n.body_ko) : detail::either(n.body_ko, n.body_en);
  Bilingual sev = severity_label(n.severity);
  // The severity goes into a class name: only the three known values, never the stored text.
  std::string sev_class = n.severity == "outage" ? "outage" : n.severity == "degraded" ? "degraded" : "info";
  out += "<li class=\"notice sev-" + sev_class + (n.resolved_ms ? " resolved" : "") + "\">";
  out += "<h3><span class=\"sev\">" + html_escape(en ? sev.en : sev.ko) + "</span> " + html_escape(title) + "</h3>";
  if (!body.empty()) out += "<p class=\"body\">" + html_escape(body) + "</p>";
  out += "<p class=\"meta\">";
  if (!n.channel.empty()) {
    Bilingual ch = channel_name(n.channel);
    out += html_escape(w.channel_label) + " " + html_escape(en ? ch.en : ch.ko) + " · ";
  }
  out += html_escape(w.started) + " <time>" + kst_label(n.created_ms) + "</time>";
  if (n.resolved_ms) {
    out += " · " + html_escape(w.resolved_at) + " <time>" + kst_label(n.resolved_ms) + "</time>";
  } else if (n.updated_ms > n.created_ms) {
    out += " · " + html_escape(w.updated) + " <time>" + kst_label(n.updated_ms) + "</time>";
  }
  out += "</p></li>";
}

const char* state_class(std::string_view state) {
  return state == kDown ? "down" : state == kDegraded ? "degraded" : "operational";
}

}  // namespace

std::string kst_label(TimeMs time) {
  text::KstTime k = text::to_kst(time);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d %02d:%02d KST", static_cast<long long>(k.year), k.month, k.day,
                k.hour, k.minute);
  return buf;
}

PageLinks live_links(std::string_view public_url) {
  std::string p = detail::split_public_url(public_url).path;
  return PageLinks{p + "/status/status.css", p + "/status/status.js",      p + "/status.json",
                   p + "/status/feed.atom",  p + "/status?lang=ko",        p + "/status?lang=en",
                   p + "/status/banner.js",  false};
}

PageLinks static_links() {
  return PageLinks{"status.css", "status.js", "status.json", "feed.atom", "index.html", "index.en.html", "banner.js",
                   true};
}

std::string render_html(const StatusSnapshot& s, std::string_view lang, const PageLinks& links) {
  bool en = lang == "en";
  const Words& w = en ? kEn : kKo;
  std::string out = "<!DOCTYPE html>\n<html lang=\"";
  out += en ? "en" : "ko";
  out += "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  if (links.static_copy) out += "<meta http-equiv=\"Content-Security-Policy\" content=\"" + html_escape(kMetaCsp) + "\">";
  out += "<title>";
  if (!s.merchant.empty()) out += html_escape(s.merchant) + " · ";
  out += html_escape(w.title);
  out += "</title><link rel=\"stylesheet\" href=\"" + html_escape(links.stylesheet) + "\">";
  out += "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"" + html_escape(links.feed) + "\">";
  out += "<link rel=\"alternate\" hreflang=\"" + std::string(w.other_lang_code) + "\" href=\"" +
         html_escape(en ? links.page_ko : links.page_en) + "\">";
  // status.js reloads the page when status.json's version differs from the one rendered here.
  out += "<script src=\"" + html_escape(links.script) + "\" defer data-json=\"" + html_escape(links.json) +
         "\" data-version=\"" + html_escape(content_version(s)) + "\"></script>";
  out += "</head><body class=\"state-" + std::string(state_class(s.state)) + "\">";

  out += "<header class=\"top\"><div>";
  if (!s.merchant.empty()) out += "<p class=\"merchant\">" + html_escape(s.merchant) + "</p>";
  out += "<h1>" + html_escape(w.title) + "</h1></div>";
  out += "<a class=\"lang\" href=\"" + html_escape(en ? links.page_ko : links.page_en) + "\" hreflang=\"" +
         w.other_lang_code + "\" lang=\"" + w.other_lang_code + "\">" + html_escape(w.other_lang) + "</a></header>";

  out += "<main><section class=\"overall state-" + std::string(state_class(s.state)) + "\"><p class=\"headline\">";
  out += html_escape(s.state == kDown       ? w.headline_down
                     : s.state == kDegraded ? w.headline_degraded
                                            : w.headline_operational);
  out += "</p>";
  if (s.generated_ms) {
    out += "<p class=\"updated\">" + html_escape(w.last_change) + " <time>" + kst_label(s.generated_ms) + "</time></p>";
  }
  out += "</section>";

  auto notices = detail::ordered_notices(s.notices);
  bool any_open = std::any_of(notices.begin(), notices.end(), [](auto* n) { return n->resolved_ms == 0; });
  if (any_open) {
    out += "<section class=\"open\"><h2>" + html_escape(w.open_notices) + "</h2><ul class=\"notices\">";
    for (auto* n : notices) {
      if (n->resolved_ms == 0) notice_html(out, *n, en, w);
    }
    out += "</ul></section>";
  }

  if (!s.channels.empty()) {
    out += "<section><h2>" + html_escape(w.channels) + "</h2><ul class=\"channels\">";
    for (auto& c : s.channels) {
      Bilingual name = channel_name(c.channel), label = state_label(c.state);
      out += "<li class=\"channel state-" + std::string(state_class(c.state)) + "\"><span class=\"name\">" +
             html_escape(en ? name.en : name.ko) + "</span><span class=\"badge\">" + html_escape(en ? label.en : label.ko) +
             "</span></li>";
    }
    out += "</ul></section>";
  }

  out += "<section class=\"history\"><h2>" + html_escape(w.resolved) + "</h2>";
  if (std::all_of(notices.begin(), notices.end(), [](auto* n) { return n->resolved_ms == 0; })) {
    out += "<p class=\"empty\">" + html_escape(w.none_resolved) + "</p>";
  } else {
    out += "<ul class=\"notices\">";
    for (auto* n : notices) {
      if (n->resolved_ms != 0) notice_html(out, *n, en, w);
    }
    out += "</ul>";
  }
  out += "</section></main>";

  out += "<footer><p>" + html_escape(w.times_note) + "</p><p><a href=\"" + html_escape(links.json) +
         "\">status.json</a> · <a href=\"" + html_escape(links.feed) + "\">" + html_escape(w.feed) + "</a></p></footer>";
  out += "</body></html>\n";
  return out;
}

}  // namespace jarip::status
