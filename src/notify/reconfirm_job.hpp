// Sends the two-yearly advertising-consent re-confirmation notices (customers/reconfirm.hpp) by
// itself: every interval it looks through the directory on a reader thread, and for each customer
// whose ad consent is due it stores, in one transaction, an informational notice with a signed link
// to the answer page (portal/) and a record that this consent was asked about, so that restarts and
// other nodes never ask twice. The answer (renew or withdraw) is recorded by the portal; without
// one the consent lapses at two years and ads stop (customers::ad_permission).
#pragma once

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "notify/customer_api.hpp"
#include "store/store.hpp"

namespace jarip::notify {

struct ReconfirmOptions {
  bool enabled = true;
  TimeMs interval_ms = 3'600'000;  // how often the directory is looked through
  TimeMs first_delay_ms = 10'000;  // after start-up, so that a restart loop does not scan each time
  // The signed URL of the customer's answer page.
  std::function<std::string(const std::string& customer_id)> answer_link;
};

// One pass over the customers named (on the store's writer thread): stores the notice for each whose
// consent is due and was not asked about yet. Returns how many notices were stored.
Result<int> send_due_reconfirmations(store::StoreSession& session, const ConsentNotices& notices,
                                     const ReconfirmOptions& options, const std::vector<std::string>& customer_ids,
                                     TimeMs now);

// The ids of the customers whose consent is due at `now` (on a reader thread).
Result<std::vector<std::string>> customers_due_for_reconfirmation(store::StoreSession& session, TimeMs now);

class ReconfirmJob {
 public:
  ReconfirmJob(boost::asio::io_context& io, store::Store& store, const Clock& clock,
               std::shared_ptr<const ConsentNotices> notices, ReconfirmOptions options, MetricsRegistry& metrics);
  ~ReconfirmJob();
  void start();
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace jarip::notify
