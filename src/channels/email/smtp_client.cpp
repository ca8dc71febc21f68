#include "channels/email/smtp_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <deque>
#include <optional>
#include <vector>

namespace jarip::channels::email {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using boost::system::error_code;

std::string_view to_string(SmtpTlsMode mode) {
  switch (mode) {
    case SmtpTlsMode::starttls: return "starttls";
    case SmtpTlsMode::implicit: return "implicit";
    case SmtpTlsMode::none: return "none";
  }
  return "unknown";
}

namespace {

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 4096;
// A connection being retired gets this long to say QUIT and hear 221.
constexpr auto kQuitGrace = std::chrono::seconds(2);

bool ascii_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// An EHLO argument (RFC 5321 §4.1.1.1): a domain, or an address literal in brackets. Checked
// because it goes onto the command line as it is: a blank or CRLF in it would inject commands.
bool valid_helo(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  if (name.front() == '[') {
    if (name.size() < 3 || name.back() != ']') return false;
    return std::all_of(name.begin() + 1, name.end() - 1, [](char c) { return ascii_alnum(c) || c == '.' || c == ':'; });
  }
  if (name.front() == '.' || name.front() == '-' || name.back() == '.' || name.back() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return ascii_alnum(c) || c == '.' || c == '-'; });
}

std::string machine_host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) return "localhost";
  std::string name(buffer);
  return valid_helo(name) ? name : "localhost";
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) return false;
  }
  return true;
}

std::size_t find_ci(std::string_view text, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= text.size(); ++i) {
    if (starts_with_ci(text.substr(i), needle)) return i;
  }
  return std::string_view::npos;
}

// The token starting at `from`, without the brackets and punctuation relays put around ids.
std::string id_token(std::string_view text, std::size_t from) {
  std::size_t end = text.find(' ', from);
  std::string_view token = text.substr(from, end == std::string_view::npos ? std::string_view::npos : end - from);
  while (!token.empty() && std::string_view("<([").find(token.front()) != std::string_view::npos) token.remove_prefix(1);
  while (!token.empty() && std::string_view(">)],;.").find(token.back()) != std::string_view::npos) token.remove_suffix(1);
  if (token.empty() || token.size() > 128) return {};
  for (char c : token) {
    if (c <= ' ' || c > '~') return {};
  }
  return std::string(token);
}

struct Connection {
  explicit Connection(const asio::any_io_executor& executor) : socket(executor) {}

  tcp::socket socket;  // moved into `tls` once TLS starts
  std::unique_ptr<ssl::stream<tcp::socket>> tls;
  std::string in;  // bytes read and not yet parsed; parse_smtp_reply bounds it
  std::array<char, kReadChunk> chunk;  // one read's bytes, before they join `in`
  SmtpCapabilities caps;
  bool loopback = false;  // the peer's address, not the configured name
  std::size_t messages = 0;
  SteadyClock::time_point idle_since;

  tcp::socket& lowest() { return tls ? tls->next_layer() : socket; }
  // Cancels whatever is pending on it: the operations complete at once with operation_aborted.
  void close() {
    error_code ignored;
    lowest().close(ignored);
  }
};

asio::awaitable<std::tuple<error_code, std::size_t>> read_some(Connection& c, asio::mutable_buffer buffer) {
  if (c.tls) co_return co_await c.tls->async_read_some(buffer, use_nothrow);
  co_return co_await c.socket.async_read_some(buffer, use_nothrow);
}

asio::awaitable<std::tuple<error_code, std::size_t>> write_all(Connection& c, asio::const_buffer buffer) {
  if (c.tls) co_return co_await asio::async_write(*c.tls, buffer, use_nothrow);
  co_return co_await asio::async_write(c.socket, buffer, use_nothrow);
}

// Where in the conversation something happened: it decides what a reply or a failure means.
enum class Stage { resolve, connect, tls, greeting, ehlo, starttls, auth, rset, mail, rcpt, data, data_end };

