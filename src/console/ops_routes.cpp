// What operations staff use during an outage: the health board (and its live stream), message search
// and timelines, sending a notice, templates, providers and chains, staff alerts and status notices.
#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "common/crypto.hpp"
#include "console/console_impl.hpp"
#include "console/operators.hpp"
#include "customers/directory.hpp"
#include "http/event_stream.hpp"
#include "notify/api.hpp"
#include "notify/compose.hpp"
#include "notify/engine.hpp"
#include "notify/recipients.hpp"
#include "notify/templates.hpp"
#include "text/kst.hpp"
#include "text/phone.hpp"

namespace jarip::console {

namespace {

constexpr int kViewer = 0;
constexpr int kAgent = 1;
constexpr int kAdmin = 2;

// RFC 3339 text or milliseconds; 0 when empty; nullopt when malformed.
std::optional<TimeMs> time_param(const std::string& text) {
  if (text.empty()) return TimeMs{0};
  if (text.find_first_not_of("0123456789") == std::string::npos && text.size() <= 15) {
    return static_cast<TimeMs>(std::strtoll(text.c_str(), nullptr, 10));
  }
  return text::parse_rfc3339(text);
}

void mask_recipient(json::value& recipient) {
  if (!recipient.is_object()) return;
  if (auto* phone = recipient.as_object().if_contains("phone"); phone && phone->is_string()) {
    *phone = text::mask_phone(std::string(phone->as_string()));
  }
}

json::object message_summary(const store::MessageRecord& m, bool mask) {
  boost::system::error_code ec;
  json::value recipient = json::parse(m.recipient_json, ec);
  if (ec || !recipient.is_object()) recipient = json::object{};
  recipient.as_object().erase("push_subscriptions");
  if (mask) mask_recipient(recipient);
  return json::object{{"id", m.id},
                      {"created_ms", m.created_ms},
                      {"created", text::format_kst_ms(m.created_ms)},
                      {"state", m.state},
                      {"kind", m.kind},
                      {"recipient", std::move(recipient)},
                      {"template", m.template_name},
                      {"delivered_via", m.delivered_via},
                      {"final_code", m.final_code},
                      {"step", m.step}};
}

// The API calls template variables "vars"; the console's page may say "variables", and omits empty
// optional fields.
json::object message_fields(json::object body) {
  if (auto* v = body.if_contains("variables")) {
    if (!body.contains("vars")) body["vars"] = *v;
    body.erase("variables");
  }
  for (const char* key : {"template", "text", "locale", "subject"}) {
    if (auto* v = body.if_contains(key); v && (v->is_null() || (v->is_string() && v->as_string().empty()))) body.erase(key);
  }
  if (auto* v = body.if_contains("vars"); v && v->is_object() && v->as_object().empty()) body.erase("vars");
  return body;
}

json::object notice_json(const store::StatusNoticeRecord& n) {
  return json::object{{"id", n.id},           {"kind", n.kind},       {"channel", n.channel},
                      {"severity", n.severity}, {"title_ko", n.title_ko}, {"title_en", n.title_en},
                      {"body_ko", n.body_ko},   {"body_en", n.body_en},   {"created_ms", n.created_ms},
                      {"updated_ms", n.updated_ms}, {"resolved_ms", n.resolved_ms}};
}

json::object alert_json(const store::StaffAlertRecord& a, const std::string& locale) {
  boost::system::error_code ec;
  json::value delivery = json::parse(a.delivery_json, ec);
  if (ec) delivery = json::array{};
  return json::object{{"id", a.id},
                      {"kind", a.kind},
                      {"subject", a.subject},
                      {"severity", a.severity},
                      {"text", locale == "en" ? a.text_en : a.text_ko},
                      {"text_ko", a.text_ko},
                      {"text_en", a.text_en},
                      {"created_ms", a.created_ms},
                      {"created", text::format_kst_ms(a.created_ms)},
                      {"acknowledged_by", a.acknowledged_by},
                      {"acknowledged_ms", a.acknowledged_ms},
                      {"delivery", std::move(delivery)}};
}

// Checks a notice's fields from the body into n; Error "invalid_request" naming the field.
Status apply_notice_fields(const json::object& body, store::StatusNoticeRecord& n, bool creating) {
  auto text_field = [&](const char* key, std::string& out, std::size_t max, bool required) -> Status {
    auto* v = body.if_contains(key);
    if (!v) {
      if (required && creating) return make_error("invalid_request", std::string(key) + " is required", key);
      return {};
    }
    if (!v->is_string() || v->as_string().size() > max || (required && v->as_string().empty())) {
      return make_error("invalid_request", std::string(key) + " must be text of " + std::to_string(max) + " bytes at most", key);
    }
    out = std::string(v->as_string());
    return {};
  };
  if (auto s = text_field("title_ko", n.title_ko, 300, true); !s) return s;
  if (auto s = text_field("title_en", n.title_en, 300, false); !s) return s;
  if (auto s = text_field("body_ko", n.body_ko, 3000, false); !s) return s;
  if (auto s = text_field("body_en", n.body_en, 3000, false); !s) return s;
  std::string severity = n.severity;
  if (auto s = text_field("severity", severity, 20, false); !s) return s;
  if (severity != "info" && severity != "degraded" && severity != "outage") {
    return make_error("invalid_request", "severity must be info, degraded or outage", "severity");
  }
  n.severity = severity;
  std::string channel = n.channel;
  if (auto s = text_field("channel", channel, 20, false); !s) return s;
  if (!channel.empty() && !notify::is_chain_channel(channel)) {
    return make_error("invalid_request", "channel must be alimtalk, sms, email, push or inbox", "channel");
  }
  n.channel = channel;
  return {};
}

}  // namespace

bool Console::Impl::ops_routes(const http::Request& request, const http::Responder& respond) {
  const std::string& p = request.path;
  const std::string& m = request.method;
  TimeMs now = deps.clock.now_ms();
  auto self = shared_from_this();
  auto method_is = [&](const char* want) {
    if (m == want) return true;
    fail(respond, make_error("method_not_allowed", std::string("use ") + want));
    return false;
  };

  // ---- board ----
  if (p == "/console/api/board") {
    if (method_is("GET")) {
      with_caller(request, respond, Access{kViewer}, [self, respond](Caller) {
        respond(json_response(200, self->deps.board()));
      });
    }
    return true;
  }
  if (p == "/console/api/events") {
    if (method_is("GET")) events(request, respond);
    return true;
  }

  // ---- messages ----
  if (p == "/console/api/messages") {
    if (!method_is("GET")) return true;
    store::MessageQuery q;
    q.id = request.query_param("id").substr(0, 64);
    q.template_name = request.query_param("template").substr(0, 100);
    q.state = request.query_param("state").substr(0, 20);
    std::string recipient = request.query_param("recipient");
    if (!recipient.empty()) {
      if (recipient.find('@') != std::string::npos) {
        auto email = normalize_email(recipient);
        if (!email) return fail(respond, make_error("invalid_request", "recipient is no phone number or email address", "recipient")), true;
        q.recipient = *email;
      } else {
        auto phone = text::normalize_mobile(recipient, "recipient");
        if (!phone) return fail(respond, make_error("invalid_request", phone.error().message, "recipient")), true;
        q.recipient = phone->domestic;
      }
    }
    auto from = time_param(request.query_param("from"));
    auto to = time_param(request.query_param("to"));
    if (!from || !to) return fail(respond, make_error("invalid_request", "from and to are RFC 3339 times or milliseconds", !from ? "from" : "to")), true;
    q.created_from_ms = *from;
    q.created_to_ms = *to;
    std::string before = request.query_param("before");
    if (!before.empty()) {
      auto colon = before.find(':');
      if (colon == std::string::npos) return fail(respond, make_error("invalid_request", "before is the next cursor of an earlier page", "before")), true;
      q.before_created_ms = std::strtoll(before.substr(0, colon).c_str(), nullptr, 10);
      q.before_id = before.substr(colon + 1, 64);
    }
    long limit = std::strtol(request.query_param("limit").c_str(), nullptr, 10);
    q.limit = limit <= 0 || limit > 200 ? 50 : static_cast<int>(limit);
    with_caller(request, respond, Access{kViewer}, [self, respond, q](Caller c) {
      bool mask = c.op.role == "viewer";
      self->deps.store.read([respond, q, mask](store::StoreSession& s) {
        auto rows = s.search_messages(q);
        if (!rows) return fail(respond, rows.error());
        json::array list;
        for (auto& r : *rows) list.push_back(message_summary(r, mask));
        json::value next = nullptr;
        if (static_cast<int>(rows->size()) == q.limit) {
          next = std::to_string(rows->back().created_ms) + ":" + rows->back().id;
        }
        respond(json_response(200, json::object{{"messages", std::move(list)}, {"next", next}}));
      });
    });
    return true;
  }
  if (p.rfind("/console/api/messages/", 0) == 0) {
    if (!method_is("GET")) return true;
    std::string id = p.substr(std::string("/console/api/messages/").size());
    with_caller(request, respond, Access{kViewer}, [self, respond, id](Caller c) {
      http::Request inner;
      inner.method = "GET";
      inner.path = inner.target = "/v1/messages/" + id;
      bool mask = c.op.role == "viewer";
      self->deps.api.handle_trusted(c.key_id(), std::move(inner), [respond, mask](http::Response r) {
        if (r.status != 200) return respond(std::move(r));
        boost::system::error_code ec;
        json::value doc = json::parse(r.body, ec);
        if (ec || !doc.is_object()) return respond(std::move(r));
        if (mask) mask_recipient(doc.as_object()["recipient"]);
        json::value attempts = doc.as_object()["attempts"];
        doc.as_object().erase("attempts");
        respond(json_response(200, json::object{{"message", std::move(doc)}, {"attempts", std::move(attempts)}}));
      });
    });
    return true;
  }

  // ---- send ----
  if (p == "/console/api/send/preview") {
    if (!method_is("POST")) return true;
    auto body = body_object(request);
    if (!body) return fail(respond, body.error()), true;
    with_caller(request, respond, Access{kAgent}, [self, respond, body = *body](Caller c) {
      json::object message = message_fields(body);
      message.erase("audience");
      auto preview = self->deps.api.preview(message, c.key_id());
      if (!preview) return fail(respond, preview.error());
      (*preview)["now_kst"] = text::format_kst_ms(self->deps.clock.now_ms());
      respond(json_response(200, *preview));
    });
    return true;
  }
  if (p == "/console/api/send") {
    if (!method_is("POST")) return true;
    auto body = body_object(request);
    if (!body) return fail(respond, body.error()), true;
    std::string idempotency(request.header("Idempotency-Key").substr(0, 100));
    with_caller(request, respond, Access{kAgent}, [self, respond, body = message_fields(*body), idempotency, now](Caller c) {
      self->send(c, body, idempotency, respond, now);
    });
    return true;
  }

  // ---- templates ----
  if (p == "/console/api/templates/preview") {
    if (!method_is("POST")) return true;
    auto body = body_object(request);
    if (!body) return fail(respond, body.error()), true;
    with_caller(request, respond, Access{kViewer}, [self, respond, body = *body](Caller c) {
      auto* doc = body.if_contains("document");
      if (!doc || !doc->is_object()) return fail(respond, make_error("invalid_request", "document is the template", "document"));
      std::string name = "console-preview";
      auto draft = notify::parse_template(name, json::serialize(*doc));
      if (!draft) return fail(respond, draft.error());
      json::object message{{"template", name}, {"kind", body.contains("kind") ? body.at("kind") : json::value("info")}};
      if (auto* v = body.if_contains("vars")) message["vars"] = *v;
      if (auto* v = body.if_contains("variables")) message["vars"] = *v;
      if (auto* v = body.if_contains("locale")) message["locale"] = *v;
      auto preview = self->deps.api.preview(message, c.key_id(), &*draft);
      if (!preview) return fail(respond, preview.error());
      respond(json_response(200, *preview));
    });
    return true;
  }
  if (p == "/console/api/templates" || p.rfind("/console/api/templates/", 0) == 0) {
    bool one = p != "/console/api/templates";
    std::string name = one ? p.substr(std::string("/console/api/templates/").size()) : "";
    if (m != "GET" && !(one && m == "PUT")) {
      return fail(respond, make_error("method_not_allowed", "GET templates, PUT one")), true;
    }
    int role = m == "GET" ? kViewer : kAgent;
    std::string body = request.body;
    std::string method = m;
    with_caller(request, respond, Access{role}, [self, respond, name, body, method, now](Caller c) {
      http::Request inner;
      inner.method = method;
      inner.path = inner.target = name.empty() ? "/v1/templates" : "/v1/templates/" + name;
      inner.body = body;
      inner.headers.push_back({"Content-Type", "application/json"});
      self->deps.api.handle_trusted(c.key_id(), std::move(inner), [self, respond, c, name, method, now](http::Response r) {
        if (method != "PUT" || r.status >= 300) return respond(std::move(r));
        self->deps.store.write(
            [c, name, now](store::StoreSession& s) { return audit(s, c, "template.update", name, {}, now); },
            [respond, r](Status) mutable { respond(std::move(r)); });
      });
    });
    return true;
  }

  // ---- providers and chains ----
  if (p.rfind("/console/api/providers/", 0) == 0) {
    if (!method_is("PATCH")) return true;
    std::string name = p.substr(std::string("/console/api/providers/").size());
    if (!deps.engine.find_provider(name)) return fail(respond, make_error("not_found", "no provider named '" + name + "'")), true;
    auto body = body_object(request);
    if (!body) return fail(respond, body.error()), true;
    for (const char* key : {"enabled", "drained"}) {
      if (auto* v = body->if_contains(key); v && !v->is_bool()) {
        return fail(respond, make_error("invalid_request", std::string(key) + " must be true or false", key)), true;
      }
    }
    if (auto* v = body->if_contains("reason"); v && (!v->is_string() || v->as_string().size() > 300)) {
      return fail(respond, make_error("invalid_request", "reason must be text of 300 bytes at most", "reason")), true;
    }
    with_caller(request, respond, Access{kAdmin}, [self, respond, name, body = *body, now](Caller c) {
      auto stored = std::make_shared<json::object>();
      self->write_then(
          respond,
          [name, body, c, now, stored](store::StoreSession& s) -> Status {
            auto current = s.get_setting("provider." + name);
            if (!current) return current.error();
            json::object setting{{"enabled", true}, {"drained", false}, {"reason", ""}};
            if (*current) {
              boost::system::error_code ec;
              json::value v = json::parse((*current)->value_json, ec);
              if (!ec && v.is_object()) setting = v.as_object();
            }
            for (auto& [k, v] : body) {
              if (k == "enabled" || k == "drained" || k == "reason") setting[k] = v;
            }
            *stored = setting;
            if (auto st = s.put_setting(store::SettingRecord{"provider." + name, json::serialize(setting), now, c.op.id}); !st) {
              return st;
            }
            return audit(s, c, "provider.update", name, body, now);
          },
          [self, stored, name] {
            if (self->deps.settings_changed) self->deps.settings_changed();
            json::object o = *stored;
            o["provider"] = name;
            return json_response(200, o);
          });
    });
    return true;
  }
  if (p.rfind("/console/api/chains/", 0) == 0) {
    if (!method_is("PUT")) return true;
    std::string channel = p.substr(std::string("/console/api/chains/").size());
    if (!notify::is_chain_channel(channel)) return fail(respond, make_error("not_found", "no channel named '" + channel + "'")), true;
    auto body = body_object(request);
    if (!body) return fail(respond, body.error()), true;
    auto* list = body->if_contains("providers");
    if (!list || !list->is_array() || list->as_array().empty() || list->as_array().size() > 16) {
      return fail(respond, make_error("invalid_request", "providers is a list of 1 to 16 provider names", "providers")), true;
    }
    json::array order;
    std::set<std::string> seen;
    for (auto& v : list->as_array()) {
      std::string name = v.is_string() ? std::string(v.as_string()) : "";
      const notify::ProviderRuntime* provider = deps.engine.find_provider(name);
      if (!provider || std::find(provider->channels.begin(), provider->channels.end(), channel) == provider->channels.end()) {
        return fail(respond, make_error("invalid_request", "'" + name + "' is no provider of channel " + channel, "providers")), true;
      }
      if (!seen.insert(name).second) return fail(respond, make_error("invalid_request", "'" + name + "' is listed twice", "providers")), true;
      order.push_back(v);
    }
    with_caller(request, respond, Access{kAdmin}, [self, respond, channel, order, now](Caller c) {
      self->write_then(
          respond,
          [channel, order, c, now](store::StoreSession& s) -> Status {
            if (auto st = s.put_setting(store::SettingRecord{"chain." + channel, json::serialize(order), now, c.op.id}); !st) {
              return st;
            }
            return audit(s, c, "chain.update", channel, {{"providers", order}}, now);
          },
          [self, channel, order] {
            if (self->deps.settings_changed) self->deps.settings_changed();
            return json_response(200, json::object{{"channel", channel}, {"providers", order}});
          });
    });
    return true;
  }

  // ---- staff alerts ----
  if (p == "/console/api/alerts") {
    if (!method_is("GET")) return true;
    std::int64_t before = std::strtoll(request.query_param("before").c_str(), nullptr, 10);
    with_caller(request, respond, Access{kViewer}, [self, respond, before](Caller c) {
      self->deps.store.read([respond, before, locale = c.op.locale](store::StoreSession& s) {
        auto rows = s.list_staff_alerts(before < 0 ? 0 : before, 50);
        if (!rows) return fail(respond, rows.error());
        json::array list;
        for (auto& a : *rows) list.push_back(alert_json(a, locale));
        json::value next = nullptr;
        if (rows->size() == 50) next = rows->back().id;
        respond(json_response(200, json::object{{"alerts", std::move(list)}, {"next", next}}));
      });
    });
    return true;
  }
  if (p.rfind("/console/api/alerts/", 0) == 0 && p.size() > 24 && p.compare(p.size() - 4, 4, "/ack") == 0) {
    if (!method_is("POST")) return true;
    std::string id_text = p.substr(20, p.size() - 20 - 4);
    std::int64_t id = std::strtoll(id_text.c_str(), nullptr, 10);
    if (id <= 0 || id_text.find_first_not_of("0123456789") != std::string::npos) {
      return fail(respond, make_error("not_found", "no such alert")), true;
    }
    with_caller(request, respond, Access{kAgent}, [self, respond, id, now](Caller c) {
      auto result = std::make_shared<store::StaffAlertRecord>();
      self->write_then(
          respond,
          [id, c, now, result](store::StoreSession& s) -> Status {
            auto rows = s.list_staff_alerts(id + 1, 1);
            if (!rows) return rows.error();
            if (rows->empty() || rows->front().id != id) return make_error("not_found", "no such alert");
            store::StaffAlertRecord a = rows->front();
            if (a.acknowledged_ms == 0) {
              a.acknowledged_by = c.op.id;
              a.acknowledged_ms = now;
              if (auto st = s.update_staff_alert(a); !st) return st;
              if (auto st = audit(s, c, "alert.ack", std::to_string(id), {}, now); !st) return st;
            }
            *result = a;
            return {};
          },
          [result, locale = c.op.locale] { return json_response(200, alert_json(*result, locale)); });
    });
    return true;
  }

  // ---- status notices and their wording ----
  if (p == "/console/api/notices") {
    if (m == "GET") {
      with_caller(request, respond, Access{kViewer}, [self, respond, now](Caller) {
        self->deps.store.read([respond, now](store::StoreSession& s) {
          auto rows = s.list_status_notices(now - 7LL * 86'400'000, 200);
          if (!rows) return fail(respond, rows.error());
          json::array list;
          for (auto& n : *rows) list.push_back(notice_json(n));
          respond(json_response(200, json::object{{"notices", std::move(list)}}));
        });
      });
      return true;
    }
    if (!method_is("POST")) return true;
    auto body = body_object(request);
    if (!body) return fail(respond, body.error()), true;
    store::StatusNoticeRecord n;
    n.id = "ntc_" + crypto::random_hex(8);
    n.kind = "manual";
    n.created_ms = n.updated_ms = now;
    if (auto st = apply_notice_fields(*body, n, true); !st) return fail(respond, st.error()), true;
    with_caller(request, respond, Access{kAgent}, [self, respond, n, now](Caller c) mutable {
      n.created_by = c.op.id;
      self->write_then(
          respond,
          [n, c, now](store::StoreSession& s) -> Status {
            if (auto st = s.insert_status_notice(n); !st) return st;
            return audit(s, c, "notice.create", n.id, {{"title_ko", n.title_ko}}, now);
          },
          [self, n] {
            if (self->deps.status_changed) self->deps.status_changed();
            return json_response(201, notice_json(n));
          });
    });
    return true;
  }
  if (p.rfind("/console/api/notices/", 0) == 0) {
    if (!method_is("PATCH")) return true;
    std::string id = p.substr(std::string("/console/api/notices/").size());
    auto body = body_object(request);
    if (!body) return fail(respond, body.error()), true;
    if (auto* v = body->if_contains("resolved"); v && !v->is_bool()) {
      return fail(respond, make_error("invalid_request", "resolved must be true or false", "resolved")), true;
    }
    with_caller(request, respond, Access{kAgent}, [self, respond, id, body = *body, now](Caller c) {
      auto result = std::make_shared<store::StatusNoticeRecord>();
      self->write_then(
          respond,
          [id, body, c, now, result](store::StoreSession& s) -> Status {
            auto found = s.get_status_notice(id);
            if (!found) return found.error();
            if (!*found) return make_error("not_found", "no notice with id '" + id + "'");
            store::StatusNoticeRecord n = **found;
            if (auto st = apply_notice_fields(body, n, false); !st) return st;
            if (auto* v = body.if_contains("resolved")) n.resolved_ms = v->as_bool() ? (n.resolved_ms ? n.resolved_ms : now) : 0;
            n.updated_ms = now;
            if (auto st = s.update_status_notice(n); !st) return st;
            *result = n;
            return audit(s, c, n.resolved_ms ? "notice.resolve" : "notice.update", n.id, body, now);
          },
          [self, result] {
            if (self->deps.status_changed) self->deps.status_changed();
            return json_response(200, notice_json(*result));
          });
    });
    return true;
  }
  if (p == "/console/api/status/templates") {
    if (m == "GET") {
      with_caller(request, respond, Access{kViewer}, [self, respond](Caller) {
        self->deps.store.read([self, respond](store::StoreSession& s) {
          auto row = s.get_setting("status.templates");
          if (!row) return fail(respond, row.error());
          std::string text = *row ? (*row)->value_json
                                  : (self->deps.default_status_templates ? self->deps.default_status_templates() : "{}");
          respond(http::Response::json(200, text));
        });
      });
      return true;
    }
    if (!method_is("PUT")) return true;
    if (!deps.check_status_templates) return fail(respond, make_error("not_found", "status page is not configured")), true;
    auto checked = deps.check_status_templates(request.body);
    if (!checked) return fail(respond, checked.error()), true;
    with_caller(request, respond, Access{kAgent}, [self, respond, text = *checked, now](Caller c) {
      self->write_then(
          respond,
          [text, c, now](store::StoreSession& s) -> Status {
            if (auto st = s.put_setting(store::SettingRecord{"status.templates", text, now, c.op.id}); !st) return st;
            return audit(s, c, "status.templates", "status.templates", {}, now);
          },
          [self, text] {
            if (self->deps.status_changed) self->deps.status_changed();
            return http::Response::json(200, text);
          });
    });
    return true;
  }
  return false;
}

void Console::Impl::events(const http::Request& request, const http::Responder& respond) {
  with_caller(request, respond, Access{kViewer}, [self = shared_from_this(), respond](Caller c) {
    auto stream = std::make_shared<http::EventStream>();
    {
      std::lock_guard lock(self->streams_mutex);
      std::erase_if(self->streams, [](const LiveStream& s) { return s.stream->closed(); });
      if (self->streams.size() >= self->options.max_event_streams) {
        return fail(respond, make_error("overloaded", "too many live connections; close a console tab"));
      }
      // The stream ends with the session: a signed-out or disabled operator stops seeing updates.
      self->streams.push_back(LiveStream{stream, c.session.token_hash, c.op.id, c.session.expires_ms});
    }
    stream->send("board", json::serialize(self->deps.board()));
    respond(http::Response::event_stream(stream));
  });
}

}  // namespace jarip::console
