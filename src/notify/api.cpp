#include "notify/api.hpp"
#include "notify/channel_view.hpp"

#include <boost/json.hpp>

#include <atomic>
#include <mutex>

#include "common/crypto.hpp"
#include "customers/directory.hpp"
#include "notify/compose.hpp"
#include "notify/customer_api.hpp"
#include "notify/preview.hpp"
#include "notify/recipients.hpp"
#include "notify/rate_limiter.hpp"
#include "text/kst.hpp"

namespace jarip::notify {

namespace json = boost::json;
using http::Request;
using http::Responder;
using http::Response;

int http_status_for(const std::string& code) {
  static const std::map<std::string, int> table = {
      {"unauthorized", 401},        {"forbidden", 403},          {"not_found", 404},
      {"method_not_allowed", 405},  {"conflict", 409},           {"idempotency_conflict", 409},
      {"body_too_large", 413},      {"unsupported_media_type", 415}, {"rate_limited", 429},
      {"overloaded", 503},          {"storage_unavailable", 503}, {"not_ready", 503},
      {"storage_retry", 503},       {"storage_timeout", 503},
      {"storage_error", 500},       {"internal", 500},
  };
  auto it = table.find(code);
  return it == table.end() ? 400 : it->second;
}

Response error_response(const Error& e) {
  json::object inner{{"code", e.code}, {"message", e.message}};
  if (!e.field.empty()) inner["field"] = e.field;
  Response r = Response::json(http_status_for(e.code), json::serialize(json::object{{"error", std::move(inner)}}));
  if (r.status == 503) r.headers.push_back({"Retry-After", "1"});
  return r;
}

namespace {

// KST with milliseconds: attempt timelines are read at sub-second resolution.
std::string iso_time(TimeMs t) { return text::format_kst_ms(t); }

json::object message_json(const store::MessageRecord& m, const std::vector<store::AttemptRecord>& attempts) {
  json::object o;
  o["id"] = m.id;
  o["status"] = m.state;
  o["kind"] = m.kind;
  boost::system::error_code ec;
  o["recipient"] = json::parse(m.recipient_json, ec);
  if (ec || !o["recipient"].is_object()) o["recipient"] = json::object();
  // The devices' push keys are the browsers' secrets: the message says how many devices it was for.
  if (auto* devices = o["recipient"].as_object().if_contains("push_subscriptions"); devices && devices->is_array()) {
    auto count = devices->as_array().size();
    o["recipient"].as_object().erase("push_subscriptions");
    o["recipient"].as_object()["push_devices"] = count;
  }
  if (!m.template_name.empty()) o["template"] = m.template_name;
  o["channels"] = json::parse(m.chain_json, ec);
  o["step"] = m.step;
  o["created_at"] = iso_time(m.created_ms);
  o["updated_at"] = iso_time(m.updated_ms);
  if (m.expires_ms) o["expires_at"] = iso_time(m.expires_ms);
  if (m.state == store::kStateHeld || m.state == store::kStateAccepted) o["next_attempt_at"] = iso_time(m.due_ms);
  if (!m.delivered_via.empty()) o["delivered_via"] = m.delivered_via;
  if (!m.final_code.empty()) o["reason"] = json::object{{"code", m.final_code}, {"detail", m.final_detail}};
  else if (!m.final_detail.empty()) o["note"] = m.final_detail;
  o["metadata"] = json::parse(m.metadata_json.empty() ? "{}" : m.metadata_json, ec);
  o["body_purged"] = m.body_purged;
  json::array timeline;
  for (auto& a : attempts) {
    json::object t{{"step", a.step},         {"channel", a.channel},     {"provider", a.provider},
                   {"send_kind", a.send_kind}, {"outcome", a.outcome},     {"started_at", iso_time(a.started_ms)},
                   {"dedup_key", a.dedup_key}};
    if (a.ended_ms) t["ended_at"] = iso_time(a.ended_ms);
    if (!a.provider_message_id.empty()) t["provider_message_id"] = a.provider_message_id;
    if (!a.error_code.empty()) t["error"] = json::object{{"code", a.error_code}, {"text", a.error_text}};
    timeline.push_back(std::move(t));
  }
  o["attempts"] = std::move(timeline);
  return o;
}

bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 255) return false;
  for (unsigned char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

struct Api::Impl {
  store::Store& store;
  Engine& engine;
  auth::ApiKeyVerifier& keys;
  const Clock& clock;
  MetricsRegistry& metrics;
  std::map<std::string, std::shared_ptr<const channels::ProviderAdapter>> adapters;
  ApiOptions options;
  std::shared_mutex templates_mutex;
  std::map<std::string, Template> templates;
  std::mutex rate_mutex;
  struct KeyBucket {
    double rate;
    TokenBucket bucket;
  };
  std::map<std::string, KeyBucket> key_buckets;
  std::atomic<bool> ready{false};
  std::function<bool(const Request&, const Responder&)> public_routes;
  std::function<json::object(const std::string&)> customer_links;
  CustomerApi customers;
  std::atomic<std::uint64_t>& m_accepted;
  std::atomic<std::uint64_t>& m_rejected;

  Impl(store::Store& s, Engine& e, auth::ApiKeyVerifier& k, const Clock& c, MetricsRegistry& m,
       std::map<std::string, std::shared_ptr<const channels::ProviderAdapter>> a, ApiOptions o)
      : store(s), engine(e), keys(k), clock(c), metrics(m), adapters(std::move(a)), options(o),
        customers(s, c, consent_notices(), o.push),
        m_accepted(m.counter("jarip_messages_accepted_total")),
        m_rejected(m.counter("jarip_requests_rejected_total")) {}

  // Notices to customers (consent confirmations, re-confirmation) are informational messages composed
  // like an API request (so they carry the same checks and rendering) under the key id "system",
  // along every configured channel that can carry plain text: SMS, then email, push, the inbox.
  ConsentNotices consent_notices() {
    ConsentNotices n;
    n.sender_name = engine.options().ads.sender_name;
    json::array chain;
    for (const char* channel : {"sms", "email", "push", "inbox"}) {
      if (engine.options().channel_providers.count(channel)) chain.emplace_back(channel);
    }
    n.compose = [this, chain](const std::string& customer_id, const std::string& text) -> Result<store::MessageRecord> {
      if (chain.empty()) return make_error("no_channel_for_message", "no channel is configured for notices");
      json::value request = json::object{{"recipient", json::object{{"customer_id", customer_id}}},
                                         {"text", text}, {"kind", "info"}, {"channels", chain}};
      return compose_message(request, compose_context("system"));
    };
    n.wake = [this] { engine.wake(); };
    return n;
  }

  std::optional<Template> find_template(const std::string& name) {
    std::shared_lock lock(templates_mutex);
    auto it = templates.find(name);
    if (it == templates.end()) return std::nullopt;
    return it->second;
  }

  ComposeContext compose_context(const std::string& key_id) {
    return ComposeContext{engine.options(), [this](const std::string& n) { return find_template(n); },
                          [this](const std::string& n) { return engine.find_provider(n); }, clock.now_ms(), key_id};
  }

  void fail(const Responder& respond, const Error& e) {
    m_rejected++;
    respond(error_response(e));
  }

  // A key's own rate where it has one, else the server's; a changed rate takes effect when the
  // verifier's cache refreshes the key.
  bool rate_limited(const auth::VerifiedKey& key) {
    double rate = key.rate_per_s > 0 ? key.rate_per_s : options.rate_per_key;
    if (rate <= 0) return false;
    std::lock_guard lock(rate_mutex);
    auto it = key_buckets.find(key.id);
    if (it == key_buckets.end() || it->second.rate != rate) {
      KeyBucket fresh{rate, TokenBucket(rate, static_cast<std::uint32_t>(std::max(1.0, rate)), clock.now_ms())};
      it = key_buckets.insert_or_assign(key.id, std::move(fresh)).first;
    }
    return it->second.bucket.try_take(clock.now_ms(), 1) == 0;
  }

  // Authenticates, rate-limits, then runs next(key_id).
  void authenticated(const Request& request, Responder respond, std::function<void(std::string)> next) {
    keys.verify(request.header("Authorization"), [this, respond, next = std::move(next)](Result<auth::VerifiedKey> key) {
      if (!key) return fail(respond, key.error());
      if (rate_limited(*key)) {
        auto r = error_response(make_error("rate_limited", "this API key exceeded its request rate; retry later"));
        r.headers.push_back({"Retry-After", "1"});
        m_rejected++;
        return respond(std::move(r));
      }
      next(key->id);
    });
  }

  void route(Request&& request, Responder respond) {
    const std::string& path = request.path;
    const std::string& method = request.method;
    if (path == "/healthz") return respond(Response::json(200, R"({"status":"ok"})"));
    if (path == "/readyz") {
      // A node whose database is away cannot accept messages: a load balancer should send them to
      // another node meanwhile. /healthz stays 200 (the process is fine and reconnects by itself).
      if (ready && !store.available()) {
        return respond(error_response(make_error("storage_unavailable", "the database is unavailable; reconnecting")));
      }
      if (ready) return respond(Response::json(200, R"({"status":"ready"})"));
      return respond(error_response(make_error("not_ready", "jarip is starting or shutting down")));
    }
    if (path == "/metrics") return respond(Response{200, "text/plain; version=0.0.4", metrics.render(), {}});
    if (path.rfind("/v1/providers/", 0) == 0) return provider_report(std::move(request), std::move(respond));
    if (public_routes && public_routes(request, respond)) return;
    if (path.rfind("/v1/", 0) != 0) return fail(respond, make_error("not_found", "no such endpoint: " + path));

    auto req = std::make_shared<Request>(std::move(request));
    authenticated(*req, respond, [this, req, respond](std::string key_id) { route_v1(req, respond, key_id); });
    (void)method;
  }

  // The /v1 routes once the caller is known: by its API key, or trusted (the operator console).
  void route_v1(const std::shared_ptr<Request>& req, const Responder& respond, const std::string& key_id) {
    const std::string& p = req->path;
    const std::string& m = req->method;
    if (p == "/v1/messages") {
      if (m != "POST") return fail(respond, make_error("method_not_allowed", "use POST /v1/messages"));
      return post_messages(*req, respond, key_id, false);
    }
    if (p == "/v1/messages/batch") {
      if (m != "POST") return fail(respond, make_error("method_not_allowed", "use POST /v1/messages/batch"));
      return post_messages(*req, respond, key_id, true);
    }
    if (p.rfind("/v1/messages/", 0) == 0) {
      std::string id = p.substr(std::string("/v1/messages/").size());
      if (id.empty() || id.find('/') != std::string::npos || id.size() > 64) {
        return fail(respond, make_error("not_found", "no message with that id"));
      }
      if (m == "GET") return get_message(id, respond);
      if (m == "DELETE") return cancel_message(id, respond);
      return fail(respond, make_error("method_not_allowed", "use GET or DELETE on a message"));
    }
    if (p == "/v1/templates") {
      if (m != "GET") return fail(respond, make_error("method_not_allowed", "use GET /v1/templates"));
      return list_templates(respond);
    }
    if (p.rfind("/v1/templates/", 0) == 0) {
      std::string name = p.substr(std::string("/v1/templates/").size());
      if (m == "GET") return get_template(name, respond);
      if (m == "PUT") return put_template(name, req->body, respond);
      return fail(respond, make_error("method_not_allowed", "use GET or PUT on a template"));
    }
    if (p == "/v1/channels") {
      if (m != "GET") return fail(respond, make_error("method_not_allowed", "use GET /v1/channels"));
      return channels_view(respond);
    }
    if (p == "/v1/opt-outs" && m == "GET") return opt_outs(respond);
    if (customer_links && p.rfind("/v1/customers/", 0) == 0 && p.size() > 20 &&
        p.compare(p.size() - 6, 6, "/links") == 0) {
      if (m != "GET") return fail(respond, make_error("method_not_allowed", "use GET on a customer's links"));
      return links_view(p.substr(14, p.size() - 14 - 6), respond);
    }
    if (handle_push_subscription_route(*req, respond, store, clock, options.push)) return;
    if (customers.handle(*req, respond)) return;
    if (p.rfind("/v1/channels/", 0) == 0 && p.size() > 19 && p.compare(p.size() - 6, 6, "/drain") == 0) {
      std::string provider = p.substr(13, p.size() - 13 - 6);
      if (m != "POST" && m != "DELETE") {
        return fail(respond, make_error("method_not_allowed", "POST drains a provider, DELETE ends the drain"));
      }
      return drain(provider, m == "POST", respond);
    }
    fail(respond, make_error("not_found", "no such endpoint: " + m + " " + p));
  }

  // Signed links are handed out only for customers of the directory.
  void links_view(std::string id, Responder respond) {
    if (auto st = customers::check_customer_id(id); !st) return fail(respond, make_error("not_found", "no such customer"));
    store.read([this, id, respond](store::StoreSession& s) {
      auto row = s.get_customer(id);
      if (!row) return fail(respond, row.error());
      if (!*row) return fail(respond, make_error("not_found", "no customer with id '" + id + "'"));
      respond(Response::json(200, json::serialize(customer_links(id))));
    });
  }

  // ---- messages -------------------------------------------------------------------------------

  struct Item {
    std::optional<store::MessageRecord> record;
    std::optional<Error> error;
  };


  void post_messages(const Request& req, Responder respond, const std::string& key_id, bool batch) {
    std::string idem(req.header("Idempotency-Key"));
    if (!idem.empty() && !valid_idempotency_key(idem)) {
      return fail(respond, make_error("invalid_value", "Idempotency-Key must be 1-255 printable ASCII characters",
                                      "Idempotency-Key"));
    }
    auto ct = req.header("Content-Type");
    if (!ct.empty() && ct.find("json") == std::string_view::npos) {
      return fail(respond, make_error("unsupported_media_type", "send the body as application/json"));
    }
    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    if (ec) return fail(respond, make_error("invalid_json", "request body is not valid JSON: " + ec.message()));
    if (batch) {
      if (!body.is_object() || !body.as_object().contains("messages") || !body.at("messages").is_array()) {
        return fail(respond, make_error("invalid_json", "a batch is {\"messages\": [ … ]}", "messages"));
      }
      auto& list = body.at("messages").as_array();
      if (list.empty() || list.size() > 1000) {
        return fail(respond, make_error("invalid_value", "a batch carries 1 to 1,000 messages", "messages"));
      }
    }
    auto request = std::make_shared<Request>(req);
    auto doc = std::make_shared<json::value>(std::move(body));
    if (!addresses_customer(*doc, batch)) {
      auto items = compose_items(*doc, batch, compose_context(key_id));
      bool check = false;
      for (auto& it : *items) check = check || (it.record && needs_recipient_check(*it.record));
      if (!check) {
        if (!batch && items->front().error) return fail(respond, *items->front().error);
        return store_items(req, std::move(respond), key_id, batch, std::move(idem), items);
      }
    }
    // Messages to customers are composed where the directory can be read (for their phone and
    // language), and ads checked against consents and opt-outs, on a reader thread; the answer
    // goes on from there.
    TimeMs now = clock.now_ms();
    store.read([this, request, doc, respond, key_id, batch, idem, now](store::StoreSession& s) mutable {
      ComposeContext ctx = compose_context(key_id);
      ctx.find_customer = [&s](const std::string& id) { return load_customer(s, id); };
      auto items = compose_items(*doc, batch, ctx);
      for (auto& it : *items) {
        if (!it.record || !needs_recipient_check(*it.record)) continue;
        if (auto st = resolve_recipient(s, *it.record, now); !st) {
          it.error = st.error();
          it.record.reset();
        }
      }
      if (!batch && items->front().error) return fail(respond, *items->front().error);
      store_items(*request, std::move(respond), key_id, batch, std::move(idem), items);
    });
  }

  static bool addresses_customer(const json::value& body, bool batch) {
    auto one = [](const json::value& m) {
      const json::object* o = m.if_object();
      const json::value* r = o ? o->if_contains("recipient") : nullptr;
      return r && r->is_object() && r->as_object().contains("customer_id");
    };
    if (!batch) return one(body);
    for (auto& m : body.at("messages").as_array()) {
      if (one(m)) return true;
    }
    return false;
  }

  // REQUIRES: a batch body was checked to hold 1–1,000 messages.
  std::shared_ptr<std::vector<Item>> compose_items(const json::value& body, bool batch, const ComposeContext& ctx) {
    auto items = std::make_shared<std::vector<Item>>();
    auto add = [&](const json::value& v) {
      auto r = compose_message(v, ctx);
      items->push_back(r ? Item{std::move(*r), std::nullopt} : Item{std::nullopt, r.error()});
    };
    if (batch) {
      for (auto& v : body.at("messages").as_array()) add(v);
    } else {
      add(body);
    }
    return items;
  }

  void store_items(const Request& req, Responder respond, const std::string& key_id, bool batch, std::string idem,
                   std::shared_ptr<std::vector<Item>> items) {
    std::vector<store::MessageRecord*> valid;
    for (auto& it : *items) {
      if (it.record) {
        it.record->idempotency_key = idem;
        valid.push_back(&*it.record);
      }
    }
    if (valid.empty()) {
      // Nothing storable: answer per item without touching storage.
      return respond(batch_response(*items, 400));
    }
    int n = static_cast<int>(valid.size());
    bool leased = engine.reserve(n);
    TimeMs now = clock.now_ms();
    for (auto* r : valid) {
      if (leased && r->due_ms <= now) {
        r->lease_owner = engine.node_id();
        r->lease_until_ms = now + engine.options().lease_ms;
      }
    }
    std::string response_body;
    if (batch) {
      response_body = json::serialize(batch_json(*items));
    } else {
      response_body = json::serialize(json::object{{"id", valid.front()->id}, {"status", "accepted"}});
    }
    std::string request_hash =
        idem.empty() ? std::string() : crypto::to_hex(crypto::sha256(req.method + " " + req.path + "\n" + req.body));
    auto replay = std::make_shared<std::optional<store::IdempotencyRecord>>();
    auto records = std::make_shared<std::vector<store::MessageRecord>>();
    for (auto* r : valid) records->push_back(*r);
    int success_status = 202;
    store.write(
        [records, idem, key_id, request_hash, response_body, replay, now, success_status](store::StoreSession& s) -> Status {
          if (!idem.empty()) {
            auto existing = s.get_idempotency(key_id, idem);
            if (!existing) return existing.error();
            if (*existing) {
              if (!crypto::constant_time_equals((*existing)->request_hash, request_hash)) {
                return make_error("idempotency_conflict",
                                  "Idempotency-Key was already used with a different request body", "Idempotency-Key");
              }
              *replay = *existing;
              return {};
            }
            if (auto st = s.put_idempotency({key_id, idem, request_hash, success_status, response_body, now}); !st) return st;
          }
          for (auto& r : *records) {
            if (auto st = s.insert_message(r); !st) return st;
            for (const auto& link : r.short_links) {
              if (auto st = s.insert_short_link(link); !st) return st;
            }
            if (auto customer = recipient_customer_id(r); !customer.empty()) {
              if (auto st = s.link_message_customer(r.id, customer); !st) return st;
            }
          }
          return {};
        },
        [this, records, replay, response_body, leased, n, respond, success_status](Status s) {
          if (!s) {
            if (leased) engine.unreserve(n);
            return fail(respond, s.error());
          }
          if (*replay) {
            if (leased) engine.unreserve(n);
            Response r = Response::json((*replay)->status, (*replay)->response_body);
            r.headers.push_back({"Idempotent-Replayed", "true"});
            return respond(std::move(r));
          }
          m_accepted += static_cast<std::uint64_t>(n);
          respond(Response::json(success_status, response_body));
          std::vector<store::MessageRecord> mine;
          for (auto& r : *records) {
            if (!r.lease_owner.empty()) mine.push_back(std::move(r));
          }
          int unused = n - static_cast<int>(mine.size());
          if (leased && unused > 0) engine.unreserve(unused);
          if (!mine.empty()) engine.adopt(std::move(mine));
          if (!leased || unused > 0) engine.wake();
        });
  }

  template <class Items>
  json::object batch_json(const Items& items) {
    json::array results;
    int accepted = 0, rejected = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].record) {
        ++accepted;
        results.push_back(json::object{{"index", i}, {"id", items[i].record->id}, {"status", "accepted"}});
      } else {
        ++rejected;
        const Error& e = *items[i].error;
        json::object err{{"code", e.code}, {"message", e.message}};
        if (!e.field.empty()) err["field"] = e.field;
        results.push_back(json::object{{"index", i}, {"status", "rejected"}, {"error", std::move(err)}});
      }
    }
    return json::object{{"accepted", accepted}, {"rejected", rejected}, {"results", std::move(results)}};
  }

  template <class Items>
  Response batch_response(const Items& items, int status) {
    if (items.size() == 1 && items[0].error) return error_response(*items[0].error);
    return Response::json(status, json::serialize(batch_json(items)));
  }

  void get_message(const std::string& id, Responder respond) {
    store.read([this, id, respond](store::StoreSession& s) {
      auto m = s.get_message(id);
      if (!m) return fail(respond, m.error());
      if (!*m) return fail(respond, make_error("not_found", "no message with id '" + id + "'"));
      auto attempts = s.list_attempts(id);
      if (!attempts) return fail(respond, attempts.error());
      json::object o = message_json(**m, *attempts);
      // Short links in its SMS text, with how often each was followed.
      auto links = s.list_short_links(id);
      if (!links) return fail(respond, links.error());
      if (!links->empty()) {
        json::array out;
        for (const auto& l : *links) {
          json::object lo{{"code", l.code}, {"url", l.url}, {"clicks", l.clicks}};
          if (l.last_click_ms) lo["last_click_at"] = iso_time(l.last_click_ms);
          out.push_back(std::move(lo));
        }
        o["short_links"] = std::move(out);
      }
      respond(Response::json(200, json::serialize(o)));
    });
  }

  void cancel_message(const std::string& id, Responder respond) {
    engine.cancel(id, [this, id, respond](Status s, std::string state) {
      if (!s) {
        Error e = s.error();
        if (e.code == "conflict") {
          Response r = error_response(e);
          json::value v = json::parse(r.body);
          v.as_object()["error"].as_object()["state"] = state;
          r.body = json::serialize(v);
          return respond(std::move(r));
        }
        return fail(respond, e);
      }
      respond(Response::json(200, json::serialize(json::object{{"id", id}, {"status", "canceled"}})));
    });
  }

  // ---- templates ------------------------------------------------------------------------------

  void list_templates(Responder respond) {
    json::array list;
    {
      std::shared_lock lock(templates_mutex);
      for (auto& [name, t] : templates) list.push_back(template_to_json(t));
    }
    respond(Response::json(200, json::serialize(json::object{{"templates", std::move(list)}})));
  }

  void get_template(const std::string& name, Responder respond) {
    auto t = find_template(name);
    if (!t) return fail(respond, make_error("not_found", "no template named '" + name + "'"));
    respond(Response::json(200, json::serialize(template_to_json(*t))));
  }

  void put_template(const std::string& name, const std::string& body, Responder respond) {
    auto parsed = parse_template(name, body);
    if (!parsed) return fail(respond, parsed.error());
    Template t = std::move(*parsed);
    TimeMs now = clock.now_ms();
    std::string stored = body;
    store.write([name, stored, now](store::StoreSession& s) { return s.put_template({name, stored, now}); },
                [this, t, respond](Status s) mutable {
                  if (!s) return fail(respond, s.error());
                  auto out = json::serialize(template_to_json(t));
                  {
                    std::unique_lock lock(templates_mutex);
                    templates[t.name] = std::move(t);
                  }
                  respond(Response::json(200, out));
                });
  }

  // ---- channels and reports -------------------------------------------------------------------

  void channels_view(Responder respond) {
    json::object out{{"providers", providers_json(engine.channel_status())}};
    if (!store.shared()) return respond(Response::json(200, json::serialize(out)));
    // Each node's breakers are its own; the cluster's view is what every live node last published.
    // Without the database this node still answers with its own view.
    TimeMs now = clock.now_ms();
    TimeMs since = now - kNodeStatusFreshMs;
    store.read([this, respond, out = std::move(out), since, now](store::StoreSession& s) mutable {
      auto rows = s.list_node_status(since);
      if (rows) {
        out["cluster"] = cluster_json(*rows, engine.node_id(), now);
      } else {
        out["cluster"] = json::object{{"error", json::object{{"code", rows.error().code}, {"message", rows.error().message}}}};
      }
      respond(Response::json(200, json::serialize(out)));
    });
  }

  void drain(const std::string& provider, bool on, Responder respond) {
    engine.drain(provider, on, "drained by API", [this, provider, on, respond](Status s) {
      if (!s) return fail(respond, s.error());
      metrics.counter("jarip_provider_drains_total", {{"provider", provider}, {"action", on ? "drain" : "undrain"}})++;
      respond(Response::json(200, json::serialize(json::object{{"provider", provider}, {"drained", on}})));
    });
  }

  void opt_outs(Responder respond) {
    store.read([this, respond](store::StoreSession& s) {
      auto list = s.list_opt_outs(1000);
      if (!list) return fail(respond, list.error());
      json::array out;
      for (auto& o : *list) {
        out.push_back(json::object{{"phone", o.phone}, {"provider", o.provider}, {"opted_out_at", o.opted_out_at},
                                   {"recorded_at", iso_time(o.recorded_ms)}, {"evidence", o.evidence}});
      }
      respond(Response::json(200, json::serialize(json::object{{"opt_outs", std::move(out)}})));
    });
  }

  void provider_report(Request&& request, Responder respond) {
    // /v1/providers/{provider}/reports
    std::string rest = request.path.substr(std::string("/v1/providers/").size());
    auto slash = rest.find('/');
    std::string name = rest.substr(0, slash);
    if (slash == std::string::npos || rest.substr(slash) != "/reports") {
      return fail(respond, make_error("not_found", "no such endpoint: " + request.path));
    }
    if (request.method != "POST") return fail(respond, make_error("method_not_allowed", "providers POST reports"));
    auto it = adapters.find(name);
    if (it == adapters.end()) return fail(respond, make_error("not_found", "no provider named '" + name + "'"));
    auto adapter = it->second;
    channels::InboundRequest in;
    in.method = request.method;
    in.target = request.target;
    for (auto& h : request.headers) in.headers.push_back({h.name, h.value});
    in.body = std::move(request.body);
    if (auto s = adapter->authenticate_report(in); !s) {
      metrics.counter("jarip_reports_rejected_total", {{"provider", name}, {"reason", "auth"}})++;
      return fail(respond, make_error("unauthorized", "report credential does not match provider '" + name + "'"));
    }
    auto batch = adapter->parse_report(in);
    if (!batch) {
      metrics.counter("jarip_reports_rejected_total", {{"provider", name}, {"reason", "parse"}})++;
      return fail(respond, make_error("invalid_report", batch.error().message));
    }
    metrics.counter("jarip_reports_received_total", {{"provider", name}}) += batch->reports.size();
    engine.apply_reports(name, std::move(*batch), [adapter, respond, this](Status s) {
      if (!s) return fail(respond, s.error());
      respond(Response::json(200, adapter->report_ack_body()));
    });
  }
};

