#include "console/console.hpp"

#include <boost/asio/post.hpp>

#include "auth/passwords.hpp"
#include "common/crypto.hpp"
#include "common/log.hpp"
#include "console/assets.hpp"
#include "console/console_impl.hpp"
#include "console/operators.hpp"
#include "http/event_stream.hpp"
#include "notify/api.hpp"

namespace jarip::console {

namespace {

// Bounds the hashing queue: each waiting sign-in holds a request open and will take 64 MiB.
constexpr int kMaxHashingPending = 16;

std::string content_type_for(std::string_view path) {
  auto ends = [&](std::string_view ext) { return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext; };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".json")) return "application/json";
  if (ends(".webmanifest")) return "application/manifest+json";
  return "application/octet-stream";
}

bool changes_state(const std::string& method) { return method != "GET" && method != "HEAD"; }

}  // namespace

void add_security_headers(http::Response& response) {
  response.headers.push_back(
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"});
  response.headers.push_back({"X-Content-Type-Options", "nosniff"});
  response.headers.push_back({"X-Frame-Options", "DENY"});
  response.headers.push_back({"Referrer-Policy", "same-origin"});
}

Console::Impl::Impl(ConsoleDeps d, ConsoleOptions o) : deps(std::move(d)), options(std::move(o)) {
  // A real Argon2id hash of a random password: an unknown email costs the same as a wrong password.
  auto h = auth::hash_password(crypto::random_hex(16));
  if (h) dummy_hash = *h;
}

Console::Impl::~Impl() = default;

http::Response Console::Impl::json_response(int status, const json::value& body) {
  return http::Response::json(status, json::serialize(body));
}

void Console::Impl::fail(const http::Responder& respond, const Error& error) {
  http::Response r = notify::error_response(error);
  if (error.code == "not_signed_in" || error.code == "invalid_credentials" || error.code == "invalid_code") r.status = 401;
  if (error.code == "csrf_failed") r.status = 403;
  if (error.code == "too_many_attempts") r.status = 429;
  respond(std::move(r));
}

Result<json::object> Console::Impl::body_object(const http::Request& request) {
  if (request.body.empty()) return json::object{};
  boost::system::error_code ec;
  json::value v = json::parse(request.body, ec);
  if (ec || !v.is_object()) return make_error("invalid_request", "the body must be a JSON object");
  return std::move(v.as_object());
}

std::string Console::Impl::session_cookie(const std::string& token, TimeMs max_age_ms) const {
  std::string c = std::string(kSessionCookie) + "=" + token + "; Path=/console; HttpOnly; SameSite=Strict; Max-Age=" +
                  std::to_string(max_age_ms / 1000);
  if (options.secure_cookies) c += "; Secure";
  return c;
}

void Console::Impl::off_thread(const http::Responder& respond, std::function<void()> work) {
  if (hashing_pending.fetch_add(1) >= kMaxHashingPending) {
    hashing_pending--;
    return fail(respond, make_error("overloaded", "too many sign-ins at once; retry in a moment"));
  }
  boost::asio::post(hashing, [self = shared_from_this(), work = std::move(work)] {
    self->hashing_pending--;
    work();
  });
}

Status Console::Impl::audit(store::StoreSession& s, const Caller& caller, const std::string& action,
                            const std::string& target, json::object detail, TimeMs now) {
  store::AuditRecord a;
  a.at_ms = now;
  a.actor_id = caller.op.id;
  a.actor_email = caller.op.email;
  a.action = action;
  a.target = target;
  a.detail_json = json::serialize(detail);
  a.remote_address = caller.remote_address;
  return s.insert_audit(a);
}

void Console::Impl::write_then(const http::Responder& respond, store::Store::WriteOp op,
                               std::function<http::Response()> ok) {
  deps.store.write(std::move(op), [respond, ok = std::move(ok)](Status st) {
    if (!st) return fail(respond, st.error());
    respond(ok());
  });
}

void Console::Impl::with_caller(const http::Request& request, const http::Responder& respond, Access access,
                                std::function<void(Caller)> next) {
  std::string token = http::cookie_value(request.header("Cookie"), kSessionCookie);
  if (token.empty() || token.size() > 128) {
    return fail(respond, make_error("not_signed_in", "sign in first"));
  }
  std::string csrf(request.header("X-CSRF-Token"));
  bool check_csrf = changes_state(request.method);
  std::string hash = crypto::to_hex(crypto::sha256(token));
  std::string remote = request.remote_address;
  TimeMs now = deps.clock.now_ms();
  deps.store.read([self = shared_from_this(), respond, access, next = std::move(next), hash, csrf, check_csrf, remote,
                   now](store::StoreSession& s) {
    auto session = s.get_operator_session(hash);
    if (!session) return fail(respond, session.error());
    if (!*session || (*session)->expires_ms <= now ||
        (*session)->last_seen_ms + self->options.session_idle_ms <= now) {
      return fail(respond, make_error("not_signed_in", "your session has ended; sign in again"));
    }
    auto op = s.get_operator((*session)->operator_id);
    if (!op) return fail(respond, op.error());
    if (!*op || (*op)->disabled_ms != 0) {
      return fail(respond, make_error("not_signed_in", "this account cannot sign in"));
    }
    if ((*session)->second_factor_pending && !access.allow_pending) {
      return fail(respond, make_error("not_signed_in", "enter the code from your authenticator app first"));
    }
    // The CSRF token is the session's own secret: compared in constant time like every secret.
    if (check_csrf && !crypto::constant_time_equals(csrf, (*session)->csrf_token)) {
      return fail(respond, make_error("csrf_failed", "missing or wrong X-CSRF-Token; reload the console"));
    }
    if (role_rank((*op)->role) < access.min_role) {
      return fail(respond, make_error("forbidden", "your role (" + (*op)->role + ") may not do this"));
    }
    Caller caller{**op, **session, remote};
    if (now - caller.session.last_seen_ms >= kSessionTouchMs) {
      store::OperatorSessionRecord touched = caller.session;
      touched.last_seen_ms = now;
      self->deps.store.write([touched](store::StoreSession& w) { return w.update_operator_session(touched); },
                             [](Status) {});
    }
    next(std::move(caller));
  });
}

void Console::Impl::api(const http::Request& request, const http::Responder& respond) {
  if (auth_routes(request, respond)) return;
  if (admin_routes(request, respond)) return;
  if (ops_routes(request, respond)) return;
  fail(respond, make_error("not_found", "no such console endpoint: " + request.method + " " + request.path));
}

Console::Console(ConsoleDeps deps, ConsoleOptions options)
    : impl_(std::make_shared<Impl>(std::move(deps), std::move(options))) {}

void Console::Impl::close_streams(const std::string& token_hash, const std::string& operator_id) {
  std::lock_guard lock(streams_mutex);
  for (auto& s : streams) {
    if ((!token_hash.empty() && crypto::constant_time_equals(s.token_hash, token_hash)) || (!operator_id.empty() && s.operator_id == operator_id)) {
      s.stream->close();
    }
  }
}

Console::~Console() {
  // A sign-in being hashed finishes here, on this thread: the pool must not be joined from its own
  // thread, which is where the last reference to Impl could otherwise be dropped.
  impl_->hashing.stop();
  impl_->hashing.join();
  std::vector<Impl::LiveStream> streams;
  {
    std::lock_guard lock(impl_->streams_mutex);
    streams.swap(impl_->streams);
  }
  for (auto& s : streams) s.stream->close();
}

bool Console::handle(const http::Request& request, const http::Responder& respond) {
  const std::string& path = request.path;
  if (path != "/console" && path.rfind("/console/", 0) != 0) return false;
  bool is_api = path.rfind("/console/api/", 0) == 0;
  // Every answer carries the security headers; the API's are never cached.
  http::Responder wrapped = [respond, is_api](http::Response r) {
    add_security_headers(r);
    if (is_api) r.headers.push_back({"Cache-Control", "no-store"});
    respond(std::move(r));
  };
  if (is_api) {
    impl_->api(request, wrapped);
    return true;
  }
  if (request.method != "GET" && request.method != "HEAD") {
    Impl::fail(wrapped, make_error("method_not_allowed", "the console's pages are read with GET"));
    return true;
  }
  if (path == "/console") {
    http::Response r{302, "text/plain; charset=utf-8", "", {{"Location", "/console/"}}};
    wrapped(std::move(r));
    return true;
  }
  std::string asset = path == "/console/" ? "index.html" : "";
  if (path.rfind("/console/assets/", 0) == 0) asset = path.substr(std::string("/console/assets/").size());
  std::string_view content = asset.empty() || asset.find("..") != std::string::npos ? std::string_view{}
                                                                                        : console_asset(asset);
  if (content.empty()) {
    // The page routes by fragment (#/board), so any other /console/ path is a typo or an old link.
    Impl::fail(wrapped, make_error("not_found", "no such console page: " + path));
    return true;
  }
  http::Response r{200, content_type_for(asset), std::string(content), {}};
  // Revalidated on every load: after an upgrade the page never runs yesterday's script against
  // today's API (the files are small, and served from memory).
  r.headers.push_back({"Cache-Control", "no-cache"});
  wrapped(std::move(r));
  return true;
}

void Console::publish(const std::string& event, const std::string& json) {
  TimeMs now = impl_->deps.clock.now_ms();
  std::lock_guard lock(impl_->streams_mutex);
  auto& streams = impl_->streams;
  for (auto it = streams.begin(); it != streams.end();) {
    if (it->expires_ms <= now) it->stream->close();
    if (!it->stream->send(event, json)) {
      it = streams.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace jarip::console
