#include "portal/portal_views.hpp"

#include <boost/json.hpp>

#include "customers/directory.hpp"
#include "portal/inbox_view.hpp"
#include "portal/pages.hpp"
#include "text/kst.hpp"

namespace jarip::portal {

namespace json = boost::json;

namespace {

struct ChannelName {
  std::string ko, en;
};

ChannelName channel_name(std::string_view channel) {
  if (channel == "sms") return {"문자(SMS)", "text message (SMS)"};
  if (channel == "alimtalk") return {"카카오 알림톡", "KakaoTalk"};
  if (channel == "email") return {"이메일", "email"};
  if (channel == "push") return {"앱·웹 푸시", "push notification"};
  return {"모든 채널", "every channel"};
}

std::string date_of(TimeMs now) { return text::format_kst(now).substr(0, 10); }

std::string heading(const Bilingual& text, std::string_view locale) { return "<h1>" + both(text, locale) + "</h1>"; }
std::string paragraph(const Bilingual& text, std::string_view locale, const char* css = nullptr) {
  std::string open = css ? std::string("<p class=\"") + css + "\">" : std::string("<p>");
  return open + both(text, locale) + "</p>";
}

std::string cursor_of(const store::MessageRecord& m) { return std::to_string(m.created_ms) + "." + m.id; }

// Whether the customer now receives ads on `channel` (its own record deciding over "*"), or on any
// channel for "*".
bool has_granted_ad_consent(const customers::Customer& c, std::string_view channel) {
  if (channel != "*") {
    const customers::Consent* k = customers::applicable_consent(c, channel, "ad");
    return k && k->granted;
  }
  for (const auto& k : c.consents) {
    if (k.purpose == "ad" && k.granted) return true;
  }
  return false;
}

const Bilingual kInfoStays{"주문·배송 안내 같은 정보성 알림은 계속 받으십니다.",
                           "You will still receive service notices such as order and delivery updates."};

}  // namespace

std::string inbox_html(const InboxPage& page) {
  const std::string& lc = page.locale;
  std::string ko_unread = "읽지 않은 알림 " + std::to_string(page.unread) + "건";
  std::string en_unread = std::to_string(page.unread) + " unread";
  std::string out = heading({"알림함", "Your messages"}, lc) + paragraph({ko_unread, en_unread}, lc, "note");
  if (page.unread > 0) {
    // Relative to /i/{token}: stays right behind a path prefix of the public URL.
    out += "<form method=\"post\" action=\"" + html_escape(page.token) +
           "/read\"><input type=\"hidden\" name=\"all\" value=\"1\"><button type=\"submit\">" +
           both({"모두 읽음으로 표시", "Mark all as read"}, lc) + "</button></form>";
  }
  if (page.items.empty()) {
    out += paragraph(page.paged ? Bilingual{"더 이전 알림이 없습니다.", "No older messages."}
                                : Bilingual{"받은 알림이 없습니다.", "No messages yet."},
                     lc, "note");
  } else {
    out += "<ol class=\"messages\">";
    for (const auto& item : page.items) {
      InboxView view = inbox_view(item.message);
      bool unread = item.read_ms == 0;
      out += unread ? "<li class=\"unread\">" : "<li>";
      out += "<p class=\"meta\"><time datetime=\"" + text::format_kst(item.message.created_ms) + "\">" +
             kst_display(item.message.created_ms) + "</time>";
      if (unread) out += "<span class=\"badge\">" + std::string(lc == "en" ? "New" : "새 알림") + "</span>";
      out += "</p>";
      if (!view.title.empty()) out += "<h2>" + html_escape(view.title) + "</h2>";
      out += "<div class=\"body\">" + text_to_html(view.text) + "</div></li>";
    }
    out += "</ol>";
  }
  if (page.has_more && !page.items.empty()) {
    out += "<p><a href=\"?before=" + html_escape(url_encode(cursor_of(page.items.back().message))) + "\">" +
           both({"이전 알림 보기", "Older messages"}, lc) + "</a></p>";
  }
  if (page.paged) {
    out += "<p><a href=\"" + html_escape(page.token) + "\">" + both({"최근 알림으로", "Newest messages"}, lc) + "</a></p>";
  }
  // The inbox's unsubscribe action: a link to the page that asks first (a GET never unsubscribes).
  if (!page.unsubscribe_url.empty()) {
    out += "<p class=\"meta\"><a href=\"" + html_escape(page.unsubscribe_url) + "\">" +
           both({"광고성 정보 수신거부", "Stop advertising messages"}, lc) + "</a></p>";
  }
  return page_html(lc, {"알림함", "Your messages"}, page.merchant, out);
}

std::string inbox_json(const InboxPage& page) {
  json::array messages;
  for (const auto& item : page.items) {
    InboxView view = inbox_view(item.message);
    json::object o{{"id", item.message.id},
                   {"kind", item.message.kind},
                   {"title", view.title},
                   {"text", view.text},
                   {"created_at", text::format_kst(item.message.created_ms)},
                   {"read", item.read_ms != 0}};
    if (item.read_ms != 0) o["read_at"] = text::format_kst(item.read_ms);
    messages.push_back(std::move(o));
  }
  json::object body{{"merchant", page.merchant}, {"unread", page.unread}, {"messages", std::move(messages)}};
  if (page.has_more && !page.items.empty()) body["next_before"] = cursor_of(page.items.back().message);
  return json::serialize(body);
}

std::string unsubscribe_html(const ConsentPage& page) {
  const std::string& lc = page.customer.locale;
  ChannelName ch = channel_name(page.channel);
  std::string ko = page.merchant + "의 " + ch.ko + " 광고성 정보 수신을 거부합니다.";
  std::string en = "Stop advertising messages from " + page.merchant + " by " + ch.en + ".";
  if (page.merchant.empty()) {
    ko = ch.ko + " 광고성 정보 수신을 거부합니다.";
    en = "Stop advertising messages by " + ch.en + ".";
  }
  std::string out = heading({"광고성 정보 수신 거부", "Stop advertising messages"}, lc) + paragraph({ko, en}, lc) +
                    paragraph(kInfoStays, lc, "note");
  if (!has_granted_ad_consent(page.customer, page.channel)) {
    out += paragraph({"현재 광고성 정보 수신에 동의하지 않은 상태입니다.", "You do not receive advertising messages now."}, lc,
                     "note");
  }
  out += "<form method=\"post\" action=\"" + html_escape(page.token) +
         "\"><input type=\"hidden\" name=\"confirm\" value=\"yes\"><button type=\"submit\">" +
         both({"수신 거부", "Unsubscribe"}, lc) + "</button></form>";
  return page_html(lc, {"광고성 정보 수신 거부", "Stop advertising messages"}, page.merchant, out);
}

std::string reconfirm_html(const ConsentPage& page) {
  const std::string& lc = page.customer.locale;
  std::string out = heading({"광고성 정보 수신 동의 확인", "Confirm your advertising consent"}, lc);
  std::string list;
  for (const auto& k : page.customer.consents) {
    if (!k.granted || (k.purpose != "ad" && k.purpose != "ad_night")) continue;
    ChannelName ch = channel_name(k.channel);
    bool night = k.purpose == "ad_night";
    std::string since = k.at.size() >= 10 ? k.at.substr(0, 10) : std::string();
    std::string ko = ch.ko + (night ? " 야간(21시~08시) 광고" : " 광고") + (since.empty() ? "" : " (" + since + " 동의)");
    std::string en = (night ? "night-time (21:00-08:00) advertising by " : "advertising by ") + ch.en +
                     (since.empty() ? "" : " (since " + since + ")");
    list += "<li>" + both({ko, en}, lc) + "</li>";
  }
  if (list.empty()) {
    out += paragraph({"현재 광고성 정보 수신에 동의하지 않은 상태이므로 확인할 동의가 없습니다.",
                      "You do not receive advertising messages now, so there is no consent to confirm."},
                     lc);
    return page_html(lc, {"광고성 정보 수신 동의 확인", "Confirm your advertising consent"}, page.merchant, out);
  }
  out += paragraph({"광고성 정보 수신 동의를 유지하시겠습니까?", "Do you want to keep receiving advertising messages?"}, lc);
  out += "<ul>" + list + "</ul>";
  out += paragraph({"정보통신망법에 따라 2년마다 광고성 정보 수신 동의 여부를 확인합니다.",
                    "Korean law asks us to confirm your consent to advertising every two years."},
                   lc, "note");
  out += "<form method=\"post\" action=\"" + html_escape(page.token) +
         "\"><button type=\"submit\" name=\"answer\" value=\"yes\">" +
         both({"예, 계속 받겠습니다", "Yes, keep sending them"}, lc) +
         "</button><button type=\"submit\" name=\"answer\" value=\"no\">" +
         both({"아니요, 그만 받겠습니다", "No, stop them"}, lc) + "</button></form>";
  return page_html(lc, {"광고성 정보 수신 동의 확인", "Confirm your advertising consent"}, page.merchant, out);
}

std::string unsubscribed_html(const AnsweredPage& page) {
  const std::string& lc = page.customer.locale;
  ChannelName ch = channel_name(page.channel);
  std::string date = date_of(page.now);
  std::string ko = ch.ko + " 광고성 정보 수신 거부가 처리되었습니다 (" + date + ").";
  std::string en = "You will no longer receive advertising messages by " + ch.en + " (since " + date + ").";
  std::string out = heading({"수신 거부 완료", "Unsubscribed"}, lc) + paragraph({ko, en}, lc) + paragraph(kInfoStays, lc, "note");
  return page_html(lc, {"수신 거부 완료", "Unsubscribed"}, page.merchant, out);
}

std::string renewed_html(const AnsweredPage& page) {
  const std::string& lc = page.customer.locale;
  std::string date = date_of(page.now);
  std::string out = heading({"수신 동의 유지", "Consent kept"}, lc);
  if (!has_granted_ad_consent(page.customer, "*")) {
    out += paragraph({"유지할 광고성 정보 수신 동의가 없습니다.", "You have no advertising consent to keep."}, lc);
  } else {
    out += paragraph({"광고성 정보 수신 동의가 유지되었습니다 (" + date + "). 언제든지 수신을 거부하실 수 있습니다.",
                      "Your consent to advertising messages is kept (" + date + "). You can unsubscribe at any time."},
                     lc);
  }
  return page_html(lc, {"수신 동의 유지", "Consent kept"}, page.merchant, out);
}

std::string declined_html(const AnsweredPage& page) {
  const std::string& lc = page.customer.locale;
  std::string date = date_of(page.now);
  std::string out = heading({"수신 거부 완료", "Unsubscribed"}, lc) +
                    paragraph({"광고성 정보 수신 거부가 처리되었습니다 (" + date + ").",
                               "You will no longer receive advertising messages (since " + date + ")."},
                              lc) +
                    paragraph(kInfoStays, lc, "note");
  return page_html(lc, {"수신 거부 완료", "Unsubscribed"}, page.merchant, out);
}

}  // namespace jarip::portal
