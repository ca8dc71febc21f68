// Signing in (password, then TOTP when the operator has it on), signing out, and the operator's own
// account. Sign-in failures are counted in the database per account and per remote address in one
// atomic statement each, so that every node of a cluster throttles alike.
#include <boost/json.hpp>

#include <cstdlib>

#include "auth/passwords.hpp"
#include "auth/totp.hpp"
#include "common/crypto.hpp"
#include "console/console_impl.hpp"
#include "console/operators.hpp"
#include "notify/api.hpp"

namespace jarip::console {

namespace {

std::string account_key(const std::string& email) { return "account:" + email; }
std::string address_key(const std::string& address) { return "ip:" + address; }
std::string totp_used_key(const std::string& operator_id) { return "totp_used." + operator_id; }
std::string totp_pending_key(const std::string& operator_id) { return "totp_pending." + operator_id; }

json::object session_json(const store::OperatorRecord& op, const store::OperatorSessionRecord& session) {
  return json::object{{"operator", operator_json(op)},
                      {"csrf", session.csrf_token},
                      {"second_factor_required", session.second_factor_pending}};
}

// "https://host:port" → "host:port".
std::string_view origin_host(std::string_view origin) {
  auto scheme = origin.find("://");
  return scheme == std::string_view::npos ? origin : origin.substr(scheme + 3);
}

// A TOTP step already used may not be used again (RFC 6238 §5.2). Returns whether `step` is new and,
// if so, records it.
Result<bool> use_totp_step(store::StoreSession& s, const std::string& operator_id, std::int64_t step, TimeMs now) {
  auto used = s.get_setting(totp_used_key(operator_id));
  if (!used) return used.error();
  if (*used && std::strtoll((*used)->value_json.c_str(), nullptr, 10) >= step) return false;
  store::SettingRecord r{totp_used_key(operator_id), std::to_string(step), now, operator_id};
  if (auto st = s.put_setting(r); !st) return st.error();
  return true;
}

}  // namespace

bool Console::Impl::auth_routes(const http::Request& request, const http::Responder& respond) {
  const std::string& p = request.path;
  const std::string& m = request.method;
  if (p == "/console/api/login") {
    if (m != "POST") return fail(respond, make_error("method_not_allowed", "use POST")), true;
    login(request, respond);
    return true;
  }
  if (p == "/console/api/login/totp") {
    if (m != "POST") return fail(respond, make_error("method_not_allowed", "use POST")), true;
    login_totp(request, respond);
    return true;
  }
  if (p == "/console/api/logout") {
    if (m != "POST") return fail(respond, make_error("method_not_allowed", "use POST")), true;
    logout(request, respond);
    return true;
  }
  if (p == "/console/api/session") {
    if (m != "GET") return fail(respond, make_error("method_not_allowed", "use GET")), true;
    with_caller(request, respond, Access{0, true}, [respond](Caller c) {
      respond(json_response(200, session_json(c.op, c.session)));
    });
    return true;
  }
  if (p == "/console/api/me" || p.rfind("/console/api/me/", 0) == 0) {
    me(request, respond);
    return true;
  }
  return false;
}

void Console::Impl::login(const http::Request& request, const http::Responder& respond) {
  // Sign-in has no session yet, so no CSRF token: a cross-site form cannot send JSON, and a script
  // elsewhere is stopped by the Origin check (browsers always send Origin on a cross-site POST).
  if (request.header("Content-Type").find("application/json") == std::string_view::npos) {
    return fail(respond, make_error("unsupported_media_type", "send the body as application/json"));
  }
  std::string_view origin = request.header("Origin");
  if (!origin.empty() && origin != "null" && origin_host(origin) != request.header("Host")) {
    return fail(respond, make_error("csrf_failed", "sign in from the console's own page"));
  }
  auto body = body_object(request);
  if (!body) return fail(respond, body.error());
  std::string password = string_field(*body, "password");
  auto email = normalize_email(string_field(*body, "email"));
  if (!email || password.empty() || password.size() > 1024) {
    return fail(respond, make_error("invalid_credentials", "wrong email or password"));
  }
  std::string remote = request.remote_address;
  std::string user_agent(request.header("User-Agent").substr(0, 200));
  TimeMs now = deps.clock.now_ms();
  deps.store.read([self = shared_from_this(), respond, email = *email, password, remote, user_agent,
                   now](store::StoreSession& s) {
    auto by_account = s.login_failures(account_key(email), now, self->options.failure_window_ms);
    auto by_address = s.login_failures(address_key(remote), now, self->options.failure_window_ms);
    auto op = s.get_operator_by_email(email);
    if (!by_account || !by_address || !op) {
      return fail(respond, !by_account ? by_account.error() : !by_address ? by_address.error() : op.error());
    }
    if (*by_account >= self->options.account_failures || *by_address >= self->options.address_failures) {
      http::Response r = notify::error_response(
          make_error("too_many_attempts", "too many failed sign-ins; wait a few minutes and try again"));
      r.status = 429;
      r.headers.push_back({"Retry-After", std::to_string(self->options.failure_window_ms / 1000)});
      return respond(std::move(r));
    }
    self->off_thread(respond, [self, respond, email, password, remote, user_agent, now, op = *op] {
      bool ok = auth::verify_password(password, op ? op->password_hash : self->dummy_hash) && op && op->disabled_ms == 0;
      if (!ok) {
        self->deps.store.write(
            [self, email, remote, now, op](store::StoreSession& s) -> Status {
              auto a = s.add_login_failure(account_key(email), now, self->options.failure_window_ms);
              if (!a) return a.error();
              auto b = s.add_login_failure(address_key(remote), now, self->options.failure_window_ms);
              if (!b) return b.error();
              store::AuditRecord audit{0, now, op ? op->id : "", email, "login.failed", email, "{}", remote};
              return s.insert_audit(audit);
            },
            [respond](Status st) {
              if (!st) return fail(respond, st.error());
              fail(respond, make_error("invalid_credentials", "wrong email or password"));
            });
        return;
      }
      store::OperatorRecord updated = *op;
      updated.last_login_ms = now;
      if (auth::needs_rehash(updated.password_hash)) {
        if (auto h = auth::hash_password(password)) updated.password_hash = *h;
      }
      std::string token = crypto::random_hex(32);
      store::OperatorSessionRecord session;
      session.token_hash = crypto::to_hex(crypto::sha256(token));
      session.operator_id = op->id;
      session.csrf_token = crypto::random_hex(24);
      session.second_factor_pending = !op->totp_secret.empty();
      session.created_ms = session.last_seen_ms = now;
      session.expires_ms = now + self->options.session_max_ms;
      session.remote_address = remote;
      session.user_agent = user_agent;
      self->deps.store.write(
          [self, updated, session, email, remote, now](store::StoreSession& s) -> Status {
            if (auto st = s.clear_login_failures(account_key(email)); !st) return st;
            if (auto st = s.update_operator(updated); !st) return st;
            if (auto st = s.insert_operator_session(session); !st) return st;
            Caller caller{updated, session, remote};
            return audit(s, caller, session.second_factor_pending ? "login.password" : "login", email, {}, now);
          },
          [self, respond, updated, session, token](Status st) {
            if (!st) return fail(respond, st.error());
            http::Response r = json_response(200, session_json(updated, session));
            r.headers.push_back({"Set-Cookie", self->session_cookie(token, self->options.session_max_ms)});
            respond(std::move(r));
          });
    });
  });
}

void Console::Impl::login_totp(const http::Request& request, const http::Responder& respond) {
  auto body = body_object(request);
  if (!body) return fail(respond, body.error());
  std::string code = string_field(*body, "code");
  TimeMs now = deps.clock.now_ms();
  with_caller(request, respond, Access{0, true}, [self = shared_from_this(), respond, code, now](Caller c) {
    if (!c.session.second_factor_pending) return respond(json_response(200, session_json(c.op, c.session)));
    auto secret = auth::base32_decode(c.op.totp_secret);
    auto step = secret ? auth::verify_totp(*secret, code, now) : std::nullopt;
    auto outcome = std::make_shared<bool>(false);
    store::OperatorSessionRecord passed = c.session;
    passed.second_factor_pending = false;
    passed.last_seen_ms = now;
    self->deps.store.write(
        [self, c, step, passed, outcome, now](store::StoreSession& s) -> Status {
          bool fresh = false;
          if (step) {
            auto used = use_totp_step(s, c.op.id, *step, now);
            if (!used) return used.error();
            fresh = *used;
          }
          if (!fresh) {
            // A wrong code counts like a wrong password: six digits must not be guessed in a loop.
            auto a = s.add_login_failure(account_key(c.op.email), now, self->options.failure_window_ms);
            if (!a) return a.error();
            if (*a >= self->options.account_failures) {
              if (auto st = s.delete_operator_session(c.session.token_hash); !st) return st;
            }
            return audit(s, c, "login.totp_failed", c.op.email, {}, now);
          }
          *outcome = true;
          if (auto st = s.update_operator_session(passed); !st) return st;
          return audit(s, c, "login", c.op.email, {{"second_factor", true}}, now);
        },
        [respond, c, passed, outcome](Status st) {
          if (!st) return fail(respond, st.error());
          if (!*outcome) return fail(respond, make_error("invalid_code", "wrong or already used code"));
          respond(json_response(200, session_json(c.op, passed)));
        });
  });
}

void Console::Impl::logout(const http::Request& request, const http::Responder& respond) {
  TimeMs now = deps.clock.now_ms();
  with_caller(request, respond, Access{0, true}, [self = shared_from_this(), respond, now](Caller c) {
    self->deps.store.write(
        [c, now](store::StoreSession& s) -> Status {
          if (auto st = s.delete_operator_session(c.session.token_hash); !st) return st;
          return audit(s, c, "logout", c.op.email, {}, now);
        },
        [self, respond, c](Status st) {
          if (!st) return fail(respond, st.error());
          self->close_streams(c.session.token_hash, "");
          http::Response r{204, "application/json", "", {}};
          r.headers.push_back({"Set-Cookie", self->session_cookie("", 0)});
          respond(std::move(r));
        });
  });
}

void Console::Impl::me(const http::Request& request, const http::Responder& respond) {
  const std::string& p = request.path;
  const std::string& m = request.method;
  auto body = body_object(request);
  if (!body) return fail(respond, body.error());
  TimeMs now = deps.clock.now_ms();
  auto self = shared_from_this();
  if (p == "/console/api/me" && m == "PATCH") {
    return with_caller(request, respond, Access{}, [self, respond, body = *body, now](Caller c) {
      store::OperatorRecord op = c.op;
      if (auto* v = body.if_contains("name")) {
        if (!v->is_string() || v->as_string().size() > 400) {
          return fail(respond, make_error("invalid_request", "name must be text", "name"));
        }
        op.name = std::string(v->as_string());
      }
      if (auto* v = body.if_contains("locale")) {
        if (!v->is_string() || (v->as_string() != "ko" && v->as_string() != "en")) {
          return fail(respond, make_error("invalid_request", "locale must be ko or en", "locale"));
        }
        op.locale = std::string(v->as_string());
      }
      if (auto* v = body.if_contains("on_duty")) {
        if (!v->is_bool()) return fail(respond, make_error("invalid_request", "on_duty must be true or false", "on_duty"));
        op.on_duty = v->as_bool();
      }
      op.updated_ms = now;
      self->write_then(
          respond,
          [op, c, now](store::StoreSession& s) -> Status {
            if (auto st = s.update_operator(op); !st) return st;
            return audit(s, c, "me.update", op.email, {{"locale", op.locale}, {"on_duty", op.on_duty}}, now);
          },
          [op] { return json_response(200, operator_json(op)); });
    });
  }
  if (p == "/console/api/me/password" && m == "POST") {
    std::string current = string_field(*body, "current");
    std::string next = string_field(*body, "new");
    if (auto st = auth::check_password_policy(next); !st) {
      return fail(respond, make_error("invalid_request", st.error().message, "new"));
    }
    return with_caller(request, respond, Access{}, [self, respond, current, next, now](Caller c) {
      self->off_thread(respond, [self, respond, current, next, now, c] {
        if (!auth::verify_password(current, c.op.password_hash)) {
          return fail(respond, make_error("invalid_credentials", "the current password is wrong"));
        }
        auto hash = auth::hash_password(next);
        if (!hash) return fail(respond, hash.error());
        store::OperatorRecord op = c.op;
        op.password_hash = *hash;
        op.updated_ms = now;
        self->write_then(
            respond,
            [op, c, now](store::StoreSession& s) -> Status {
              if (auto st = s.update_operator(op); !st) return st;
              // Every other browser signed in as this operator is signed out; this one stays.
              if (auto st = s.delete_operator_sessions(op.id); !st) return st;
              if (auto st = s.insert_operator_session(c.session); !st) return st;
              return audit(s, c, "me.password", op.email, {}, now);
            },
            [] { return http::Response{204, "application/json", "", {}}; });
      });
    });
  }
  if (p == "/console/api/me/totp/setup" && m == "POST") {
    return with_caller(request, respond, Access{}, [self, respond, now](Caller c) {
      std::string secret = auth::base32_encode(auth::new_totp_secret());
      std::string uri = auth::totp_uri(self->options.totp_issuer, c.op.email, *auth::base32_decode(secret));
      self->write_then(
          respond,
          [c, secret, now](store::StoreSession& s) {
            return s.put_setting(store::SettingRecord{totp_pending_key(c.op.id), json::serialize(json::value(secret)),
                                                      now, c.op.id});
          },
          [secret, uri] { return json_response(200, json::object{{"secret", secret}, {"uri", uri}}); });
    });
  }
  if (p == "/console/api/me/totp/enable" && m == "POST") {
    std::string code = string_field(*body, "code");
    return with_caller(request, respond, Access{}, [self, respond, code, now](Caller c) {
      auto outcome = std::make_shared<bool>(false);
      self->deps.store.write(
          [c, code, now, outcome](store::StoreSession& s) -> Status {
            auto pending = s.get_setting(totp_pending_key(c.op.id));
            if (!pending) return pending.error();
            if (!*pending || (*pending)->value_json.size() < 3) return {};
            std::string secret = (*pending)->value_json.substr(1, (*pending)->value_json.size() - 2);
            auto raw = auth::base32_decode(secret);
            auto step = raw ? auth::verify_totp(*raw, code, now) : std::nullopt;
            if (!step) return {};
            auto used = use_totp_step(s, c.op.id, *step, now);
            if (!used) return used.error();
            if (!*used) return {};
            store::OperatorRecord op = c.op;
            op.totp_secret = secret;
            op.updated_ms = now;
            if (auto st = s.update_operator(op); !st) return st;
            if (auto st = s.put_setting(store::SettingRecord{totp_pending_key(c.op.id), "null", now, c.op.id}); !st) return st;
            *outcome = true;
            return audit(s, c, "me.totp_enabled", op.email, {}, now);
          },
          [respond, outcome](Status st) {
            if (!st) return fail(respond, st.error());
            if (!*outcome) return fail(respond, make_error("invalid_code", "wrong code; set up again if it keeps failing"));
            respond(http::Response{204, "application/json", "", {}});
          });
    });
  }
  if (p == "/console/api/me/totp/disable" && m == "POST") {
    std::string password = string_field(*body, "password");
    return with_caller(request, respond, Access{}, [self, respond, password, now](Caller c) {
      self->off_thread(respond, [self, respond, password, now, c] {
        if (!auth::verify_password(password, c.op.password_hash)) {
          return fail(respond, make_error("invalid_credentials", "the password is wrong"));
        }
        store::OperatorRecord op = c.op;
        op.totp_secret.clear();
        op.updated_ms = now;
        self->write_then(
            respond,
            [op, c, now](store::StoreSession& s) -> Status {
              if (auto st = s.update_operator(op); !st) return st;
              return audit(s, c, "me.totp_disabled", op.email, {}, now);
            },
            [] { return http::Response{204, "application/json", "", {}}; });
      });
    });
  }
  fail(respond, make_error("not_found", "no such console endpoint: " + m + " " + p));
}

}  // namespace jarip::console
