// HTTP API v1 of the notification core: messages, templates, channels, provider webhooks, and the
// health and metrics endpoints. Handlers validate at the edge and never block the I/O thread: store
// work is posted to the store's threads and answered from their completions.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>

#include <boost/json/object.hpp>

#include "auth/api_keys.hpp"
#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "http/message.hpp"
#include "notify/customer_api.hpp"
#include "notify/push_subscriptions.hpp"
#include "notify/engine.hpp"
#include "notify/templates.hpp"
#include "store/store.hpp"

namespace jarip::notify {

struct ApiOptions {
  double rate_per_key = 0;  // requests per second per API key; 0 = unlimited
  PushSubscriptionOptions push;  // how customers' web push subscriptions are validated
};

class Api {
 public:
  Api(store::Store& store, Engine& engine, auth::ApiKeyVerifier& keys, const Clock& clock, MetricsRegistry& metrics,
      std::map<std::string, std::shared_ptr<const channels::ProviderAdapter>> adapters, ApiOptions options);
  ~Api();

  // Loads stored templates into memory; then applies templates from files (start-up).
  Status load_templates();
  Status put_template_now(const Template& t, const std::string& json);

  void handle(http::Request&& request, http::Responder respond);

  // Readiness: false while starting or shutting down.
  void set_ready(bool ready);

  // How consent changes are confirmed to customers (for the pages that change consent).
  ConsentNotices consent_notices();
  // Composes one message from an API-shaped request under the key id "system", with the current
  // templates and chains; callable on the store's threads (staff alert emails). The Api must outlive it.
  std::function<Result<store::MessageRecord>(const boost::json::value& request)> message_composer();
  // Routes without an API key (the customer's pages, push subscription): tried before the API's own;
  // true when answered. Set before the server starts.
  void set_public_routes(std::function<bool(const http::Request&, const http::Responder&)> routes);
  // A /v1 request on behalf of someone already authenticated elsewhere (the operator console, whose
  // operator is recorded as key_id "console:OPERATOR_ID"): routed as if made with an API key, without
  // the key check and its rate limit.
  void handle_trusted(const std::string& key_id, http::Request&& request, http::Responder respond);
  // The preview of a message request (notify/preview.hpp) with the current templates and chains.
  // With a draft, the template of that name is the draft instead of the stored one (template editing).
  Result<boost::json::object> preview(const boost::json::value& request, const std::string& key_id,
                                      const Template* draft = nullptr);

  // GET /v1/customers/{id}/links: the customer's signed page links, as a JSON object.
  void set_customer_links(std::function<boost::json::object(const std::string& customer_id)> links);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// {"error":{"code":…,"message":…,"field":…}} with the HTTP status the code maps to.
http::Response error_response(const Error& error);
int http_status_for(const std::string& code);

}  // namespace jarip::notify