std::string_view stage_name(Stage stage) {
  switch (stage) {
    case Stage::resolve: return "resolving the relay";
    case Stage::connect: return "connecting";
    case Stage::tls: return "TLS handshake";
    case Stage::greeting: return "greeting";
    case Stage::ehlo: return "EHLO";
    case Stage::starttls: return "STARTTLS";
    case Stage::auth: return "AUTH";
    case Stage::rset: return "RSET";
    case Stage::mail: return "MAIL FROM";
    case Stage::rcpt: return "RCPT TO";
    case Stage::data: return "DATA";
    case Stage::data_end: return "end of data";
  }
  return "?";
}

// The replies that belong to one message's transaction: a 5xx there is about the message.
bool in_transaction(Stage stage) {
  return stage == Stage::mail || stage == Stage::rcpt || stage == Stage::data || stage == Stage::data_end;
}

// One send, from the queue to its outcome.
struct Exchange {
  SmtpMail mail;
  std::string payload;  // dot-stuffed, with the final ".\r\n"
  SteadyClock::time_point started;
  SteadyClock::time_point deadline;
  std::function<void(SmtpSendOutcome)> done;
  std::optional<asio::steady_timer> watchdog;
  std::unique_ptr<tcp::resolver> resolver;
  std::shared_ptr<Connection> conn;

  bool running = false;    // out of the queue
  bool resolving = false;  // waiting for the resolver, which only a result in hand can outrun
  bool timed_out = false;  // the deadline passed: every failure from now on is a timeout
  bool delivered = false;  // `done` has been scheduled
  bool data_end_written = false;  // every byte of the data, the final "." included, was written
  bool keep_connection = false;   // the connection is in a known state and may serve the next message
  SmtpSendOutcome outcome;

  void set(SendOutcome result, ProviderHealth health, std::string code, std::string text, std::string log) {
    outcome.result = SendResult{result, "", std::move(code), std::move(text)};
    outcome.health = health;
    outcome.error = std::move(log);
    keep_connection = false;
  }

  // A read or write failed (or was aborted by the deadline).
  void fail_io(const error_code& ec, Stage stage, std::string_view code = "smtp_connection_lost") {
    std::string what = std::string(stage_name(stage)) + ": " + ec.message();
    if (data_end_written) {
      // The relay has the whole message and may have queued it: only its reply would tell.
      set(SendOutcome::ambiguous, ProviderHealth::timeout, timed_out ? "smtp_timeout" : "smtp_connection_lost",
          "no reply to the end of the data; the relay may have queued the message", "after the data: " + what);
    } else if (timed_out) {
      set(SendOutcome::retryable, ProviderHealth::timeout, "smtp_timeout",
          "the deadline passed during " + std::string(stage_name(stage)), "deadline passed: " + what);
    } else {
      set(SendOutcome::retryable, ProviderHealth::failure, std::string(code), what, what);
    }
  }

  // A reply that is not the one the step needed.
  void fail_reply(const SmtpReply& reply, Stage stage) {
    std::string code = reply.enhanced ? reply.enhanced->to_string() : std::to_string(reply.code);
    std::string text = reply.text();
    std::string log = std::string(stage_name(stage)) + " answered " + std::to_string(reply.code) + " " + text;
    bool transaction = in_transaction(stage);
    switch (reply.code / 100) {
      case 4:
        // 421: the relay is closing the connection (overloaded, shutting down). AUTH: credentials
        // are the breaker's business, as an HTTP 401 is for the other providers.
        set(SendOutcome::retryable,
            reply.code == 421 || stage == Stage::auth ? ProviderHealth::failure : ProviderHealth::ok, code, text, log);
        keep_connection = transaction && reply.code != 421;
        return;
      case 5:
        if (transaction) {
          set(SendOutcome::permanent, ProviderHealth::ok, code, text, log);
          keep_connection = true;  // RSET before the next message
        } else {
          // Refused before any message was offered (greeting, EHLO, STARTTLS, AUTH): the relay or
          // its configuration is at fault, and another attempt may go elsewhere.
          set(SendOutcome::retryable, ProviderHealth::failure, code, text, log);
        }
        return;
      default:
        if (stage == Stage::data_end) {
          set(SendOutcome::ambiguous, ProviderHealth::failure, "smtp_unexpected_reply", text, log);
        } else {
          set(SendOutcome::retryable, ProviderHealth::failure, "smtp_unexpected_reply", text, log);
        }
        return;
    }
  }
};

}  // namespace