Api::Api(store::Store& store, Engine& engine, auth::ApiKeyVerifier& keys, const Clock& clock, MetricsRegistry& metrics,
         std::map<std::string, std::shared_ptr<const channels::ProviderAdapter>> adapters, ApiOptions options)
    : impl_(std::make_unique<Impl>(store, engine, keys, clock, metrics, std::move(adapters), options)) {}

Api::~Api() = default;

Status Api::load_templates() {
  std::vector<store::TemplateRecord> records;
  Status s = impl_->store.run_now([&](store::StoreSession& session) -> Status {
    auto list = session.list_templates();
    if (!list) return list.error();
    records = std::move(*list);
    return {};
  });
  if (!s) return s;
  std::unique_lock lock(impl_->templates_mutex);
  for (auto& r : records) {
    auto t = parse_template(r.name, r.json);
    if (t) impl_->templates[r.name] = std::move(*t);
  }
  return {};
}

Status Api::put_template_now(const Template& t, const std::string& json_text) {
  TimeMs now = impl_->clock.now_ms();
  Status s = impl_->store.run_now(
      [&](store::StoreSession& session) { return session.put_template({t.name, json_text, now}); });
  if (!s) return s;
  std::unique_lock lock(impl_->templates_mutex);
  impl_->templates[t.name] = t;
  return {};
}

