// status.json and the Atom feed (RFC 4287).
#include <boost/json.hpp>

#include <algorithm>

#include "common/crypto.hpp"
#include "status/render_common.hpp"
#include "text/html.hpp"
#include "text/kst.hpp"
#include "text/utf8.hpp"

namespace jarip::status {

namespace json = boost::json;

namespace {

json::object bilingual(const Bilingual& b) { return json::object{{"ko", b.ko}, {"en", b.en}}; }

json::value time_or_null(TimeMs t) {
  if (t == 0) return nullptr;
  return json::value(text::format_kst(t));
}

// Everything but the generation time, so that nodes rendering the same status agree on it.
json::object content_json(const StatusSnapshot& s) {
  json::array channels;
  for (auto& c : s.channels) {
    channels.push_back(json::object{{"channel", c.channel},
                                    {"name", bilingual(channel_name(c.channel))},
                                    {"state", c.state},
                                    {"state_label", bilingual(state_label(c.state))}});
  }
  json::array notices;
  for (auto* n : detail::ordered_notices(s.notices)) {
    notices.push_back(json::object{{"id", n->id},
                                   {"kind", n->kind},
                                   {"channel", n->channel},
                                   {"severity", n->severity},
                                   {"title", json::object{{"ko", n->title_ko}, {"en", n->title_en}}},
                                   {"body", json::object{{"ko", n->body_ko}, {"en", n->body_en}}},
                                   {"open", n->resolved_ms == 0},
                                   {"created_at", time_or_null(n->created_ms)},
                                   {"updated_at", time_or_null(n->updated_ms)},
                                   {"resolved_at", time_or_null(n->resolved_ms)},
                                   {"created_ms", n->created_ms},
                                   {"updated_ms", n->updated_ms},
                                   {"resolved_ms", n->resolved_ms}});
  }
  return json::object{{"merchant", s.merchant},
                      {"state", s.state},
                      {"state_label", bilingual(state_label(s.state))},
                      {"channels", std::move(channels)},
                      {"notices", std::move(notices)}};
}

// Escaped for XML 1.0, dropping what XML cannot carry at all (C0 controls other than tab, LF and
// CR, U+FFFE/U+FFFF, malformed UTF-8), so that an odd title cannot make the whole feed unreadable.
std::string xml_text(std::string_view in) {
  std::string clean;
  clean.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    auto step = text::decode_utf8_step(in, i);
    char32_t cp = step.code_point;
    bool keep = !step.reason && (cp >= 0x20 || cp == '\t' || cp == '\n' || cp == '\r') && cp != 0xFFFE && cp != 0xFFFF;
    if (keep) clean.append(in.substr(i, step.length));
    i += step.length;
  }
  return text::html_escape(clean);
}

std::string absolute(const StatusSnapshot& s, const std::string& link) {
  if (link.empty() || link.front() != '/') return link;
  return detail::split_public_url(s.public_url).origin + link;
}

std::string notice_text(const store::StatusNoticeRecord& n, bool en) {
  const std::string& title = en ? n.title_en : n.title_ko;
  const std::string& body = en ? n.body_en : n.body_ko;
  if (title.empty() && body.empty()) return {};
  Bilingual sev = severity_label(n.severity);
  std::string out = "[" + (en ? sev.en : sev.ko) + "] " + title;
  if (!body.empty()) out += "\n" + body;
  out += "\n" + std::string(en ? "Started " : "시작 ") + kst_label(n.created_ms);
  if (n.resolved_ms) out += std::string(en ? " · Resolved " : " · 해결 ") + kst_label(n.resolved_ms);
  return out;
}

}  // namespace

std::string content_version(const StatusSnapshot& s) {
  return crypto::to_hex(crypto::sha256(json::serialize(content_json(s)))).substr(0, 16);
}