std::string smtp_queue_id(const SmtpReply& reply) {
  std::string text = reply.text();
  std::string_view view(text);
  if (std::size_t at = find_ci(view, "queued as "); at != std::string_view::npos) {  // Postfix
    return id_token(view, at + 10);
  }
  for (std::size_t from = 0;;) {  // Exim: "OK id=1rAbCd-000123-Xy"
    std::size_t at = find_ci(view.substr(from), "id=");
    if (at == std::string_view::npos) break;
    at += from;
    if (at == 0 || view[at - 1] == ' ') return id_token(view, at + 3);
    from = at + 1;
  }
  if (find_ci(view, "message accepted for delivery") != std::string_view::npos) {  // Sendmail
    return id_token(view, 0);
  }
  if (view.size() > 8 && view.substr(view.size() - 8) == " - gsmtp") {  // Gmail: "OK  <t> <id> - gsmtp"
    std::string_view rest = view.substr(0, view.size() - 8);
    std::size_t space = rest.rfind(' ');
    return id_token(rest, space == std::string_view::npos ? 0 : space + 1);
  }
  return {};
}

struct SmtpClient::Impl : std::enable_shared_from_this<SmtpClient::Impl> {
  Impl(asio::any_io_executor executor, SmtpClientOptions o)
      : outer(std::move(executor)),
        strand(asio::make_strand(outer)),
        options(std::move(o)),
        tls_context(ssl::context::tls_client),
        reaper(strand) {}

  asio::any_io_executor outer;   // where `done` runs
  asio::any_io_executor strand;  // the pool, every connection and every exchange live here
  SmtpClientOptions options;
  ssl::context tls_context;
  std::vector<std::shared_ptr<Connection>> idle;  // most recently used last
  std::size_t active = 0;
  std::deque<std::shared_ptr<Exchange>> waiting;
  asio::steady_timer reaper;
  bool reaper_armed = false;
  bool closed = false;

  // ---- the pool (on the strand) ----------------------------------------------------------------

  void submit(std::shared_ptr<Exchange> x) {
    x->watchdog.emplace(strand, x->deadline);
    x->watchdog->async_wait([self = shared_from_this(), x](error_code ec) {
      if (!ec) self->on_deadline(*x);
    });
    if (active < options.pool_size) {
      start(std::move(x));
    } else if (waiting.size() >= options.max_waiting) {
      x->set(SendOutcome::retryable, ProviderHealth::ok, "smtp_queue_full",
             "too many messages waiting for a connection to the relay", "send queue full");
      finish_unstarted(*x);
    } else {
      waiting.push_back(std::move(x));
    }
  }

  void on_deadline(Exchange& x) {
    if (x.delivered) return;
    x.timed_out = true;
    if (!x.running) {
      // Still queued: every connection was busy for the whole time. The sends on them report the
      // relay's slowness themselves; this one says nothing about its health.
      x.set(SendOutcome::retryable, ProviderHealth::ok, "smtp_timeout",
            "no connection to the relay became free before the deadline", "deadline passed while queued");
      deliver(x);
      std::erase_if(waiting, [&](const std::shared_ptr<Exchange>& queued) { return queued.get() == &x; });
      return;
    }
    if (x.resolving) {
      // The resolver cannot be interrupted (getaddrinfo runs to its end): answer now; the
      // coroutine finds the answer given when the resolver returns.
      if (x.resolver) x.resolver->cancel();
      x.fail_io(asio::error::timed_out, Stage::resolve);
      deliver(x);
      return;
    }
    // Aborts the pending read or write at once; the coroutine maps it (a timeout after the data
    // was written is ambiguous).
    if (x.conn) x.conn->close();
  }

