#include "channels/webpush/subscription.hpp"

#include <arpa/inet.h>

#include <boost/json.hpp>

#include <cmath>

#include "channels/webpush/p256.hpp"
#include "common/crypto.hpp"

namespace jarip::channels::webpush {
namespace {

constexpr std::string_view kInvalid = "invalid_subscription";
constexpr std::string_view kNotPublic = "endpoint_not_public";

Error invalid(std::string message, std::string field) {
  return make_error(std::string(kInvalid), std::move(message), std::move(field));
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (lower(text[i]) != prefix[i]) return false;
  }
  return true;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Characters RFC 3986 allows in a path and query (unreserved, sub-delims, ":", "@", "/", "?", "%").
bool uri_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-._~!$&'()*+,;=:@/?%").find(c) != std::string_view::npos;
}

bool is_ipv4_public(const std::uint8_t* a) {
  const std::uint8_t x = a[0], y = a[1], z = a[2];
  if (x == 0 || x == 10 || x == 127 || x >= 224) return false;        // this network, private, loopback, multicast, reserved
  if (x == 100 && (y & 0xc0) == 64) return false;                     // 100.64/10 CGNAT
  if (x == 169 && y == 254) return false;                             // link-local
  if (x == 172 && (y & 0xf0) == 16) return false;                     // 172.16/12
  if (x == 192 && y == 168) return false;                             // 192.168/16
  if (x == 192 && y == 0 && (z == 0 || z == 2)) return false;         // IETF assignments, TEST-NET-1
  if (x == 192 && y == 88 && z == 99) return false;                   // 6to4 relay anycast
  if (x == 198 && (y & 0xfe) == 18) return false;                     // benchmarking
  if (x == 198 && y == 51 && z == 100) return false;                  // TEST-NET-2
  if (x == 203 && y == 0 && z == 113) return false;                   // TEST-NET-3
  return true;
}

bool is_ipv6_public(const std::uint8_t* a) {
  bool zero_0_10 = true;
  for (int i = 0; i < 10; ++i) zero_0_10 = zero_0_10 && a[i] == 0;
  if (zero_0_10 && a[10] == 0xff && a[11] == 0xff) return is_ipv4_public(a + 12);  // ::ffff:a.b.c.d
  const std::uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::equal(nat64, nat64 + 12, a)) return is_ipv4_public(a + 12);            // 64:ff9b::/96
  if (a[0] == 0x20 && a[1] == 0x02) return is_ipv4_public(a + 2);                 // 6to4 2002::/16
  if ((a[0] & 0xe0) != 0x20) return false;                                        // outside 2000::/3
  if (a[0] == 0x20 && a[1] == 0x01 && (a[2] & 0xfe) == 0) return false;           // 2001::/23
  if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8) return false; // documentation
  if (a[0] == 0x3f && a[1] == 0xff && (a[2] & 0xf0) == 0) return false;           // 3fff::/20 documentation
  return true;
}

// One part of a resolver-style IPv4 address: decimal, 0-prefixed octal or 0x-prefixed hex.
std::optional<std::uint64_t> ipv4_part(std::string_view part) {
  if (part.empty()) return std::nullopt;
  int base = 10;
  if (part.size() >= 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
    base = 16;
    part.remove_prefix(2);
  } else if (part.size() >= 2 && part[0] == '0') {
    base = 8;
    part.remove_prefix(1);
  }
  std::uint64_t value = 0;
  for (char c : part) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (base == 16 && c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return std::nullopt;
    if (d >= base) return std::nullopt;
    value = value * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
    if (value > 0xffffffffull) return std::nullopt;
  }
  return value;
}

// True when the last label of a host name is a number, which makes the whole host an IPv4 address to
// a resolver (WHATWG URL "ends in a number").
bool ends_in_number(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  const std::size_t dot = host.rfind('.');
  const std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  if (last.find_first_not_of("0123456789") == std::string_view::npos) return true;
  return last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X') &&
         last.substr(2).find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

struct Endpoint {
  std::string origin;
  std::string host;
  std::uint16_t port = 443;
};

bool is_local_name(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.find('.') == std::string_view::npos) return true;  // single label: resolved via search domains
  return host == "localhost" || ends_with(host, ".localhost") || ends_with(host, ".local") ||
         ends_with(host, ".internal") || host == "home.arpa" || ends_with(host, ".home.arpa");
}

