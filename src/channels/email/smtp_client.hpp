// An asynchronous SMTP submission client (RFC 5321, RFC 6409) for one relay: a small pool of
// connections kept open and reused (RSET between messages), STARTTLS or implicit TLS with
// certificate and host name checks, AUTH PLAIN/LOGIN, one message per transaction, and one deadline
// per message covering everything from connecting to the reply after the data.
//
// The protocol text is smtp.hpp's; this file owns sockets, TLS, timers and the pool, and maps what
// happened to the engine's outcome (docs/email.md, "SMTP client and the email provider"):
//
//   250 after the data                         accepted (provider_message_id: the relay's queue id)
//   4xx anywhere                               retryable (421: health failure)
//   5xx to MAIL, RCPT, DATA or the data        permanent, error_code the enhanced code ("5.1.1")
//   5xx to the greeting, EHLO, STARTTLS, AUTH  retryable, health failure (the relay or our
//                                              credentials are wrong, not the message)
//   no connection, TLS failure                 retryable, health failure
//   deadline before the final "." was written  retryable, health timeout
//   deadline or connection lost after it       ambiguous, health timeout (it may be queued)
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "channels/email/smtp.hpp"
#include "channels/provider.hpp"
#include "channels/transport.hpp"
#include "common/result.hpp"

namespace jarip::channels::email {

enum class SmtpTlsMode {
  starttls,  // plain connect, then STARTTLS (RFC 3207); a relay that does not offer it is refused
  implicit,  // TLS from the first byte (RFC 8314, port 465)
  none,      // no TLS at all: only to a relay on a loopback address
};
std::string_view to_string(SmtpTlsMode mode);

struct SmtpClientOptions {
  std::string host;  // name or address literal; also the name the certificate must carry
  std::uint16_t port = 587;
  SmtpTlsMode tls = SmtpTlsMode::starttls;
  std::string helo;      // the EHLO name; empty: this machine's host name
  std::string username;  // empty: no AUTH
  std::string password;  // never logged
  std::string ca_file;   // PEM certificates to trust instead of the system store; empty: system store
  bool verify_tls = true;  // false: any certificate is accepted (tests with their own relay only)
  std::size_t pool_size = 4;            // connections open at once, and so messages in flight
  int idle_timeout_ms = 30'000;         // an idle connection is closed (QUIT) after this long
  std::size_t max_messages_per_connection = 100;  // then QUIT and reconnect; relays limit it too
  std::size_t max_waiting = 256;        // sends queued for a connection; more are refused at once
};

// One message for one recipient.
struct SmtpMail {
  std::string envelope_from;  // MAIL FROM address (normalised)
  std::string envelope_to;    // RCPT TO address (normalised)
  std::string message;        // RFC 5322 bytes, CRLF line ends; dot-stuffed by the client
  bool smtputf8 = false;      // an address or header needs SMTPUTF8 (RFC 6531)
};

struct SmtpSendOutcome {
  SendResult result;
  ProviderHealth health = ProviderHealth::ok;
  bool answered = false;  // the relay sent at least one reply during this send
  int elapsed_ms = 0;
  std::string error;  // what went wrong, for logs: the step and the reply; never a credential
};

// The relay's queue id in a 250 reply to the data, when it shows one: Postfix "queued as
// 4XkLmN0abc", Exim "id=1rAbCd-000123-Xy", Sendmail "<id> Message accepted for delivery".
// Empty when none is recognised.
std::string smtp_queue_id(const SmtpReply& reply);

class SmtpClient {
 public:
  // A client for one relay. Nothing is connected yet. Errors "config_invalid" with `field` the
  // option at fault ("host", "helo", "ca_file", "pool_size", "port"), as the provider's settings
  // name them.
  static Result<std::unique_ptr<SmtpClient>> create(boost::asio::any_io_executor executor, SmtpClientOptions options);
  ~SmtpClient();  // close()
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  // Sends one message; `done` runs exactly once, on the executor the client was made with, at the
  // latest shortly after `timeout_ms` (which covers waiting for a connection, connecting, TLS and
  // every reply). May be called from any thread.
  void send(SmtpMail mail, int timeout_ms, std::function<void(SmtpSendOutcome)> done);

  // Closes idle connections (QUIT) and keeps no connection afterwards; sends in flight complete.
  void close();

 private:
  struct Impl;
  explicit SmtpClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace jarip::channels::email
