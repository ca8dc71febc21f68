// The email provider, type "smtp": one SMTP relay jarip submits to ([providers.NAME] in
// jarip.toml; docs/email.md, "SMTP client and the email provider").
//
// The adapter (email_adapter.cpp) is a TransportAdapter for SendKind::email that checks the
// settings at start-up; the transport (smtp_transport.cpp) composes each message with
// compose_email and hands it to an SmtpClient. Settings parsing and composing are pure, so they are
// tested without sockets.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "channels/email/dkim.hpp"
#include "channels/email/mime.hpp"
#include "channels/email/smtp_client.hpp"
#include "channels/provider.hpp"
#include "channels/transport.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"

namespace jarip::channels::email {

// The settings of one provider of type "smtp", checked.
struct EmailProviderConfig {
  std::string name;
  SmtpClientOptions smtp;  // verify_tls comes from TransportEnv, not from here
  Mailbox from;
  std::optional<Mailbox> reply_to;
  // Set when messages are signed: a key is configured and `dkim` is not "off".
  std::optional<DkimKey> dkim_key;
  DkimSignOptions dkim;  // domain and selector when signing
};

// Reads and checks the settings: host, port, tls, username, password (or password_file), from,
// from_name, reply_to, helo, ca_file, pool_size, dkim, dkim_domain, dkim_selector, dkim_key (or
// dkim_key_file). Errors "config_missing" and "config_invalid" with field "providers.NAME.KEY".
// Reads password_file and dkim_key_file itself when the configuration loader has not (start-up
// only: this blocks).
Result<EmailProviderConfig> parse_email_settings(const ProviderSettings& settings);

// True for "localhost" and loopback address literals (127.0.0.0/8, ::1, [::1]).
bool is_loopback_host(std::string_view host);

// The footer line offering the opt-out: Korean for locale "ko", English otherwise.
std::string unsubscribe_footer(std::string_view locale, std::string_view url);

// The message jarip sends for `message` (kind email), signed when the config has a key: From and
// Reply-To from the settings, To = message.email, the subject ("(광고)" ensured for ads), the text
// and HTML bodies with the unsubscribe footer when message.unsubscribe_url is set, Message-ID from
// message.message_id, Date = now_ms, List-Unsubscribe with List-Unsubscribe-Post only for an
// https link in a signed message (RFC 8058 one-click needs both, under the signature; an http link
// gets List-Unsubscribe alone). Errors are build_message's and dkim_sign's ("header_injection",
// "invalid_email", …): the message cannot be sent as it is.
Result<MimeMessage> compose_email(const EmailProviderConfig& config, const OutboundMessage& message, TimeMs now_ms,
                                  const RandomBytes& random);

// The registry's factories for type "smtp".
Result<std::unique_ptr<ProviderAdapter>> make_email_adapter(const ProviderSettings& settings);
Result<std::shared_ptr<Transport>> make_smtp_transport(const ProviderSettings& settings, const TransportEnv& env);

}  // namespace jarip::channels::email