// The hosts a plain-http endpoint may name in test mode: traffic that never leaves the machine.
bool is_loopback_host(std::string_view host, const std::optional<IpLiteral>& ip) {
  if (ip && ip->size == 4) return ip->bytes[0] == 127;
  if (ip && ip->size == 16) {
    for (std::size_t i = 0; i < 15; ++i) {
      if (ip->bytes[i] != 0) return false;
    }
    return ip->bytes[15] == 1;
  }
  return host == "localhost";
}

Result<Endpoint> check_endpoint(std::string_view url, const SubscriptionOptions& options) {
  const std::string field = "endpoint";
  if (url.empty()) return invalid("endpoint is empty", field);
  if (url.size() > kMaxEndpointSize) return invalid("endpoint is longer than 2048 characters", field);
  for (char c : url) {
    if (c <= 0x20 || c >= 0x7f) return invalid("endpoint contains a space, control or non-ASCII character", field);
  }
  // Plain http exists only for the simulator and tests, whose push service has no TLS; production
  // endpoints are https without exception (the payload is encrypted, but the VAPID token is not).
  bool secure = true;
  std::string_view rest;
  if (starts_with_ci(url, "https://")) {
    rest = url.substr(8);
  } else if (options.allow_private && starts_with_ci(url, "http://")) {
    secure = false;
    rest = url.substr(7);
  } else {
    return invalid("endpoint must be an https:// URL", field);
  }
  const std::size_t end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, end);
  const std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  for (char c : tail) {
    if (!uri_char(c)) return invalid("endpoint has a character not allowed in a URL path or query", field);
  }
  if (authority.find('@') != std::string_view::npos) return invalid("endpoint must not carry user info", field);
  if (authority.empty()) return invalid("endpoint has no host", field);

  Endpoint out;
  out.port = secure ? 443 : 80;
  std::string_view host_text, port_text;
  bool has_port = false;
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("endpoint has an unclosed IPv6 literal", field);
    host_text = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid("endpoint has text after its IPv6 literal", field);
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.find(':');
    host_text = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
  }
  if (has_port) {
    if (port_text.empty() || port_text.size() > 5 ||
        port_text.find_first_not_of("0123456789") != std::string_view::npos) {
      return invalid("endpoint has an invalid port", field);
    }
    const unsigned long port = std::stoul(std::string(port_text));
    if (port == 0 || port > 65535) return invalid("endpoint port is out of range", field);
    out.port = static_cast<std::uint16_t>(port);
  }

  std::optional<IpLiteral> ip;
  if (host_text.front() == '[') {
    ip = parse_ip_literal(host_text);
    if (!ip || ip->size != 16) return invalid("endpoint has an invalid IPv6 literal", field);
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(AF_INET6, ip->bytes.data(), text, sizeof text);
    out.host = text;
  } else {
    if (host_text.size() > 253 + 1) return invalid("endpoint host is longer than 253 characters", field);
    std::string host;
    std::string_view labels = host_text;
    if (!labels.empty() && labels.back() == '.') labels.remove_suffix(1);
    if (labels.empty()) return invalid("endpoint has no host", field);
    std::size_t label_size = 0;
    for (char c : labels) {
      const char l = lower(c);
      if (l == '.') {
        if (label_size == 0) return invalid("endpoint host has an empty label", field);
        label_size = 0;
      } else if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '-') {
        if (++label_size > 63) return invalid("endpoint host has a label over 63 characters", field);
      } else {
        return invalid("endpoint host has a character not allowed in a host name", field);
      }
      host.push_back(l);
    }
    if (ends_in_number(host)) {
      ip = parse_ip_literal(host);
      if (!ip) return invalid("endpoint host is a malformed IPv4 address", field);
      char text[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, ip->bytes.data(), text, sizeof text);
      host = text;
    }
    out.host = std::move(host);
  }

  if (!options.allow_private) {
    if (ip && !is_public_address(ip->span())) {
      return make_error(std::string(kNotPublic), "endpoint host is a non-public IP address", field);
    }
    if (!ip && is_local_name(out.host)) {
      return make_error(std::string(kNotPublic), "endpoint host is a local name (localhost, single label, .local, .internal)",
                        field);
    }
  }
  if (!secure && !is_loopback_host(out.host, ip)) {
    return invalid("an http:// endpoint is accepted only on a loopback host (127.0.0.0/8, ::1, localhost), in test mode",
                   field);
  }
  const bool v6 = ip && ip->size == 16;
  out.origin = (secure ? "https://" : "http://") + (v6 ? "[" + out.host + "]" : out.host);
  if (out.port != (secure ? 443 : 80)) out.origin += ":" + std::to_string(out.port);
  return out;
}

