// Shared by the provider adapters' fuzz targets: arbitrary bytes into one adapter's parsers (send
// answers, webhooks, status lookups). The first byte picks the HTTP status, the message kind and the
// batch size; the rest is the body. The parsers must never crash, throw or hang, and must return one
// send result per message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "channels/provider.hpp"

namespace jarip::fuzz {

inline int fuzz_adapter_parsers(const channels::ProviderAdapter& adapter, const char* report_path,
                                const uint8_t* data, size_t size) {
  using namespace jarip::channels;
  static constexpr int kStatuses[] = {200, 201, 204, 400, 401, 403, 404, 429, 500, 503, 302, 0};
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  const SendKind kinds[] = {SendKind::alimtalk, SendKind::sms, SendKind::lms};
  const SendKind kind = kinds[(selector >> 4) % 3];
  const int status = kStatuses[(selector & 0x0f) % (sizeof kStatuses / sizeof kStatuses[0])];

  std::vector<OutboundMessage> batch(1 + (selector >> 6));
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i].kind = kind;
    batch[i].message_id = "m" + std::to_string(i);
    batch[i].dedup_key = batch[i].message_id + ":0";
    batch[i].to = "0100000000" + std::to_string(i);
  }
  auto results = adapter.parse_send(kind, batch, InboundResponse{status, body});
  if (results.size() != batch.size()) std::abort();

  InboundRequest report{"POST", report_path, {}, body};
  (void)adapter.authenticate_report(report);
  (void)adapter.parse_report(report);

  StatusQuery query;
  query.kind = kind;
  query.message_id = "m0";
  query.dedup_key = "m0:0";
  query.to = "01000000000";
  query.provider_message_id = (selector & 1) ? "R1:1" : "";
  (void)adapter.parse_status(query, InboundResponse{status, body});
  return 0;
}

}  // namespace jarip::fuzz
