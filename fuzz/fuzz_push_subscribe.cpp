// libFuzzer target for the JSON bodies of the Web Push subscribe routes, as the routes read them:
//   POST /v1/customers/{id}/push-subscriptions  the body is the subscription
//   POST /push/subscribe                        {"customer_token", "subscription"}: the token is verified
//                                               (portal::LinkSigner, purpose "push") and the subscription
//                                               re-serialized by Boost.JSON before it is canonicalized
//   PUT  /v1/customers/{id}                     each element of "push_subscriptions", serialized
// (src/notify/push_subscriptions.hpp, src/portal/push_routes.cpp). Build: cmake -DJARIP_FUZZ=ON with clang
// (scripts/fuzz.sh).
//
// The routes call notify::canonical_push_subscription, which is exactly
// channels::webpush::to_json(*channels::webpush::parse_subscription(text, {.allow_private})); its file,
// notify/push_subscriptions.cpp, also holds the store and HTTP handlers (notify/api.cpp's error_response,
// the customer store), which would pull the whole server into the fuzz build. So this target calls
// the two parser functions the same way (canonical() below) instead.
//
// Invariants, for every input and for allow_private both false and true:
//  - nothing crashes; an error has the code "invalid_subscription" (or "endpoint_not_public" in strict
//    mode) and names a field;
//  - what the strict mode accepts, test mode accepts with the same canonical text;
//  - a canonical text is its own canonical form (it parses again, to the same text), also after a
//    Boost.JSON parse + serialize (how /push/subscribe and PUT /v1/customers/{id} pass it on, and how
//    a stored one is read back), and is {"endpoint", "expirationTime", "keys": {"p256dh", "auth"}} with
//    the endpoint exactly as given in the input;
//  - a customer token is refused with "invalid_link" or "link_expired", unless made with the secret.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "channels/webpush/subscription.hpp"
#include "portal/link_tokens.hpp"
#include "fuzz_support.hpp"

namespace {

namespace json = boost::json;
namespace webpush = jarip::channels::webpush;

// The fixed link secret (32 bytes) of this target, and the time the tokens are checked at. The seeds'
// customer tokens were made by make() with it, for purpose "push" (one expired, one for "inbox").
const jarip::portal::LinkSigner& signer() {
  static const jarip::portal::LinkSigner s(std::string("jarip-fuzz-link-secret-32-bytes!"));
  return s;
}
constexpr jarip::TimeMs kNow = 1'750'000'000'000;  // 2025-06-15

// notify::canonical_push_subscription, by the same two calls.
jarip::Result<std::string> canonical(std::string_view text, bool allow_private) {
  auto parsed = webpush::parse_subscription(text, {.allow_private = allow_private});
  if (!parsed) return parsed.error();
  return webpush::to_json(*parsed);
}

bool known_code(const std::string& code, bool allow_private) {
  return code == "invalid_subscription" || (!allow_private && code == "endpoint_not_public");
}

std::optional<json::value> parse_json(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return std::nullopt;
  return v;
}

// The shape of a canonical text; returns its endpoint.
std::string check_canonical_shape(const std::string& text) {
  auto v = parse_json(text);
  check(v && v->is_object());
  const json::object& o = v->as_object();
  check(o.size() == 3);
  const json::value* endpoint = o.if_contains("endpoint");
  const json::value* expiration = o.if_contains("expirationTime");
  const json::value* keys = o.if_contains("keys");
  check(endpoint && endpoint->is_string() && !endpoint->as_string().empty());
  check(expiration && (expiration->is_null() || (expiration->is_int64() && expiration->as_int64() >= 0)));
  check(keys && keys->is_object() && keys->as_object().size() == 2);
  const json::value* p256dh = keys->as_object().if_contains("p256dh");
  const json::value* auth = keys->as_object().if_contains("auth");
  check(p256dh && p256dh->is_string() && p256dh->as_string().size() == 87);  // 65 bytes, unpadded
  check(auth && auth->is_string() && auth->as_string().size() == 22);        // 16 bytes, unpadded
  return std::string(endpoint->as_string());
}

// One subscription text through one mode. Returns the canonical text, or empty when refused.
std::string canonical_checked(std::string_view body, bool allow_private) {
  auto result = canonical(body, allow_private);
  if (!result) {
    check(known_code(result.error().code, allow_private));
    check(!result.error().field.empty());
    return {};
  }
  const std::string& c = *result;
  check(!c.empty() && c.size() <= webpush::kMaxSubscriptionJsonSize);
  const std::string endpoint = check_canonical_shape(c);

  auto again = canonical(c, allow_private);
  check(again && *again == c);
  // Parsed as part of a request or a stored customer, and serialized again.
  auto reparsed = parse_json(c);
  check(reparsed && json::serialize(*reparsed) == c);
  auto via_object = canonical(json::serialize(*reparsed), allow_private);
  check(via_object && *via_object == c);

  // The endpoint is kept as given: the input's own "endpoint" member, unescaped.
  if (auto input = parse_json(body); input && input->is_object()) {
    const json::value* given = input->as_object().if_contains("endpoint");
    check(given && given->is_string() && std::string_view(given->as_string()) == endpoint);
  }
  return c;
}

// Both modes on one subscription text.
void both_modes(std::string_view body) {
  const std::string strict = canonical_checked(body, false);
  const std::string lenient = canonical_checked(body, true);
  if (!strict.empty()) check(lenient == strict);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  // POST /v1/customers/{id}/push-subscriptions: the body itself.
  both_modes(body);

  auto document = parse_json(body);
  if (!document || !document->is_object()) return 0;
  const json::object& o = document->as_object();

  // POST /push/subscribe (bodies over 8192 bytes are refused before they are parsed).
  const json::value* token = o.if_contains("customer_token");
  const json::value* subscription = o.if_contains("subscription");
  if (size <= 8192 && token && token->is_string() && subscription && subscription->is_object()) {
    auto customer_id = signer().verify("push", std::string(token->as_string()), kNow);
    if (!customer_id) {
      check(customer_id.error().code == "invalid_link" || customer_id.error().code == "link_expired");
    } else {
      check(customer_id->size() <= 256);
    }
    both_modes(json::serialize(*subscription));
  }

  // PUT /v1/customers/{id}: each object element of "push_subscriptions".
  if (const json::value* list = o.if_contains("push_subscriptions"); list && list->is_array()) {
    for (const json::value& element : list->as_array()) {
      if (element.is_object()) both_modes(json::serialize(element));
    }
  }
  return 0;
}