Result<std::string> decode_key(std::string_view text, std::size_t max_text, std::size_t expect_size,
                               const std::string& field) {
  if (text.size() > max_text) return invalid(field + " is longer than " + std::to_string(max_text) + " characters", field);
  auto raw = base64url_decode(text);
  if (!raw) return invalid(field + " is not base64url", field);
  if (raw->size() != expect_size) {
    return invalid(field + " must be " + std::to_string(expect_size) + " bytes, not " + std::to_string(raw->size()),
                   field);
  }
  return std::move(*raw);
}

}  // namespace

bool is_public_address(std::span<const std::uint8_t> address) {
  if (address.size() == 4) return is_ipv4_public(address.data());
  if (address.size() == 16) return is_ipv6_public(address.data());
  return false;
}

std::optional<IpLiteral> parse_ip_literal(std::string_view host) {
  IpLiteral out;
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  if (bracketed || host.find(':') != std::string_view::npos) {
    if (host.size() > 45 || host.find('%') != std::string_view::npos) return std::nullopt;
    const std::string text(host);
    if (inet_pton(AF_INET6, text.c_str(), out.bytes.data()) != 1) return std::nullopt;
    out.size = 16;
    return out;
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty() || host.size() > 64) return std::nullopt;
  std::uint64_t parts[4];
  std::size_t count = 0;
  while (true) {
    const std::size_t dot = host.find('.');
    if (count == 4) return std::nullopt;
    auto v = ipv4_part(host.substr(0, dot));
    if (!v) return std::nullopt;
    parts[count++] = *v;
    if (dot == std::string_view::npos) break;
    host.remove_prefix(dot + 1);
  }
  for (std::size_t i = 0; i + 1 < count; ++i) {
    if (parts[i] > 255) return std::nullopt;
  }
  const unsigned last_bytes = static_cast<unsigned>(5 - count);
  if (last_bytes < 4 && parts[count - 1] >= (1ull << (8 * last_bytes))) return std::nullopt;
  std::uint32_t value = static_cast<std::uint32_t>(parts[count - 1]);
  for (std::size_t i = 0; i + 1 < count; ++i) value |= static_cast<std::uint32_t>(parts[i]) << (24 - 8 * i);
  out.bytes[0] = static_cast<std::uint8_t>(value >> 24);
  out.bytes[1] = static_cast<std::uint8_t>(value >> 16);
  out.bytes[2] = static_cast<std::uint8_t>(value >> 8);
  out.bytes[3] = static_cast<std::uint8_t>(value);
  out.size = 4;
  return out;
}