std::string render_json(const StatusSnapshot& s) {
  json::object content = content_json(s);
  json::object out{{"merchant", s.merchant},
                   {"version", content_version(s)},
                   {"generated_at", time_or_null(s.generated_ms)},
                   {"generated_ms", s.generated_ms}};
  for (auto& [key, value] : content) {
    if (key != "merchant") out[key] = std::move(value);
  }
  return json::serialize(out);
}

std::string render_atom(const StatusSnapshot& s, const PageLinks& links) {
  std::string self = absolute(s, links.feed), page = absolute(s, links.page_ko);
  auto url = detail::split_public_url(s.public_url);
  // The feed id must never change: the public URL's feed address when known, else a fixed URN.
  std::string feed_id = url.origin.empty() ? "urn:jarip:status" : url.origin + url.path + "/status/feed.atom";
  TimeMs updated = s.generated_ms;
  for (auto& n : s.notices) updated = std::max({updated, n.updated_ms, n.created_ms, n.resolved_ms});
  std::string title = (s.merchant.empty() ? std::string() : s.merchant + " · ") + "알림 발송 상태 / Notification status";

  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"ko\">\n";
  out += "  <id>" + xml_text(feed_id) + "</id>\n";
  out += "  <title>" + xml_text(title) + "</title>\n";
  out += "  <updated>" + text::format_kst(updated) + "</updated>\n";
  out += "  <link rel=\"self\" type=\"application/atom+xml\" href=\"" + xml_text(self) + "\"/>\n";
  out += "  <link rel=\"alternate\" type=\"text/html\" href=\"" + xml_text(page) + "\"/>\n";
  // RFC 4287 §4.1.1: a feed names an author unless every entry does.
  out += "  <author><name>" + xml_text(s.merchant.empty() ? "jarip" : s.merchant) + "</name></author>\n";
  out += "  <generator>jarip</generator>\n";
  for (auto* n : detail::ordered_notices(s.notices)) {
    std::string entry_title = detail::either(n->title_ko, n->title_en);
    if (!n->title_ko.empty() && !n->title_en.empty() && n->title_en != n->title_ko) entry_title += " / " + n->title_en;
    if (n->resolved_ms) entry_title = "(해결됨 · Resolved) " + entry_title;
    std::string content = notice_text(*n, false);
    std::string en = notice_text(*n, true);
    if (!en.empty()) content += (content.empty() ? "" : "\n\n") + en;
    out += "  <entry>\n";
    out += "    <id>urn:jarip:notice:" + xml_text(n->id) + "</id>\n";
    out += "    <title>" + xml_text(entry_title) + "</title>\n";
    out += "    <published>" + text::format_kst(n->created_ms) + "</published>\n";
    out += "    <updated>" + text::format_kst(std::max({n->updated_ms, n->created_ms, n->resolved_ms})) + "</updated>\n";
    out += "    <link rel=\"alternate\" type=\"text/html\" href=\"" + xml_text(page) + "\"/>\n";
    out += "    <content type=\"text\">" + xml_text(content) + "</content>\n";
    out += "  </entry>\n";
  }
  out += "</feed>\n";
  return out;
}

std::string banner_data_js(std::string_view status_json) {
  // JSON is a JavaScript expression (U+2028/U+2029 included since ES2019), and an external script
  // is never parsed as HTML, so the document goes in as it is.
  return "window.jaripStatusBanner && window.jaripStatusBanner.receive && window.jaripStatusBanner.receive(" +
         std::string(status_json) + ");\n";
}

std::shared_ptr<const RenderedStatus> render_all(StatusSnapshot snapshot) {
  auto out = std::make_shared<RenderedStatus>();
  PageLinks links = live_links(snapshot.public_url);
  out->json = render_json(snapshot);
  out->html_ko = render_html(snapshot, "ko", links);
  out->html_en = render_html(snapshot, "en", links);
  out->atom = render_atom(snapshot, links);
  out->snapshot = std::move(snapshot);
  return out;
}

}  // namespace jarip::status