ConsentNotices Api::consent_notices() { return impl_->consent_notices(); }

std::function<Result<store::MessageRecord>(const json::value& request)> Api::message_composer() {
  return [impl = impl_.get()](const json::value& request) {
    return compose_message(request, impl->compose_context("system"));
  };
}

void Api::set_public_routes(std::function<bool(const http::Request&, const http::Responder&)> routes) {
  impl_->public_routes = std::move(routes);
}

void Api::set_customer_links(std::function<json::object(const std::string& customer_id)> links) {
  impl_->customer_links = std::move(links);
}

void Api::handle_trusted(const std::string& key_id, http::Request&& request, http::Responder respond) {
  if (request.path.rfind("/v1/", 0) != 0) {
    return respond(error_response(make_error("not_found", "no such endpoint: " + request.path)));
  }
  impl_->route_v1(std::make_shared<http::Request>(std::move(request)), respond, key_id);
}

Result<boost::json::object> Api::preview(const boost::json::value& request, const std::string& key_id,
                                         const Template* draft) {
  ComposeContext context = impl_->compose_context(key_id);
  if (draft) {
    context.find_template = [this, draft = *draft](const std::string& name) -> std::optional<Template> {
      if (name == draft.name) return draft;
      return impl_->find_template(name);
    };
  }
  return preview_message(request, context);
}

void Api::handle(http::Request&& request, http::Responder respond) { impl_->route(std::move(request), std::move(respond)); }

void Api::set_ready(bool ready) { impl_->ready = ready; }

}  // namespace jarip::notify
