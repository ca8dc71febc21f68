// Keeps the status page current: every couple of seconds it reads the cluster's published breaker
// states, the console's settings and the notices from the store, opens an automatic notice for a
// channel that went down and resolves it when the channel recovers, and publishes the new status
// (routes, on_change, static copy) when it changed. Every node runs one; the store's rule of one open
// automatic notice per channel keeps nodes from opening two.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "status/status.hpp"
#include "store/store.hpp"

namespace boost::asio {
class io_context;
}

namespace jarip::status {

struct StatusServiceOptions {
  std::string merchant;
  std::string public_url;
  std::map<std::string, std::vector<std::string>> chains;  // configured: channel → providers in order
  TimeMs interval_ms = 2000;
  std::string static_dir;  // where the static copy goes; empty = none
  // Runs on the service's io_context each time status.json changes (the first status included).
  std::function<void(std::shared_ptr<const RenderedStatus>)> on_change;
};

// The automatic notices to write after one evaluation (pure; see plan_auto_notices).
struct AutoNoticePlan {
  std::vector<store::StatusNoticeRecord> open;     // new notices to insert
  std::vector<store::StatusNoticeRecord> resolve;  // open automatic notices, with resolved_ms and body set
};

// For each channel that is down and has no open automatic notice: a new one (kind "auto", severity
// "outage", id "ntc_" + random, created_by "system", title = the down wording). For each open
// automatic notice whose channel is no longer down (or no longer shown): resolved at `now`, its body
// the recovered wording. `have_nodes` false (no fresh node_status row at all) plans nothing: with no
// breaker state known, neither an outage nor a recovery can be told.
AutoNoticePlan plan_auto_notices(const std::vector<ChannelState>& channels,
                                 const std::vector<store::StatusNoticeRecord>& notices,
                                 const NoticeTemplates& templates, TimeMs now, bool have_nodes);

class StatusService {
 public:
  // `io` is the service's own context: store answers are handled on it and on_change runs on it.
  // The static copy is written on a thread of the service's own, never on `io`. The store and `io`
  // must outlive the service's pending work: stop() the service, then the store, then `io`.
  StatusService(boost::asio::io_context& io, store::Store& store, const Clock& clock, StatusServiceOptions options);
  ~StatusService();
  StatusService(const StatusService&) = delete;
  StatusService& operator=(const StatusService&) = delete;

  // Evaluates at once, then every interval_ms.
  void start();
  // No round starts after this; a round in progress finishes its writes.
  void stop();

  // Thread-safe. The latest status; null before the first round completed.
  std::shared_ptr<const RenderedStatus> current() const;
  // For handle_status_route; stays valid (answering the last status) after the service is gone.
  StatusSnapshotSource source() const;

  // Thread-safe. Asks for a round soon (after a console change to a notice or a setting).
  void refresh();
  // Runs a round and waits for it, its writes and its static copy (at most 30 s). For tests and
  // start-up. REQUIRES: `io` runs on another thread.
  void refresh_now();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace jarip::status
