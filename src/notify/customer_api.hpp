// HTTP routes of the customer directory (/v1/customers…): one customer as a JSON document with its
// consents, list and search, erasure, and CSV import (with a dry run) and export. Consent changes are
// appended to each customer's consent history. Store work runs on the store's threads.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "http/message.hpp"
#include "notify/push_subscriptions.hpp"
#include "store/store.hpp"

namespace jarip::notify {

// How consent changes are confirmed to the customer (정보통신망법 §50⑧): the notice is an ordinary
// informational message, stored in the same transaction as the change.
struct ConsentNotices {
  bool enabled = true;
  std::string sender_name;
  // Composes a plain-text informational message to the customer (addressed by customer_id, along
  // the notice chain); must be callable on the store's thread.
  std::function<Result<store::MessageRecord>(const std::string& customer_id, const std::string& text)> compose;
  std::function<void()> wake;  // the engine: something new is due
};

class CustomerApi {
 public:
  // `push`: how the documents' push_subscriptions are validated (test mode allows private endpoints).
  CustomerApi(store::Store& store, const Clock& clock, ConsentNotices notices, PushSubscriptionOptions push = {});

  // True when `request` is a /v1/customers route (answered through `respond`); the caller has
  // authenticated it already.
  bool handle(const http::Request& request, const http::Responder& respond);

 private:
  store::Store& store_;
  const Clock& clock_;
  std::shared_ptr<const ConsentNotices> notices_;
  PushSubscriptionOptions push_;
};

}  // namespace jarip::notify