  void start(std::shared_ptr<Exchange> x) {
    x->running = true;
    ++active;
    std::shared_ptr<Connection> conn;
    auto now = SteadyClock::now();
    while (!idle.empty()) {
      conn = std::move(idle.back());
      idle.pop_back();
      if (now - conn->idle_since < std::chrono::milliseconds(options.idle_timeout_ms)) break;
      retire(std::move(conn));
    }
    asio::co_spawn(strand, run(shared_from_this(), std::move(x), std::move(conn)), asio::detached);
  }

  void finish(std::shared_ptr<Connection> reusable) {
    --active;
    if (reusable) {
      if (closed || reusable->messages >= options.max_messages_per_connection) {
        retire(std::move(reusable));
      } else {
        reusable->idle_since = SteadyClock::now();
        idle.push_back(std::move(reusable));
        arm_reaper();
      }
    }
    auto now = SteadyClock::now();
    while (active < options.pool_size && !waiting.empty()) {
      auto next = std::move(waiting.front());
      waiting.pop_front();
      if (next->delivered) continue;
      // Its deadline passed while it waited (its timer has not run yet): no connection for it.
      if (now >= next->deadline) {
        on_deadline(*next);
        continue;
      }
      start(std::move(next));
    }
  }

  void finish_unstarted(Exchange& x) {
    if (x.watchdog) x.watchdog->cancel();
    deliver(x);
  }

