// The email provider's settings, its message composition and its adapter: the pure half of type
// "smtp" (no sockets here; smtp_transport.cpp sends what compose_email makes).
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "channels/email/address.hpp"
#include "channels/email/email_provider.hpp"
#include "channels/transport_adapter.hpp"

namespace jarip::channels::email {

namespace {

constexpr std::size_t kMaxPoolSize = 64;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view text) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return std::string(text);
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

class SettingsReader {
 public:
  explicit SettingsReader(const ProviderSettings& settings)
      : settings_(settings), prefix_("providers." + settings.name + ".") {}

  std::string get(const std::string& key, const std::string& fallback = {}) const {
    return trim(settings_.get(key, fallback));
  }
  Error invalid(const std::string& key, const std::string& why) const {
    return make_error("config_invalid", "provider '" + settings_.name + "': " + key + " " + why, prefix_ + key);
  }
  Error missing(const std::string& key, const std::string& why) const {
    return make_error("config_missing", "provider '" + settings_.name + "' needs setting '" + key + "'" + why,
                      prefix_ + key);
  }

  // KEY, or the content of KEY_file. The configuration loader has usually read the file already
  // (it stores the content under KEY); settings made elsewhere (tests, tools) may carry only the path.
  Result<std::string> secret(const std::string& key) const {
    std::string value = settings_.get(key);
    if (!value.empty()) return value;
    std::string path = trim(settings_.get(key + "_file"));
    if (path.empty()) return std::string();
    std::ifstream in(path, std::ios::binary);
    if (!in) return invalid(key + "_file", "names a file that cannot be read ('" + path + "')");
    std::stringstream content;
    content << in.rdbuf();
    return trim(content.str());
  }

 private:
  const ProviderSettings& settings_;
  std::string prefix_;
};

Result<DkimKey> load_dkim_key(std::string text) {
  if (text.find("-----BEGIN") != std::string::npos) {
    if (text.back() != '\n') text += '\n';  // the loader trims the file; PEM wants its last line ended
    return DkimKey::from_pem(text);
  }
  // `jarip dkim keygen` writes Ed25519 keys as the base64 seed (RFC 8463 Appendix A's form).
  return DkimKey::from_ed25519_seed(text);
}

// Puts `footer` (an HTML fragment) before the closing </body> when there is one, else at the end.
std::string append_html(std::string html, const std::string& footer) {
  std::string lowered = lower(html);
  std::size_t body_end = lowered.rfind("</body>");
  if (body_end == std::string::npos) return html + footer;
  html.insert(body_end, footer);
  return html;
}

// An http:// URL that can stand in angle brackets in a header: printable ASCII without blanks,
// '<', '>' or ',' (list_unsubscribe_headers' rule for https links), ≤ 900 bytes, with a host.
bool is_plain_http_link(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() <= kScheme.size() || url.size() > 900 || lower(url.substr(0, kScheme.size())) != kScheme) return false;
  if (url[kScheme.size()] == '/') return false;
  return std::none_of(url.begin(), url.end(), [](char c) { return c <= 0x20 || c >= 0x7F || c == '<' || c == '>' || c == ','; });
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  std::string h = lower(host);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h == "localhost" || h == "localhost.") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    // ::ffff:127.x.x.x, the IPv4 loopback written as IPv6.
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

std::string unsubscribe_footer(std::string_view locale, std::string_view url) {
  if (locale == "ko") return "수신을 원하지 않으시면 아래 링크에서 수신거부하실 수 있습니다: " + std::string(url);
  return "To stop receiving these emails, unsubscribe here: " + std::string(url);
}

