// A customer's Web Push subscriptions, one per browser: where they enter the directory (validated by
// the Web Push parser, stored in its canonical form) and where they leave it (the browser
// unsubscribed, or a push service answered 404/410).
//
//   POST   /v1/customers/{id}/push-subscriptions             body: PushSubscription.toJSON() → 201
//   DELETE /v1/customers/{id}/push-subscriptions?endpoint=URL                                → 204
//
// A customer holds at most customers::kMaxPushSubscriptions; a new endpoint beyond that replaces the
// oldest one (a browser that subscribes now is likelier alive than the first one ever seen), and a
// subscription for an endpoint already held replaces it (the browser renewed its keys).
//
// Errors: the parser's codes with the subscription's field ("invalid_subscription" with field "endpoint",
// "keys.p256dh", …; "endpoint_not_public"), "not_found" (no such customer or endpoint),
// "method_not_allowed", and the store's.
#pragma once

#include <boost/json/fwd.hpp>

#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "customers/customer.hpp"
#include "http/message.hpp"
#include "store/store.hpp"

namespace jarip::notify {

struct PushSubscriptionOptions {
  // Loopback/private and http://loopback endpoints are accepted: tests and the simulator only.
  bool allow_private_endpoints = false;
};

// PushSubscription.toJSON() text → its canonical JSON (channels::webpush::to_json). Errors as above;
// the field is the subscription's own ("endpoint", "keys.auth", "subscription" for the whole).
Result<std::string> canonical_push_subscription(std::string_view json, const PushSubscriptionOptions& options);

// For PUT /v1/customers/{id}: validates every element of document["push_subscriptions"] (when it is an
// array) and replaces it by its canonical form; other shapes are left to customers::customer_from_json.
// Error field "push_subscriptions[i]" or "push_subscriptions[i].<member>".
Status canonicalize_push_subscriptions(boost::json::value& document, const PushSubscriptionOptions& options);

// The endpoint of a stored subscription; empty when the text is not a subscription object.
std::string push_subscription_endpoint(std::string_view json);

// Adds `canonical` (from canonical_push_subscription) to the customer, by the rules above. Returns
// false when it replaced a subscription for the same endpoint.
bool add_push_subscription(customers::Customer& customer, std::string canonical);

// Store side, on the store's thread. add: Error "not_found" for an unknown customer; true when the
// endpoint is new. remove: false when the customer or the endpoint is not there (nothing written).
Result<bool> store_push_subscription(store::StoreSession& session, const std::string& customer_id,
                                     const std::string& canonical, TimeMs now);
Result<bool> remove_push_subscription(store::StoreSession& session, const std::string& customer_id,
                                      const std::string& endpoint, TimeMs now);

// Validates `body` and stores it for the customer (on the store's threads), answering 201 with
// {"customer_id", "subscription", "created"} or the error. Also what a browser-facing route that has
// authenticated the customer by other means (a signed token) calls.
void post_push_subscription(store::Store& store, const Clock& clock, const std::string& customer_id,
                            std::string_view body, const PushSubscriptionOptions& options,
                            const http::Responder& respond);

// The two routes above. True when `request` is one of them (answered through `respond`); the caller
// has authenticated it with an API key.
bool handle_push_subscription_route(const http::Request& request, const http::Responder& respond, store::Store& store,
                                    const Clock& clock, const PushSubscriptionOptions& options);

}  // namespace jarip::notify
