// The health board's data (docs/console-api.md "Health board") and the node's share of the console's
// shared settings: every couple of seconds, on the engine's io_context, it reads the cluster's rows
// (node status, settings, alerts, pending messages) on a reader thread, applies provider switches and
// chain orders that changed to this node's engine, and composes the board document that
// GET /console/api/board answers and the live stream pushes. Hourly, it also deletes expired console
// sessions.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "store/store.hpp"

namespace jarip::notify {
class Engine;
}

namespace jarip::status {
struct RenderedStatus;
}

namespace jarip::console {

struct BoardOptions {
  TimeMs interval_ms = 2000;
  TimeMs history_step_ms = 10'000;            // one chart point per step …
  TimeMs history_span_ms = 15LL * 60 * 1000;  // … over this span
  TimeMs pending_every_ms = 10'000;           // counting pending messages is a scan: not every round
  std::map<std::string, std::vector<std::string>> chains;  // configured: channel → providers
  std::map<std::string, double> daily_cap_krw;            // per channel
  // "configured" | "missing" | "not_needed" per provider (never a secret).
  std::map<std::string, std::string> credentials;
  // The status page's latest evaluation (channel states); may return null.
  std::function<std::shared_ptr<const status::RenderedStatus>()> status;
  // Runs (on the io_context) with the new board document when it changed, and at least every 5 s.
  std::function<void(const std::string& board_json)> on_board;
};

class BoardService {
 public:
  BoardService(boost::asio::io_context& io, store::Store& store, notify::Engine& engine, MetricsRegistry& metrics,
               const Clock& clock, BoardOptions options);
  ~BoardService();

  void start();
  void stop();
  // Thread-safe: the latest board document (an empty board before the first round).
  boost::json::object document() const;
  // Thread-safe: read the settings again soon (a console change).
  void refresh();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace jarip::console
