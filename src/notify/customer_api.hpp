// HTTP routes of the customer directory (/v1/customers…): one customer as a JSON document with its
// consents, list and search, erasure, and CSV import (with a dry run) and export. Consent changes are
// appended to each customer's consent history. Store work runs on the store's threads.
#pragma once

#include <memory>
#include <string>

#include "common/clock.hpp"
#include "http/message.hpp"
#include "store/store.hpp"

namespace jarip::notify {

class CustomerApi {
 public:
  CustomerApi(store::Store& store, const Clock& clock);

  // True when `request` is a /v1/customers route (answered through `respond`); the caller has
  // authenticated it already.
  bool handle(const http::Request& request, const http::Responder& respond);

 private:
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace jarip::notify
