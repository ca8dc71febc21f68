#include "notify/push_subscriptions.hpp"

#include <boost/json.hpp>

#include <memory>

#include "channels/webpush/subscription.hpp"
#include "customers/directory.hpp"
#include "notify/api.hpp"
#include "notify/recipients.hpp"

namespace jarip::notify {

namespace json = boost::json;

namespace {

constexpr std::string_view kCustomers = "/v1/customers/";
constexpr std::string_view kSuffix = "/push-subscriptions";

// The parser names the member at fault ("endpoint", "keys.p256dh") or the whole ("subscription").
std::string member_field(const std::string& prefix, const std::string& parser_field) {
  if (parser_field.empty() || parser_field == "subscription") return prefix;
  return prefix.empty() ? parser_field : prefix + "." + parser_field;
}

void fail(const http::Responder& respond, const Error& e) { respond(error_response(e)); }

}  // namespace

Result<std::string> canonical_push_subscription(std::string_view text, const PushSubscriptionOptions& options) {
  auto parsed = channels::webpush::parse_subscription(text, {.allow_private = options.allow_private_endpoints});
  if (!parsed) return parsed.error();
  return channels::webpush::to_json(*parsed);
}

Status canonicalize_push_subscriptions(json::value& document, const PushSubscriptionOptions& options) {
  json::object* o = document.if_object();
  if (o == nullptr) return {};
  json::value* list = o->if_contains("push_subscriptions");
  if (list == nullptr || !list->is_array()) return {};
  json::array& a = list->as_array();
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string field = "push_subscriptions[" + std::to_string(i) + "]";
    if (!a[i].is_object()) return make_error("invalid_subscription", "must be a subscription object", field);
    auto canonical = canonical_push_subscription(json::serialize(a[i]), options);
    if (!canonical) {
      return make_error(canonical.error().code, canonical.error().message, member_field(field, canonical.error().field));
    }
    a[i] = json::parse(*canonical);
  }
  return {};
}

std::string push_subscription_endpoint(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  const json::value* endpoint = v.as_object().if_contains("endpoint");
  return endpoint != nullptr && endpoint->is_string() ? std::string(endpoint->as_string()) : std::string();
}

bool add_push_subscription(customers::Customer& customer, std::string canonical) {
  auto& list = customer.push_subscriptions;
  const std::string endpoint = push_subscription_endpoint(canonical);
  bool replaced = false;
  std::erase_if(list, [&](const std::string& s) {
    const bool same = push_subscription_endpoint(s) == endpoint;
    replaced = replaced || same;
    return same;
  });
  // Oldest first: a renewed subscription counts as the newest.
  while (list.size() >= customers::kMaxPushSubscriptions) list.erase(list.begin());
  list.push_back(std::move(canonical));
  return !replaced;
}

Result<bool> store_push_subscription(store::StoreSession& s, const std::string& customer_id,
                                     const std::string& canonical, TimeMs now) {
  auto customer = load_customer(s, customer_id);
  if (!customer) return customer.error();
  if (!*customer) return make_error("not_found", "no customer with id '" + customer_id + "'");
  const bool created = add_push_subscription(**customer, canonical);
  if (auto st = s.put_customer(customer_record(**customer, now)); !st) return st.error();  // keeps created_ms
  return created;
}

Result<bool> remove_push_subscription(store::StoreSession& s, const std::string& customer_id,
                                      const std::string& endpoint, TimeMs now) {
  auto customer = load_customer(s, customer_id);
  if (!customer) return customer.error();
  if (!*customer) return false;
  const std::size_t removed = std::erase_if((*customer)->push_subscriptions, [&](const std::string& stored) {
    return push_subscription_endpoint(stored) == endpoint;
  });
  if (removed == 0) return false;
  if (auto st = s.put_customer(customer_record(**customer, now)); !st) return st.error();
  return true;
}

void post_push_subscription(store::Store& store, const Clock& clock, const std::string& customer_id,
                            std::string_view body, const PushSubscriptionOptions& options,
                            const http::Responder& respond) {
  auto canonical = canonical_push_subscription(body, options);
  if (!canonical) return fail(respond, canonical.error());
  auto text = std::make_shared<std::string>(std::move(*canonical));
  auto created = std::make_shared<bool>(false);
  const TimeMs now = clock.now_ms();
  store.write(
      [customer_id, text, created, now](store::StoreSession& s) -> Status {
        auto r = store_push_subscription(s, customer_id, *text, now);
        if (!r) return r.error();
        *created = *r;
        return {};
      },
      [respond, customer_id, text, created](Status st) {
        if (!st) return fail(respond, st.error());
        json::object out{{"customer_id", customer_id}, {"subscription", json::parse(*text)}, {"created", *created}};
        respond(http::Response::json(201, json::serialize(out)));
      });
}

bool handle_push_subscription_route(const http::Request& request, const http::Responder& respond, store::Store& store,
                                    const Clock& clock, const PushSubscriptionOptions& options) {
  const std::string& path = request.path;
  if (path.size() <= kCustomers.size() + kSuffix.size() || path.rfind(kCustomers, 0) != 0 ||
      path.compare(path.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return false;
  }
  const std::string id = path.substr(kCustomers.size(), path.size() - kCustomers.size() - kSuffix.size());
  if (!customers::check_customer_id(id)) {
    fail(respond, make_error("not_found", "no customer with that id"));
    return true;
  }
  if (request.method == "POST") {
    post_push_subscription(store, clock, id, request.body, options, respond);
    return true;
  }
  if (request.method == "DELETE") {
    const std::string endpoint = request.query_param("endpoint");
    if (endpoint.empty()) {
      fail(respond, make_error("invalid_value", "give the subscription's endpoint: ?endpoint=URL", "endpoint"));
      return true;
    }
    auto removed = std::make_shared<bool>(false);
    const TimeMs now = clock.now_ms();
    store.write(
        [id, endpoint, removed, now](store::StoreSession& s) -> Status {
          auto r = remove_push_subscription(s, id, endpoint, now);
          if (!r) return r.error();
          *removed = *r;
          return {};
        },
        [respond, id, removed](Status st) {
          if (!st) return fail(respond, st.error());
          if (!*removed) return fail(respond, make_error("not_found", "customer '" + id + "' has no such subscription"));
          respond(http::Response{204, "application/json", "", {}});
        });
    return true;
  }
  fail(respond, make_error("method_not_allowed", "use POST or DELETE on /v1/customers/{id}/push-subscriptions"));
  return true;
}

}  // namespace jarip::notify