Result<EmailProviderConfig> parse_email_settings(const ProviderSettings& settings) {
  SettingsReader s(settings);
  EmailProviderConfig c;
  c.name = settings.name;

  // The relay.
  std::string host = s.get("host");
  if (host.empty()) return s.missing("host", " (the SMTP relay's name or address)");
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (std::any_of(host.begin(), host.end(), [](char ch) { return static_cast<unsigned char>(ch) <= ' ' || ch == 0x7f; })) {
    return s.invalid("host", "must be a host name or an address, without blanks");
  }
  c.smtp.host = host;

  std::string tls = lower(s.get("tls", "starttls"));
  if (tls == "starttls") {
    c.smtp.tls = SmtpTlsMode::starttls;
    c.smtp.port = 587;
  } else if (tls == "implicit") {
    c.smtp.tls = SmtpTlsMode::implicit;
    c.smtp.port = 465;
  } else if (tls == "none") {
    c.smtp.tls = SmtpTlsMode::none;
    c.smtp.port = 25;
    if (!is_loopback_host(host)) {
      return s.invalid("tls", "= \"none\" sends mail and credentials in clear text; it is allowed only for a relay "
                              "on a loopback address (localhost, 127.0.0.1, ::1), not '" + host + "'");
    }
  } else {
    return s.invalid("tls", "must be \"starttls\", \"implicit\" or \"none\", not '" + tls + "'");
  }
  if (std::string port = s.get("port"); !port.empty()) {
    if (!all_digits(port) || port.size() > 5 || std::stoi(port) < 1 || std::stoi(port) > 65535) {
      return s.invalid("port", "must be a port number 1-65535, not '" + port + "'");
    }
    c.smtp.port = static_cast<std::uint16_t>(std::stoi(port));
  }

  // Credentials. The password is never put into an error message.
  c.smtp.username = s.get("username");
  auto password = s.secret("password");
  if (!password) return password.error();
  c.smtp.password = *password;
  if (!c.smtp.username.empty() && c.smtp.password.empty()) {
    return s.missing("password", " with username (or password_file)");
  }
  if (c.smtp.username.empty() && !c.smtp.password.empty()) return s.missing("username", " with password");
  if (!c.smtp.username.empty()) {
    if (auto plain = auth_plain_response(c.smtp.username, c.smtp.password); !plain.ok()) {
      return s.invalid("username", "or password cannot be sent by AUTH: " + plain.error().message);
    }
  }

  c.smtp.helo = s.get("helo");
  c.smtp.ca_file = s.get("ca_file");
  if (std::string pool = s.get("pool_size"); !pool.empty()) {
    if (!all_digits(pool) || pool.size() > 3 || std::stoul(pool) < 1 || std::stoul(pool) > kMaxPoolSize) {
      return s.invalid("pool_size", "must be 1-" + std::to_string(kMaxPoolSize) + ", not '" + pool + "'");
    }
    c.smtp.pool_size = std::stoul(pool);
  }

  // The sender.
  std::string from = s.get("from");
  if (from.empty()) return s.missing("from", " (the sender's address, e.g. news@shop.example.com)");
  auto from_address = normalize_address(from, "from");
  if (!from_address) return s.invalid("from", "is not a valid address: " + from_address.error().message);
  c.from.address = *from_address;
  c.from.display_name = s.get("from_name");
  if (Status ok = check_header_text(c.from.display_name, "from_name"); !ok.ok()) {
    return s.invalid("from_name", ok.error().message);
  }
  if (std::string reply_to = s.get("reply_to"); !reply_to.empty()) {
    auto address = normalize_address(reply_to, "reply_to");
    if (!address) return s.invalid("reply_to", "is not a valid address: " + address.error().message);
    c.reply_to = Mailbox{*address, {}};
  }

  // DKIM.
  std::string mode = lower(s.get("dkim", "auto"));
  if (mode != "auto" && mode != "off") return s.invalid("dkim", "must be \"auto\" or \"off\", not '" + mode + "'");
  auto key_text = s.secret("dkim_key");
  if (!key_text) return key_text.error();
  std::string selector = s.get("dkim_selector");
  std::string domain = lower(s.get("dkim_domain"));
  if (mode == "auto" && key_text->empty() && (!selector.empty() || !domain.empty())) {
    return s.missing("dkim_key_file", " with dkim_selector/dkim_domain (the private key `jarip dkim keygen` printed)");
  }
  if (mode == "auto" && !key_text->empty()) {
    auto key = load_dkim_key(*key_text);
    if (!key) return s.invalid("dkim_key_file", "does not hold a usable key: " + key.error().message);
    if (selector.empty()) return s.missing("dkim_selector", " with a DKIM key (the selector its DNS record is published under)");
    c.dkim.selector = selector;
    c.dkim.domain = domain.empty() ? std::string(domain_of(c.from.address)) : domain;
    // Sign a small message once, so that a bad d= or s= stops start-up instead of every send.
    auto probe = dkim_signature("From: " + c.from.address + "\r\nSubject: probe\r\n\r\nprobe\r\n", *key, c.dkim);
    if (!probe) {
      return s.invalid(domain.empty() ? "dkim_selector" : "dkim_domain",
                       "cannot be used for DKIM: " + probe.error().message);
    }
    c.dkim_key = std::move(*key);
  }
  return c;
}

