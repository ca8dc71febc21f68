// Operators, API keys and the audit log: admin and owner only.
#include <boost/json.hpp>

#include "auth/api_keys.hpp"
#include "auth/passwords.hpp"
#include "console/console_impl.hpp"
#include "console/operators.hpp"
#include "text/kst.hpp"

namespace jarip::console {

namespace {

constexpr int kAdmin = 2;
constexpr int kOwner = 3;

json::object key_json(const store::ApiKeyRecord& k) {
  return json::object{{"id", k.id},
                      {"name", k.name},
                      {"created_ms", k.created_ms},
                      {"revoked_ms", k.revoked_ms},
                      {"rate_per_s", k.rate_per_s}};
}

json::object audit_json(const store::AuditRecord& a) {
  boost::system::error_code ec;
  json::value detail = json::parse(a.detail_json, ec);
  if (ec) detail = json::object{};
  return json::object{{"id", a.id},
                      {"at_ms", a.at_ms},
                      {"at", text::format_kst_ms(a.at_ms)},
                      {"actor_id", a.actor_id},
                      {"actor_email", a.actor_email},
                      {"action", a.action},
                      {"target", a.target},
                      {"detail", std::move(detail)},
                      {"remote_address", a.remote_address}};
}

// How many enabled owners there are besides `except_id`.
Result<int> other_owners(store::StoreSession& s, const std::string& except_id) {
  auto all = s.list_operators();
  if (!all) return all.error();
  int n = 0;
  for (auto& op : *all) n += op.role == "owner" && op.disabled_ms == 0 && op.id != except_id;
  return n;
}

}  // namespace

bool Console::Impl::admin_routes(const http::Request& request, const http::Responder& respond) {
  const std::string& p = request.path;
  const std::string& m = request.method;
  TimeMs now = deps.clock.now_ms();
  auto self = shared_from_this();

  // ---- operators ----
  if (p == "/console/api/operators") {
    if (m == "GET") {
      with_caller(request, respond, Access{kAdmin}, [self, respond](Caller) {
        self->deps.store.read([respond](store::StoreSession& s) {
          auto all = s.list_operators();
          if (!all) return fail(respond, all.error());
          json::array list;
          for (auto& op : *all) list.push_back(operator_json(op));
          respond(json_response(200, json::object{{"operators", std::move(list)}}));
        });
      });
      return true;
    }
    if (m != "POST") return fail(respond, make_error("method_not_allowed", "use GET or POST")), true;
    auto body = body_object(request);
    if (!body) return fail(respond, body.error()), true;
    NewOperator input{string_field(*body, "email"), string_field(*body, "name"), string_field(*body, "role"),
                      string_field(*body, "password"), body->contains("locale") ? string_field(*body, "locale") : "ko"};
    with_caller(request, respond, Access{kAdmin}, [self, respond, input, now](Caller c) {
      if (role_rank(input.role) >= kOwner && role_rank(c.op.role) < kOwner) {
        return fail(respond, make_error("forbidden", "only an owner may make another owner"));
      }
      self->off_thread(respond, [self, respond, input, now, c] {
        auto op = make_operator(input, now);
        if (!op) return fail(respond, op.error());
        self->write_then(
            respond,
            [op = *op, c, now](store::StoreSession& s) -> Status {
              if (auto st = s.insert_operator(op); !st) {
                if (st.error().code == "conflict") {
                  return make_error("conflict", "an operator with this email exists already", "email");
                }
                return st;
              }
              return audit(s, c, "operator.create", op.email, {{"role", op.role}}, now);
            },
            [op = *op] { return json_response(201, operator_json(op)); });
      });
    });
    return true;
  }
  if (p.rfind("/console/api/operators/", 0) == 0) {
    std::string rest = p.substr(std::string("/console/api/operators/").size());
    bool reset_route = rest.size() > 9 && rest.compare(rest.size() - 9, 9, "/password") == 0;
    std::string id = reset_route ? rest.substr(0, rest.size() - 9) : rest;
    auto body = body_object(request);
    if (!body) return fail(respond, body.error()), true;
    if (!reset_route && m == "PATCH") {
      with_caller(request, respond, Access{kAdmin}, [self, respond, id, body = *body, now](Caller c) {
        auto result = std::make_shared<store::OperatorRecord>();
        self->write_then(
            respond,
            [id, body, c, now, result](store::StoreSession& s) -> Status {
              auto found = s.get_operator(id);
              if (!found) return found.error();
              if (!*found) return make_error("not_found", "no operator with id '" + id + "'");
              store::OperatorRecord op = **found;
              bool was_owner = op.role == "owner" && op.disabled_ms == 0;
              bool end_sessions = false;
              if (auto* v = body.if_contains("role")) {
                std::string role = v->is_string() ? std::string(v->as_string()) : "";
                if (role_rank(role) < 0) return make_error("invalid_request", "role must be owner, admin, agent or viewer", "role");
                if ((role == "owner" || op.role == "owner") && c.op.role != "owner") {
                  return make_error("forbidden", "only an owner may change an owner's role or make an owner");
                }
                end_sessions = role_rank(role) < role_rank(op.role);
                op.role = role;
              }
              if (auto* v = body.if_contains("disabled")) {
                if (!v->is_bool()) return make_error("invalid_request", "disabled must be true or false", "disabled");
                if (op.role == "owner" && c.op.role != "owner") {
                  return make_error("forbidden", "only an owner may disable an owner");
                }
                if (v->as_bool() && op.disabled_ms == 0) {
                  op.disabled_ms = now;
                  end_sessions = true;
                } else if (!v->as_bool()) {
                  op.disabled_ms = 0;
                }
              }
              if (auto* v = body.if_contains("on_duty")) {
                if (!v->is_bool()) return make_error("invalid_request", "on_duty must be true or false", "on_duty");
                op.on_duty = v->as_bool();
              }
              if (auto* v = body.if_contains("name")) {
                if (!v->is_string() || v->as_string().size() > 400) return make_error("invalid_request", "name must be text", "name");
                op.name = std::string(v->as_string());
              }
              if (was_owner && (op.role != "owner" || op.disabled_ms != 0)) {
                auto others = other_owners(s, op.id);
                if (!others) return others.error();
                if (*others == 0) return make_error("conflict", "the last owner cannot be disabled or lowered");
              }
              op.updated_ms = now;
              if (auto st = s.update_operator(op); !st) return st;
              if (end_sessions) {
                if (auto st = s.delete_operator_sessions(op.id); !st) return st;
              }
              *result = op;
              return audit(s, c, "operator.update", op.email, body, now);
            },
            [self, result] {
              if (result->disabled_ms != 0) self->close_streams("", result->id);
              return json_response(200, operator_json(*result));
            });
      });
      return true;
    }
    if (reset_route && m == "POST") {
      std::string new_password = string_field(*body, "password");
      if (auto st = auth::check_password_policy(new_password); !st) {
        return fail(respond, make_error("invalid_request", st.error().message, "password")), true;
      }
      with_caller(request, respond, Access{kAdmin}, [self, respond, id, new_password, now](Caller c) {
        self->off_thread(respond, [self, respond, id, new_password, now, c] {
          auto hash = auth::hash_password(new_password);
          if (!hash) return fail(respond, hash.error());
          self->write_then(
              respond,
              [id, hash = *hash, c, now](store::StoreSession& s) -> Status {
                auto found = s.get_operator(id);
                if (!found) return found.error();
                if (!*found) return make_error("not_found", "no operator with id '" + id + "'");
                store::OperatorRecord op = **found;
                if (op.role == "owner" && c.op.role != "owner") {
                  return make_error("forbidden", "only an owner may reset an owner's password");
                }
                op.password_hash = hash;
                op.updated_ms = now;
                if (auto st = s.update_operator(op); !st) return st;
                if (auto st = s.delete_operator_sessions(op.id); !st) return st;
                return audit(s, c, "operator.password_reset", op.email, {}, now);
              },
              [] { return http::Response{204, "application/json", "", {}}; });
        });
      });
      return true;
    }
    return fail(respond, make_error("method_not_allowed", "PATCH an operator, or POST its /password")), true;
  }

  // ---- API keys ----
  if (p == "/console/api/keys") {
    if (m == "GET") {
      with_caller(request, respond, Access{kAdmin}, [self, respond](Caller) {
        self->deps.store.read([respond](store::StoreSession& s) {
          auto keys = s.list_api_keys();
          if (!keys) return fail(respond, keys.error());
          json::array list;
          for (auto& k : *keys) list.push_back(key_json(k));
          respond(json_response(200, json::object{{"keys", std::move(list)}}));
        });
      });
      return true;
    }
    if (m != "POST") return fail(respond, make_error("method_not_allowed", "use GET or POST")), true;
    auto body = body_object(request);
    if (!body) return fail(respond, body.error()), true;
    std::string name = string_field(*body, "name");
    double rate = 0;
    if (auto* v = body->if_contains("rate_per_s"); v && !v->is_null()) {
      if (!v->is_number()) return fail(respond, make_error("invalid_request", "rate_per_s must be a number", "rate_per_s")), true;
      rate = v->to_number<double>();
    }
    with_caller(request, respond, Access{kAdmin}, [self, respond, name, rate, now](Caller c) {
      auto created = std::make_shared<auth::NewApiKey>();
      self->write_then(
          respond,
          [name, rate, c, now, created](store::StoreSession& s) -> Status {
            auto key = auth::create_api_key(s, name, now, rate);
            if (!key) return make_error("invalid_request", key.error().message, key.error().field.empty() ? "name" : key.error().field);
            *created = *key;
            return audit(s, c, "key.create", key->record.id, {{"name", name}}, now);
          },
          [created] {
            json::object o = key_json(created->record);
            o["key"] = created->token;  // shown once; only its hash is stored
            return json_response(201, o);
          });
    });
    return true;
  }
  if (p.rfind("/console/api/keys/", 0) == 0) {
    std::string id = p.substr(std::string("/console/api/keys/").size());
    if (m != "DELETE") return fail(respond, make_error("method_not_allowed", "DELETE revokes a key")), true;
    with_caller(request, respond, Access{kAdmin}, [self, respond, id, now](Caller c) {
      self->write_then(
          respond,
          [id, c, now](store::StoreSession& s) -> Status {
            auto key = s.get_api_key(id);
            if (!key) return key.error();
            if (!*key) return make_error("not_found", "no API key with id '" + id + "'");
            if (auto st = s.revoke_api_key(id, now); !st) return st;
            return audit(s, c, "key.revoke", id, {{"name", (*key)->name}}, now);
          },
          [] { return http::Response{204, "application/json", "", {}}; });
    });
    return true;
  }

  // ---- audit log ----
  if (p == "/console/api/audit") {
    if (m != "GET") return fail(respond, make_error("method_not_allowed", "use GET")), true;
    std::int64_t before = std::strtoll(request.query_param("before").c_str(), nullptr, 10);
    long limit = std::strtol(request.query_param("limit").c_str(), nullptr, 10);
    if (limit <= 0 || limit > 200) limit = 50;
    std::string action = request.query_param("action").substr(0, 100);
    with_caller(request, respond, Access{kAdmin}, [self, respond, before, limit, action](Caller) {
      self->deps.store.read([respond, before, limit, action](store::StoreSession& s) {
        auto rows = s.list_audit(before < 0 ? 0 : before, action, static_cast<int>(limit));
        if (!rows) return fail(respond, rows.error());
        json::array list;
        for (auto& a : *rows) list.push_back(audit_json(a));
        json::value next = nullptr;
        if (static_cast<long>(rows->size()) == limit) next = rows->back().id;
        respond(json_response(200, json::object{{"entries", std::move(list)}, {"next", next}}));
      });
    });
    return true;
  }
  return false;
}

}  // namespace jarip::console
