// Internal to src/console: the state the route files share. Not a public header.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "console/console.hpp"

namespace jarip::http {
class EventStream;
}

namespace jarip::console {

namespace json = boost::json;

inline constexpr const char* kSessionCookie = "jarip_console";
// Below this, a request does not rewrite the session row just to move last_seen.
inline constexpr TimeMs kSessionTouchMs = 60'000;

// A string member of a request body; empty when absent or not a string.
inline std::string string_field(const json::object& o, const char* key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// Who is calling, once the session cookie is checked.
struct Caller {
  store::OperatorRecord op;
  store::OperatorSessionRecord session;
  std::string remote_address;
  // "console:OPERATOR_ID": how the console's sends and template edits are attributed in the API.
  std::string key_id() const { return "console:" + op.id; }
};

// What a route needs from the caller's session.
struct Access {
  int min_role = 0;            // role_rank
  bool allow_pending = false;  // a session still waiting for its TOTP code may call it
};

struct Console::Impl : std::enable_shared_from_this<Impl> {
  ConsoleDeps deps;
  ConsoleOptions options;
  // Argon2id takes tens of milliseconds and 64 MiB: never on an I/O thread, and one at a time.
  boost::asio::thread_pool hashing{1};
  std::atomic<int> hashing_pending{0};
  std::string dummy_hash;  // verified against when the email is unknown, so that timing says nothing
  // Live board connections, each ending with the session that opened it.
  struct LiveStream {
    std::shared_ptr<http::EventStream> stream;
    std::string token_hash;
    std::string operator_id;
    TimeMs expires_ms = 0;
  };
  std::mutex streams_mutex;
  std::vector<LiveStream> streams;
  // Ends the live connections of one session (token_hash) or of every session of an operator.
  void close_streams(const std::string& token_hash, const std::string& operator_id);

  Impl(ConsoleDeps d, ConsoleOptions o);
  ~Impl();

  // ---- plumbing (console.cpp) ----
  void api(const http::Request& request, const http::Responder& respond);
  static http::Response json_response(int status, const json::value& body);
  static void fail(const http::Responder& respond, const Error& error);
  // The JSON object in the body, or Error "invalid_request".
  static Result<json::object> body_object(const http::Request& request);
  // Checks the session (reader thread), the CSRF token for changes and the role, then next(caller)
  // on the store's thread; answers 401/403 itself.
  void with_caller(const http::Request& request, const http::Responder& respond, Access access,
                   std::function<void(Caller)> next);
  // Runs work on the hashing thread; 503 "overloaded" when too much is waiting.
  void off_thread(const http::Responder& respond, std::function<void()> work);
  // An audit row (in the same write as the change it records).
  static Status audit(store::StoreSession& s, const Caller& caller, const std::string& action, const std::string& target,
                      json::object detail, TimeMs now);
  // Writes op; on success respond(ok()), else the error.
  void write_then(const http::Responder& respond, store::Store::WriteOp op, std::function<http::Response()> ok);
  std::string session_cookie(const std::string& token, TimeMs max_age_ms) const;

  // ---- signing in and the operator's own account (auth_routes.cpp) ----
  bool auth_routes(const http::Request& request, const http::Responder& respond);
  void login(const http::Request& request, const http::Responder& respond);
  void login_totp(const http::Request& request, const http::Responder& respond);
  void logout(const http::Request& request, const http::Responder& respond);
  void me(const http::Request& request, const http::Responder& respond);

  // ---- operators, API keys, audit (admin_routes.cpp) ----
  bool admin_routes(const http::Request& request, const http::Responder& respond);

  // ---- board, messages, send, templates, providers, alerts, notices (ops_routes.cpp) ----
  bool ops_routes(const http::Request& request, const http::Responder& respond);
  void events(const http::Request& request, const http::Responder& respond);
  // POST /console/api/send (send_route.cpp).
  void send(const Caller& caller, const json::object& body, const std::string& idempotency_key,
            const http::Responder& respond, TimeMs now);
};

}  // namespace jarip::console