  void deliver(Exchange& x) {
    if (x.delivered) return;
    x.delivered = true;
    x.outcome.elapsed_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - x.started).count());
    asio::post(outer, [done = std::move(x.done), outcome = x.outcome]() mutable { done(std::move(outcome)); });
  }

  void arm_reaper() {
    if (reaper_armed || idle.empty() || closed) return;
    auto oldest = idle.front()->idle_since;
    for (auto& c : idle) oldest = std::min(oldest, c->idle_since);
    reaper_armed = true;
    reaper.expires_at(oldest + std::chrono::milliseconds(options.idle_timeout_ms));
    reaper.async_wait([self = shared_from_this()](error_code ec) {
      self->reaper_armed = false;
      if (ec) return;
      self->reap();
    });
  }

  void reap() {
    auto now = SteadyClock::now();
    auto timeout = std::chrono::milliseconds(options.idle_timeout_ms);
    std::vector<std::shared_ptr<Connection>> keep;
    for (auto& c : idle) {
      if (now - c->idle_since >= timeout) {
        retire(std::move(c));
      } else {
        keep.push_back(std::move(c));
      }
    }
    idle = std::move(keep);
    arm_reaper();
  }

  void close_idle() {
    closed = true;
    reaper.cancel();
    for (auto& c : idle) retire(std::move(c));
    idle.clear();
  }

  // QUIT, a short wait for 221, and close: relays log an abrupt close as a lost connection.
  void retire(std::shared_ptr<Connection> conn) {
    asio::co_spawn(strand, say_goodbye(shared_from_this(), std::move(conn)), asio::detached);
  }

  static asio::awaitable<void> say_goodbye(std::shared_ptr<Impl> self, std::shared_ptr<Connection> conn) {
    asio::steady_timer guard(self->strand, kQuitGrace);
    guard.async_wait([conn](error_code ec) {
      if (!ec) conn->close();
    });
    static constexpr std::string_view kQuit = "QUIT\r\n";
    auto [ec, n] = co_await write_all(*conn, asio::buffer(kQuit));
    while (!ec) {
      auto parsed = parse_smtp_reply(conn->in);
      if (!parsed.ok() || parsed->has_value()) break;
      std::size_t got = 0;
      std::tie(ec, got) = co_await read_some(*conn, asio::buffer(conn->chunk));
      if (!ec) conn->in.append(conn->chunk.data(), got);
    }
    guard.cancel();
    conn->close();
  }

  // ---- one send (a coroutine on the strand) ----------------------------------------------------

  static asio::awaitable<void> run(std::shared_ptr<Impl> self, std::shared_ptr<Exchange> x,
                                   std::shared_ptr<Connection> reuse) {
    try {
      co_await self->execute(*x, std::move(reuse));
    } catch (const std::exception& e) {
      // Nothing may escape into the event loop, and `done` must still run exactly once.
      if (x->data_end_written) {
        x->set(SendOutcome::ambiguous, ProviderHealth::failure, "internal", e.what(), e.what());
      } else {
        x->set(SendOutcome::retryable, ProviderHealth::failure, "internal", e.what(), e.what());
      }
    }
    if (x->watchdog) x->watchdog->cancel();
    self->deliver(*x);
    std::shared_ptr<Connection> conn = std::move(x->conn);
    // Unread bytes mean the conversation is out of step with the relay: do not build on it.
    bool reusable = conn && x->keep_connection && !x->timed_out && conn->in.empty();
    if (conn && !reusable) conn->close();
    self->finish(reusable ? std::move(conn) : nullptr);
  }

  asio::awaitable<void> execute(Exchange& x, std::shared_ptr<Connection> reuse) {
    if (reuse) {
      x.conn = reuse;
      auto r = co_await command(x, *reuse, "RSET\r\n", Stage::rset);
      if (!r || r->code != 250) {
        if (x.timed_out) co_return;
        // The relay closed it while it sat idle (or answers 421): a fresh connection is as safe,
        // since nothing of this message was sent yet.
        reuse->close();
        x.conn.reset();
        x.outcome = {};
      }
    }
    if (!x.conn) {
      bool opened = co_await open(x);
      if (!opened) co_return;
    }
    co_await transaction(x, *x.conn);
  }

  asio::awaitable<std::optional<SmtpReply>> read_reply(Exchange& x, Connection& c, Stage stage) {
    for (;;) {
      auto parsed = parse_smtp_reply(c.in);
      if (!parsed.ok()) {
        // Also a line or reply over the limits: the buffer stops growing here.
        std::string why = std::string(stage_name(stage)) + ": " + parsed.error().message;
        if (x.data_end_written) {
          x.set(SendOutcome::ambiguous, ProviderHealth::failure, "smtp_bad_reply", parsed.error().message, why);
        } else {
          x.set(SendOutcome::retryable, ProviderHealth::failure, "smtp_bad_reply", parsed.error().message, why);
        }
        co_return std::nullopt;
      }
      if (parsed->has_value()) {
        ParsedSmtpReply& p = **parsed;
        c.in.erase(0, p.consumed);
        x.outcome.answered = true;
        co_return std::move(p.reply);
      }
      auto [ec, n] = co_await read_some(c, asio::buffer(c.chunk));
      if (ec) {
        x.fail_io(ec, stage);
        co_return std::nullopt;
      }
      c.in.append(c.chunk.data(), n);
    }
  }

  asio::awaitable<std::optional<SmtpReply>> command(Exchange& x, Connection& c, std::string line, Stage stage) {
    auto [ec, n] = co_await write_all(c, asio::buffer(line));
    if (ec) {
      x.fail_io(ec, stage);
      co_return std::nullopt;
    }
    co_return co_await read_reply(x, c, stage);
  }

  asio::awaitable<bool> open(Exchange& x) {
    x.resolver = std::make_unique<tcp::resolver>(strand);
    x.resolving = true;
    auto [ec_r, endpoints] = co_await x.resolver->async_resolve(options.host, std::to_string(options.port), use_nothrow);
    x.resolving = false;
    x.resolver.reset();
    if (x.delivered) co_return false;  // the deadline was answered while resolving
    if (ec_r) {
      x.fail_io(ec_r, Stage::resolve, "smtp_resolve_failed");
      co_return false;
    }

    x.conn = std::make_shared<Connection>(strand);
    Connection& c = *x.conn;
    auto [ec_c, endpoint] = co_await asio::async_connect(c.socket, endpoints, use_nothrow);
    if (ec_c) {
      x.fail_io(ec_c, Stage::connect, "smtp_connect_failed");
      co_return false;
    }
    c.loopback = endpoint.address().is_loopback();
    error_code ignored;
    c.socket.set_option(tcp::no_delay(true), ignored);
    if (options.tls == SmtpTlsMode::none && !c.loopback) {
      // The configuration allowed clear text for a loopback relay; the name led elsewhere.
      x.set(SendOutcome::retryable, ProviderHealth::failure, "smtp_insecure_relay",
            "tls = \"none\" is allowed only for a relay on a loopback address",
            options.host + " is at " + endpoint.address().to_string() + ", not loopback: refusing clear text");
      co_return false;
    }

    if (options.tls == SmtpTlsMode::implicit) {
      bool secured = co_await handshake(x, c);
      if (!secured) co_return false;
    }
    auto greeting = co_await read_reply(x, c, Stage::greeting);
    if (!greeting) co_return false;
    if (greeting->code != 220) {
      x.fail_reply(*greeting, Stage::greeting);
      co_return false;
    }
    bool greeted = co_await ehlo(x, c);
    if (!greeted) co_return false;

    if (options.tls == SmtpTlsMode::starttls) {
      if (!c.caps.starttls) {
        x.set(SendOutcome::retryable, ProviderHealth::failure, "smtp_starttls_unavailable",
              "the relay does not offer STARTTLS", "the relay does not offer STARTTLS; tls = \"starttls\" requires it");
        co_return false;
      }
      auto r = co_await command(x, c, "STARTTLS\r\n", Stage::starttls);
      if (!r) co_return false;
      if (r->code != 220) {
        x.fail_reply(*r, Stage::starttls);
        co_return false;
      }
      if (!c.in.empty()) {
        // Bytes that arrived before the handshake would be read as if they came over TLS: the
        // STARTTLS response injection of CVE-2011-0411.
        x.set(SendOutcome::retryable, ProviderHealth::failure, "smtp_bad_reply",
              "the relay sent data after its STARTTLS reply", "data after the STARTTLS reply: refused");
        co_return false;
      }
      bool secured = co_await handshake(x, c);
      if (!secured) co_return false;
      // RFC 3207 §4.2: forget what was learnt before TLS and ask again.
      c.caps = {};
      greeted = co_await ehlo(x, c);
      if (!greeted) co_return false;
    }

    if (!options.username.empty()) {
      if (!c.tls && !c.loopback) {
        x.set(SendOutcome::retryable, ProviderHealth::failure, "smtp_auth_needs_tls",
              "credentials are sent only over TLS or to a loopback relay", "refusing to send credentials in clear text");
        co_return false;
      }
      bool authenticated = co_await authenticate(x, c);
      if (!authenticated) co_return false;
    }
    co_return true;
  }

  asio::awaitable<bool> handshake(Exchange& x, Connection& c) {
    c.tls = std::make_unique<ssl::stream<tcp::socket>>(std::move(c.socket), tls_context);
    SSL* native = c.tls->native_handle();
    // SNI carries names only (RFC 6066 §3).
    if (!is_ip_literal(options.host)) SSL_set_tlsext_host_name(native, options.host.c_str());
    if (options.verify_tls) c.tls->set_verify_callback(ssl::host_name_verification(options.host));
    auto [ec] = co_await c.tls->async_handshake(ssl::stream_base::client, use_nothrow);
    if (ec) {
      x.fail_io(ec, Stage::tls, "smtp_tls_failed");
      long verify = SSL_get_verify_result(native);
      if (!x.timed_out && verify != X509_V_OK) {
        x.outcome.error += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
        x.outcome.result.error_text = x.outcome.error;
      }
      co_return false;
    }
    co_return true;
  }

  asio::awaitable<bool> ehlo(Exchange& x, Connection& c) {
    auto r = co_await command(x, c, "EHLO " + options.helo + "\r\n", Stage::ehlo);
    if (!r) co_return false;
    if (r->code != 250) {
      x.fail_reply(*r, Stage::ehlo);
      co_return false;
    }
    c.caps = parse_ehlo_reply(*r);
    co_return true;
  }

  // PLAIN when offered (one round trip), else LOGIN. The lines carrying the credentials are never
  // put into an error or a log; only the relay's replies are.
  asio::awaitable<bool> authenticate(Exchange& x, Connection& c) {
    if (c.caps.supports_auth("PLAIN")) {
      auto response = auth_plain_response(options.username, options.password);
      if (!response) {
        x.set(SendOutcome::retryable, ProviderHealth::failure, response.error().code, response.error().message,
              response.error().message);
        co_return false;
      }
      auto r = co_await command(x, c, "AUTH PLAIN " + *response + "\r\n", Stage::auth);
      if (!r) co_return false;
      if (r->code != 235) {
        x.fail_reply(*r, Stage::auth);
        co_return false;
      }
      co_return true;
    }
    if (c.caps.supports_auth("LOGIN")) {
      auto r = co_await command(x, c, "AUTH LOGIN\r\n", Stage::auth);
      if (!r) co_return false;
      if (r->code == 334) {
        r = co_await command(x, c, auth_login_response(options.username) + "\r\n", Stage::auth);
        if (!r) co_return false;
        if (r->code == 334) {
          r = co_await command(x, c, auth_login_response(options.password) + "\r\n", Stage::auth);
          if (!r) co_return false;
        }
      }
      if (r->code != 235) {
        x.fail_reply(*r, Stage::auth);
        co_return false;
      }
      co_return true;
    }
    std::string offered;
    for (const auto& m : c.caps.auth_mechanisms) offered += (offered.empty() ? "" : " ") + m;
    x.set(SendOutcome::retryable, ProviderHealth::failure, "smtp_auth_unavailable",
          "the relay offers no AUTH mechanism jarip uses (PLAIN, LOGIN)",
          "no usable AUTH mechanism; offered: " + (offered.empty() ? std::string("none") : offered));
    co_return false;
  }

  asio::awaitable<void> transaction(Exchange& x, Connection& c) {
    const SmtpMail& mail = x.mail;
    std::uint64_t size = mail.message.size();
    // Refusals of our own leave the connection as it was: nothing of this message was sent.
    if (mail.smtputf8 && !c.caps.smtputf8) {
      x.set(SendOutcome::permanent, ProviderHealth::ok, "smtp_smtputf8_unsupported",
            "the message needs SMTPUTF8 (an internationalised address) and the relay does not offer it",
            "SMTPUTF8 needed, not offered");
      x.keep_connection = true;
      co_return;
    }
    if (c.caps.size_declared && !c.caps.accepts_size(size)) {
      x.set(SendOutcome::permanent, ProviderHealth::ok, "smtp_message_too_large",
            "the message has " + std::to_string(size) + " bytes; the relay takes at most " +
                std::to_string(c.caps.size_limit),
            "message over the relay's SIZE");
      x.keep_connection = true;
      co_return;
    }
    auto mail_line = mail_from_command(mail.envelope_from, c.caps.size_declared ? std::optional(size) : std::nullopt,
                                       mail.smtputf8);
    auto rcpt_line = rcpt_to_command(mail.envelope_to);
    for (const auto* line : {&mail_line, &rcpt_line}) {
      if (!line->ok()) {
        x.set(SendOutcome::permanent, ProviderHealth::ok, line->error().code, line->error().message,
              line->error().message);
        x.keep_connection = true;
        co_return;
      }
    }

    auto r = co_await command(x, c, std::move(*mail_line), Stage::mail);
    if (!r) co_return;
    if (r->code / 100 != 2) {
      x.fail_reply(*r, Stage::mail);
      co_return;
    }
    r = co_await command(x, c, std::move(*rcpt_line), Stage::rcpt);
    if (!r) co_return;
    if (r->code / 100 != 2) {
      x.fail_reply(*r, Stage::rcpt);
      co_return;
    }
    r = co_await command(x, c, "DATA\r\n", Stage::data);
    if (!r) co_return;
    if (r->code != 354) {
      x.fail_reply(*r, Stage::data);
      co_return;
    }
    ++c.messages;
    auto [ec, written] = co_await write_all(c, asio::buffer(x.payload));
    // Counted by what the kernel took: a write cut short kept the final "." back.
    x.data_end_written = written == x.payload.size();
    if (ec) {
      x.fail_io(ec, Stage::data);
      co_return;
    }
    r = co_await read_reply(x, c, Stage::data_end);
    if (!r) co_return;
    if (r->code / 100 != 2) {
      x.fail_reply(*r, Stage::data_end);
      co_return;
    }
    x.outcome.result = SendResult{SendOutcome::accepted, smtp_queue_id(*r), "", ""};
    x.outcome.health = ProviderHealth::ok;
    x.outcome.error.clear();
    x.keep_connection = true;
  }
};