Result<MimeMessage> compose_email(const EmailProviderConfig& config, const OutboundMessage& message, TimeMs now_ms,
                                  const RandomBytes& random) {
  EmailMessage m;
  m.from = config.from;
  m.to = Mailbox{message.email, {}};
  m.reply_to = config.reply_to;
  // Upstream composes "(광고)" into ad subjects; this keeps the legal prefix if it ever does not.
  m.subject = ad_subject(message.subject, message.advertisement ? MessageKind::ad : MessageKind::info);
  m.message_id = message.message_id;
  m.date = now_ms;
  m.text_body = message.text;
  if (!message.html.empty()) m.html_body = message.html;

  if (!message.unsubscribe_url.empty()) {
    if (auto headers = list_unsubscribe_headers(message.unsubscribe_url); headers.ok()) {
      // List-Unsubscribe-Post without a signature covering it is ignored by receivers (RFC 8058 §4)
      // and only invites forgery: without DKIM, the plain link alone.
      if (config.dkim_key) {
        m.extra_headers = std::move(*headers);
      } else {
        m.extra_headers.push_back(std::move(headers->front()));
      }
    } else if (is_plain_http_link(message.unsubscribe_url)) {
      // A server whose public URL is http: RFC 2369 takes any URL, one-click (RFC 8058) only
      // https. The message still goes, with the link and without the -Post header.
      m.extra_headers.push_back(MessageHeader{"List-Unsubscribe", "<" + message.unsubscribe_url + ">"});
    }
    std::string footer = unsubscribe_footer(message.locale, message.unsubscribe_url);
    if (!m.text_body.empty() && m.text_body.back() != '\n') m.text_body += '\n';
    m.text_body += "\n" + footer + "\n";
    if (m.html_body) {
      std::string escaped_url = html_escape(message.unsubscribe_url);
      std::string prefix = unsubscribe_footer(message.locale, "");
      while (!prefix.empty() && prefix.back() == ' ') prefix.pop_back();
      m.html_body = append_html(std::move(*m.html_body), "<p>" + html_escape(prefix) + " <a href=\"" + escaped_url +
                                                             "\">" + escaped_url + "</a></p>\n");
    }
  }

  auto built = build_message(m, random);
  if (!built) return built.error();
  if (config.dkim_key) {
    DkimSignOptions options = config.dkim;
    options.timestamp = now_ms / 1000;
    auto signed_bytes = dkim_sign(built->bytes, *config.dkim_key, options);
    if (!signed_bytes) return signed_bytes.error();
    built->bytes = std::move(*signed_bytes);
  }
  return built;
}

Result<std::unique_ptr<ProviderAdapter>> make_email_adapter(const ProviderSettings& settings) {
  auto config = parse_email_settings(settings);
  if (!config) return config.error();
  return std::unique_ptr<ProviderAdapter>(std::make_unique<TransportAdapter>(settings.name, SendKind::email));
}

}  // namespace jarip::channels::email
