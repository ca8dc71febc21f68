// The raw record of everything that reached the simulator: every request (no deduplication) and
// every message in it, with what the simulator answered and what it reported. Counting loss and
// duplicates is done from this record, on the provider's side of the wire.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/faults.hpp"

namespace jarip::sim {

enum class Kind : std::uint8_t { alimtalk, sms, lms };
const char* to_string(Kind k);

enum class Outcome : std::uint8_t {
  rejected,   // refused at registration (bad number, template mismatch, …)
  accepted,   // taken; no final result yet
  delivered,  // final success reported
  failed,     // final failure reported
};
const char* to_string(Outcome o);

enum class Endpoint : std::uint8_t { solapi, nhn_alimtalk, nhn_sms };
const char* to_string(Endpoint e);
Provider provider_of(Endpoint e);

struct RequestRecord {
  std::int64_t received_ms = 0;
  Endpoint endpoint = Endpoint::solapi;
  std::string method;
  std::string target;
  std::string body;         // emptied for all but the most recent kKeepBodies requests
  std::size_t body_size = 0;
  int http_status = 0;      // 0: no answer (refused, closed, hung, answer lost)
  std::string disposition;  // answered | slow | refused | error | hang | answer_lost
  std::uint32_t first_message = 0;
  std::uint32_t message_count = 0;
  std::string provider_request_id;  // Solapi groupId, NHN requestId
};

struct MessageRecord {
  std::uint32_t request_index = 0;
  Provider provider = Provider::solapi;
  Channel channel = Channel::sms;
  Kind kind = Kind::sms;
  Outcome outcome = Outcome::accepted;
  bool report_planned = false;  // false for blackholed and rejected messages
  std::string jarip_message_id;
  std::string dedup_key;
  std::string to;
  std::string from;
  std::string text;
  std::string subject;
  std::string template_id;
  std::string provider_message_id;  // Solapi messageId; NHN requestId
  std::int32_t recipient_seq = 0;   // NHN
  std::string status_code;          // current provider code ("2000", "4000", "0", "1000", "-4019", …)
  std::string status_message;
  std::string final_code;           // planned final code for accepted messages
  std::string custom_fields_json;   // Solapi customFields exactly as parsed, re-serialised
  std::string recipient_grouping_key;
  std::string sender_grouping_key;
  bool disable_sms = false;         // Solapi kakaoOptions.disableSms
  std::int64_t received_ms = 0;
  std::int64_t final_ms = 0;
};

class Store {
 public:
  static constexpr std::size_t kKeepBodies = 20'000;

  std::uint32_t add_request(RequestRecord r);
  std::uint32_t add_message(MessageRecord m);  // indexes provider_message_id (+seq)
  RequestRecord& request(std::uint32_t i) { return requests_[i]; }
  MessageRecord& message(std::uint32_t i) { return messages_[i]; }
  const std::vector<RequestRecord>& requests() const { return requests_; }
  const std::vector<MessageRecord>& messages() const { return messages_; }

  // Solapi messageId, or NHN "requestId#seq".
  const MessageRecord* find(const std::string& key) const;
  std::vector<std::uint32_t> find_request(const std::string& provider_request_id) const;
  // Solapi messages to `to` (as recorded: digits), oldest first.
  const std::vector<std::uint32_t>& find_solapi_to(const std::string& to) const;
  void clear();

 private:
  std::vector<RequestRecord> requests_;
  std::vector<MessageRecord> messages_;
  std::unordered_map<std::string, std::uint32_t> by_key_;
  std::unordered_map<std::string, std::vector<std::uint32_t>> by_request_;
  std::unordered_map<std::string, std::vector<std::uint32_t>> solapi_by_to_;
};

}  // namespace jarip::sim