Result<std::unique_ptr<SmtpClient>> SmtpClient::create(boost::asio::any_io_executor executor, SmtpClientOptions options) {
  auto invalid = [](std::string field, std::string why) { return make_error("config_invalid", why, std::move(field)); };
  if (options.host.empty() || std::any_of(options.host.begin(), options.host.end(),
                                          [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; })) {
    return invalid("host", "the relay's host must be a name or an address, without blanks");
  }
  if (options.port == 0) return invalid("port", "the relay's port must be 1-65535");
  if (options.pool_size < 1 || options.pool_size > 64) return invalid("pool_size", "pool_size must be 1-64");
  if (options.helo.empty()) {
    options.helo = machine_host_name();
  } else if (!valid_helo(options.helo)) {
    return invalid("helo", "helo must be a host name (letters, digits, '-', '.') or an address literal in brackets");
  }
  if (options.idle_timeout_ms < 1) options.idle_timeout_ms = 1;
  if (options.max_messages_per_connection < 1) options.max_messages_per_connection = 1;

  auto impl = std::make_shared<Impl>(std::move(executor), std::move(options));
  const SmtpClientOptions& o = impl->options;
  ssl::context& context = impl->tls_context;
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_compression);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  if (o.verify_tls) {
    error_code ec;
    if (!o.ca_file.empty()) {
      context.load_verify_file(o.ca_file, ec);
      if (ec) return invalid("ca_file", "cannot load CA certificates from '" + o.ca_file + "': " + ec.message());
    } else {
      context.set_default_verify_paths(ec);
      if (ec) return invalid("ca_file", "cannot load the system's CA certificates: " + ec.message());
    }
    context.set_verify_mode(ssl::verify_peer);
  } else {
    context.set_verify_mode(ssl::verify_none);
  }
  return std::unique_ptr<SmtpClient>(new SmtpClient(std::move(impl)));
}

SmtpClient::~SmtpClient() { close(); }

void SmtpClient::send(SmtpMail mail, int timeout_ms, std::function<void(SmtpSendOutcome)> done) {
  auto x = std::make_shared<Exchange>();
  x->started = SteadyClock::now();
  x->deadline = x->started + std::chrono::milliseconds(std::max(timeout_ms, 1));
  x->payload = dot_stuff(mail.message);
  x->mail = std::move(mail);
  x->done = std::move(done);
  asio::post(impl_->strand, [impl = impl_, x = std::move(x)]() mutable { impl->submit(std::move(x)); });
}

void SmtpClient::close() {
  asio::post(impl_->strand, [impl = impl_] { impl->close_idle(); });
}

}  // namespace jarip::channels::email