Result<PushSubscription> make_subscription(std::string_view endpoint, std::string_view p256dh_base64url,
                                           std::string_view auth_base64url,
                                           std::optional<std::int64_t> expiration_time_ms,
                                           const SubscriptionOptions& options) {
  auto checked = check_endpoint(endpoint, options);
  if (!checked.ok()) return checked.error();
  auto p256dh = decode_key(p256dh_base64url, kMaxP256dhTextSize, kP256PublicKeySize, "keys.p256dh");
  if (!p256dh.ok()) return p256dh.error();
  if (static_cast<unsigned char>((*p256dh)[0]) != 0x04) {
    return invalid("keys.p256dh must be an uncompressed point (first byte 0x04)", "keys.p256dh");
  }
  if (!p256_is_valid_public(*p256dh)) return invalid("keys.p256dh is not a point on P-256", "keys.p256dh");
  auto auth = decode_key(auth_base64url, kMaxAuthTextSize, 16, "keys.auth");
  if (!auth.ok()) return auth.error();
  if (expiration_time_ms && *expiration_time_ms < 0) {
    return invalid("expirationTime must be null or a time in milliseconds", "expirationTime");
  }
  PushSubscription s;
  s.endpoint = std::string(endpoint);
  s.origin = std::move(checked->origin);
  s.host = std::move(checked->host);
  s.port = checked->port;
  s.expiration_time_ms = expiration_time_ms;
  s.p256dh = std::move(*p256dh);
  s.auth = std::move(*auth);
  return s;
}

Result<PushSubscription> parse_subscription(std::string_view json, const SubscriptionOptions& options) {
  if (json.size() > kMaxSubscriptionJsonSize) return invalid("subscription JSON is over 4096 bytes", "subscription");
  boost::system::error_code ec;
  boost::json::parse_options parse_options;
  parse_options.max_depth = 8;
  const boost::json::value doc = boost::json::parse(json, ec, {}, parse_options);
  if (ec) return invalid("subscription is not valid JSON", "subscription");
  const boost::json::object* root = doc.if_object();
  if (root == nullptr) return invalid("subscription must be a JSON object", "subscription");

  const boost::json::value* endpoint = root->if_contains("endpoint");
  if (endpoint == nullptr || !endpoint->is_string()) return invalid("endpoint must be a string", "endpoint");

  std::optional<std::int64_t> expiration;
  if (const boost::json::value* e = root->if_contains("expirationTime"); e != nullptr && !e->is_null()) {
    constexpr double kMax = 9'007'199'254'740'991.0;  // 2^53 - 1: a JavaScript number's exact range
    if (e->is_int64() && e->get_int64() >= 0) {
      expiration = e->get_int64();
    } else if (e->is_uint64() && e->get_uint64() <= static_cast<std::uint64_t>(kMax)) {
      expiration = static_cast<std::int64_t>(e->get_uint64());
    } else if (e->is_double() && std::isfinite(e->get_double()) && e->get_double() >= 0 && e->get_double() <= kMax) {
      expiration = static_cast<std::int64_t>(e->get_double());
    } else {
      return invalid("expirationTime must be null or a time in milliseconds", "expirationTime");
    }
    if (*expiration > static_cast<std::int64_t>(kMax)) {
      return invalid("expirationTime must be null or a time in milliseconds", "expirationTime");
    }
  }

  const boost::json::value* keys = root->if_contains("keys");
  if (keys == nullptr || !keys->is_object()) return invalid("keys must be an object", "keys");
  const boost::json::value* p256dh = keys->get_object().if_contains("p256dh");
  if (p256dh == nullptr || !p256dh->is_string()) return invalid("keys.p256dh must be a string", "keys.p256dh");
  const boost::json::value* auth = keys->get_object().if_contains("auth");
  if (auth == nullptr || !auth->is_string()) return invalid("keys.auth must be a string", "keys.auth");

  return make_subscription(endpoint->get_string(), p256dh->get_string(), auth->get_string(), expiration, options);
}

std::string to_json(const PushSubscription& subscription) {
  boost::json::object keys;
  keys["p256dh"] = crypto::base64url_encode(subscription.p256dh);
  keys["auth"] = crypto::base64url_encode(subscription.auth);
  boost::json::object root;
  root["endpoint"] = subscription.endpoint;
  if (subscription.expiration_time_ms) {
    root["expirationTime"] = *subscription.expiration_time_ms;
  } else {
    root["expirationTime"] = nullptr;
  }
  root["keys"] = std::move(keys);
  return boost::json::serialize(root);
}

}  // namespace jarip::channels::webpush
