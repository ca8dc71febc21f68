// The browser side of Web Push, served by jarip so that a merchant's site needs one <script> tag
// (docs/webpush.md). The merchant serves jarip's /push/ under its own origin (a service worker is
// only registered from the page's origin), e.g. by a reverse-proxy location.
//   GET  /push/sw.js         the service worker
//   GET  /push/subscribe.js  the subscribe script
//   GET  /push/vapid-key     {"public_key": "<base64url>"}: the applicationServerKey
//   POST /push/subscribe     {"customer_token": "…", "subscription": PushSubscription.toJSON()}
// The customer token is signed by jarip (GET /v1/customers/{id}/links gives the merchant's backend
// one to put in the page): a browser can subscribe only the customer the merchant says it is.
#pragma once

#include <string>

#include "common/clock.hpp"
#include "http/message.hpp"
#include "notify/push_subscriptions.hpp"
#include "portal/link_tokens.hpp"
#include "store/store.hpp"

namespace jarip::portal {

inline constexpr std::string_view kPushPurpose = "push";  // subject: customer id

struct PushRoutesOptions {
  std::string vapid_public_key;  // empty: no web push provider is configured (the routes answer 404)
  notify::PushSubscriptionOptions subscriptions;
  std::size_t max_body_bytes = 8192;
};

// True when `request` is one of the routes above (answered through `respond`).
bool handle_push_route(const http::Request& request, const http::Responder& respond, store::Store& store,
                       const Clock& clock, const LinkSigner& signer, const PushRoutesOptions& options);

}  // namespace jarip::portal
