// State shared by the provider handlers: configuration, clock, random source, the record and the
// short-lived replay guards. Single-threaded: everything runs on one io_context thread.
#pragma once

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/clock.hpp"
#include "sim/config.hpp"
#include "sim/faults.hpp"
#include "sim/store.hpp"

namespace jarip::sim {

// Report streams: one per webhook payload format.
enum class Stream : std::uint8_t { solapi = 0, nhn_alimtalk = 1, nhn_sms = 2 };
constexpr int kStreams = 3;

struct DueReport {
  std::int64_t due_ms;
  std::uint32_t message;
};

struct Counters {
  std::uint64_t requests = 0;
  std::uint64_t refused = 0;
  std::uint64_t errors_injected = 0;
  std::uint64_t hung = 0;
  std::uint64_t answers_lost = 0;  // sends processed, then closed without an answer (lose_answer)
  std::uint64_t slowed = 0;
  std::uint64_t auth_failures = 0;
  std::uint64_t messages = 0;
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  std::uint64_t reports_due = 0;
  std::uint64_t reports_posted = 0;     // report items delivered to the webhook with a 200
  std::uint64_t report_posts = 0;       // POSTs answered 200
  std::uint64_t report_attempts_failed = 0;
  std::uint64_t reports_dropped = 0;    // items given up after the last retry
  std::uint64_t blackholed = 0;
};

struct SimContext {
  SimContext(SimConfig cfg, const Clock& clk, std::uint64_t seed);

  SimConfig config;
  const Clock& clock;
  std::mt19937_64 rng;
  Store store;
  FaultTable faults;
  Counters counters;
  std::unordered_set<std::string> non_kakao_users;
  std::unordered_set<std::string> kakao_blocked;
  std::unordered_map<std::string, std::int64_t> solapi_signatures;  // signature → expiry
  std::unordered_map<std::string, std::int64_t> nhn_idempotency;    // key → expiry
  std::deque<DueReport> due[kStreams];        // planned results, not yet final
  std::deque<std::uint32_t> outbox[kStreams];  // final results not yet handed to the webhook client

  std::int64_t now() const { return clock.now_ms(); }
  double uniform();                                  // [0, 1)
  std::string random_chars(std::size_t n, const char* alphabet);
  std::string solapi_id(char prefix);                // M4V…/G4V… ids
  std::string nhn_request_id();                      // 20180810100630ReZQ6KZzAH0 shape
  void prune_guards();                               // drops expired signatures / idempotency keys
  void reload_number_lists();
};

}  // namespace jarip::sim
