// The operator console: the single page at /console (assets embedded in the binary) and the JSON API
// it uses, /console/api/… (docs/console-api.md): operators signed in with a password (Argon2id) and an
// optional TOTP code, sessions in HttpOnly SameSite=Strict cookies, a CSRF token on every change,
// sign-in throttling counted in the database, roles, and an audit log of every change.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/json/fwd.hpp>

#include <functional>
#include <memory>
#include <string>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "http/message.hpp"
#include "store/store.hpp"

namespace jarip::notify {
class Api;
class Engine;
}  // namespace jarip::notify

namespace jarip::console {

struct ConsoleOptions {
  bool secure_cookies = false;       // add "Secure" (HTTPS, or public.url is https://)
  TimeMs session_idle_ms = 12LL * 3600 * 1000;
  TimeMs session_max_ms = 7LL * 24 * 3600 * 1000;
  int account_failures = 5;          // failed sign-ins per account …
  int address_failures = 20;         // … and per remote address …
  TimeMs failure_window_ms = 15LL * 60 * 1000;  // … within this window before 429
  std::string totp_issuer = "jarip";
  std::size_t max_event_streams = 64;  // live board connections at once
};

// What the console reads and changes. Everything must outlive the Console.
struct ConsoleDeps {
  store::Store& store;
  const Clock& clock;
  notify::Engine& engine;
  notify::Api& api;
  // The health board document (docs/console-api.md "Health board"); called on I/O threads.
  std::function<boost::json::object()> board;
  // The automatic-notice wording: validate and normalise a PUT body (status/), or an Error.
  std::function<Result<std::string>(const std::string& body)> check_status_templates;
  std::function<std::string()> default_status_templates;
  // Called after a provider or chain setting changed, so that this node applies it at once (the
  // others pick it up within seconds), and after a status notice changed (the status page refreshes).
  std::function<void()> settings_changed;
  std::function<void()> status_changed;
};

class Console {
 public:
  Console(ConsoleDeps deps, ConsoleOptions options);
  ~Console();

  // True when the request is the console's (/console, /console/…) and was answered through respond.
  bool handle(const http::Request& request, const http::Responder& respond);

  // Sends an event (board | alert | notice) to every open live connection. Thread-safe.
  void publish(const std::string& event, const std::string& json);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The headers every console and status page response carries: a strict Content-Security-Policy (no
// inline script or style), nosniff, no framing, same-origin referrers.
void add_security_headers(http::Response& response);

}  // namespace jarip::console
