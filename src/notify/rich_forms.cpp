#include "notify/rich_forms.hpp"

#include <boost/json.hpp>

#include "channels/email/mime.hpp"

namespace jarip::notify {

namespace json = boost::json;

namespace {

struct Renderer {
  const RichFormInput& in;
  std::string field() const { return in.forms ? "vars" : "text"; }

  Result<std::string> render(const std::string& text) const {
    if (!in.forms || !in.vars) return text;
    auto out = text::render_template(text, *in.vars);
    if (!out) return make_error(out.error().code, out.error().message, "vars");
    return out;
  }

  Result<std::string> render_html(const std::string& html) const {
    if (!in.vars) return html;
    text::TemplateVars escaped;
    for (auto& [name, value] : *in.vars) escaped.emplace(name, channels::email::html_escape(value));
    auto out = text::render_template(html, escaped);
    if (!out) return make_error(out.error().code, out.error().message, "vars");
    return out;
  }

  // The body when the channel has no form of its own.
  std::string fallback_body() const { return in.forms ? in.fallback_text : in.raw_text; }

  // The title when the channel's form gives none: the request's subject, the SMS subject, the
  // merchant's name, else a plain word.
  std::string fallback_title() const {
    if (!in.subject.empty()) return in.subject;
    if (!in.fallback_subject.empty()) return in.fallback_subject;
    if (!in.sender_name.empty()) return in.sender_name;
    return in.locale == "en" ? "Notice" : "알림";
  }

  std::string with_ad_mark(const std::string& title) const {
    return channels::email::ad_subject(title, in.advertisement ? channels::email::MessageKind::ad
                                                               : channels::email::MessageKind::info);
  }

  Status one_line(const std::string& value, const std::string& what) const {
    if (value.find_first_of("\r\n") != std::string::npos) {
      return make_error("header_injection", what + " must be one line (a variable holds a line break)",
                        in.forms ? "vars" : "subject");
    }
    return {};
  }
};

}  // namespace

Status render_rich_forms(const RichFormInput& in, bool want_email, bool want_push, bool want_inbox, json::object& forms) {
  Renderer r{in};
  const LocaleForms* f = in.forms;
  if (want_email) {
    std::string subject, body, html;
    if (f && f->email) {
      JARIP_TRY_ASSIGN(subject, r.render(f->email->subject));
      JARIP_TRY_ASSIGN(body, r.render(f->email->text));
      if (!f->email->html.empty()) JARIP_TRY_ASSIGN(html, r.render_html(f->email->html));
    } else {
      subject = r.fallback_title();
      body = r.fallback_body();
    }
    if (auto st = r.one_line(subject, "the email subject"); !st) return st;
    if (!body.empty()) {
      forms["email"] = json::object{{"subject", r.with_ad_mark(subject)}, {"text", body}, {"html", html}};
    }
  }
  if (want_push) {
    std::string title, body, url;
    if (f && f->push) {
      JARIP_TRY_ASSIGN(title, r.render(f->push->title));
      JARIP_TRY_ASSIGN(body, r.render(f->push->body));
      JARIP_TRY_ASSIGN(url, r.render(f->push->url));
      if (!url.empty() && url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
        return make_error("invalid_value", "the push link must be an http(s) URL", "vars");
      }
    } else {
      title = r.fallback_title();
      body = r.fallback_body();
    }
    title = r.with_ad_mark(title);
    if (title.size() + body.size() + url.size() > kMaxPushContentBytes) {
      return make_error("payload_too_large",
                        "a push notification holds at most " + std::to_string(kMaxPushContentBytes) +
                            " bytes of title, body and link",
                        r.field());
    }
    if (!body.empty()) forms["push"] = json::object{{"title", title}, {"body", body}, {"url", url}};
  }
  if (want_inbox) {
    std::string title, body;
    if (f && f->inbox) {
      JARIP_TRY_ASSIGN(title, r.render(f->inbox->title));
      JARIP_TRY_ASSIGN(body, r.render(f->inbox->text));
    } else {
      title = f && f->email ? "" : r.fallback_title();
      body = r.fallback_body();
      if (f && f->email) {
        JARIP_TRY_ASSIGN(title, r.render(f->email->subject));
        JARIP_TRY_ASSIGN(body, r.render(f->email->text));
      }
    }
    if (title.empty()) title = r.fallback_title();
    if (!body.empty()) forms["inbox"] = json::object{{"title", r.with_ad_mark(title)}, {"text", body}};
  }
  return {};
}

}  // namespace jarip::notify
