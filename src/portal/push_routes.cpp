#include "portal/push_routes.hpp"

#include <boost/json.hpp>

#include "channels/webpush/assets.hpp"
#include "portal/pages.hpp"

namespace jarip::portal {

namespace json = boost::json;

namespace {

http::Response script(std::string_view body) {
  http::Response r{200, "text/javascript; charset=utf-8", std::string(body), {}};
  // The worker may be updated at any deploy; browsers re-check it at most daily anyway.
  r.headers.push_back({"Cache-Control", "no-cache"});
  r.headers.push_back({"X-Content-Type-Options", "nosniff"});
  return r;
}

}  // namespace

bool handle_push_route(const http::Request& request, const http::Responder& respond, store::Store& store,
                       const Clock& clock, const LinkSigner& signer, const PushRoutesOptions& options) {
  const std::string& path = request.path;
  if (path.rfind("/push/", 0) != 0) return false;
  if (options.vapid_public_key.empty()) {
    respond(json_error(404, "not_found", "web push is not configured on this server"));
    return true;
  }
  if (path == "/push/sw.js" || path == "/push/subscribe.js") {
    if (request.method != "GET" && request.method != "HEAD") {
      respond(json_error(405, "method_not_allowed", "use GET"));
      return true;
    }
    respond(script(channels::webpush::webpush_asset(path.substr(6))));
    return true;
  }
  if (path == "/push/vapid-key") {
    if (request.method != "GET" && request.method != "HEAD") {
      respond(json_error(405, "method_not_allowed", "use GET"));
      return true;
    }
    respond(json_response(200, json::serialize(json::object{{"public_key", options.vapid_public_key}})));
    return true;
  }
  if (path != "/push/subscribe") {
    respond(json_error(404, "not_found", "no such endpoint"));
    return true;
  }
  if (request.method != "POST") {
    respond(json_error(405, "method_not_allowed", "use POST /push/subscribe"));
    return true;
  }
  if (request.body.size() > options.max_body_bytes) {
    respond(json_error(413, "payload_too_large", "the subscription request is too large"));
    return true;
  }
  boost::system::error_code ec;
  json::value body = json::parse(request.body, ec);
  const json::object* o = !ec && body.is_object() ? &body.as_object() : nullptr;
  const json::value* token = o ? o->if_contains("customer_token") : nullptr;
  const json::value* subscription = o ? o->if_contains("subscription") : nullptr;
  if (!token || !token->is_string() || !subscription || !subscription->is_object()) {
    respond(json_error(400, "invalid_json",
                       "the body must be {\"customer_token\": \"…\", \"subscription\": PushSubscription.toJSON()}"));
    return true;
  }
  auto customer_id = signer.verify(kPushPurpose, std::string(token->as_string()), clock.now_ms());
  if (!customer_id) {
    respond(json_error(customer_id.error().code == "link_expired" ? 410 : 403, customer_id.error().code,
                       "the customer token is not valid: ask the site for a fresh page"));
    return true;
  }
  notify::post_push_subscription(store, clock, *customer_id, json::serialize(*subscription), options.subscriptions,
                                 [respond](http::Response r) { respond(secured(std::move(r))); });
  return true;
}

}  // namespace jarip::portal
