// libFuzzer target: arbitrary bytes into the nhn adapter's parsers (send answers, webhooks, status
// lookups). The first byte picks the HTTP status and the message kind; the rest is the body. The parsers
// must never crash, throw or hang, and must return one send result per message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "channels/nhn/nhn_adapter.hpp"

namespace {

using namespace jarip::channels;

const ProviderAdapter& adapter() {
  static const std::unique_ptr<ProviderAdapter> instance = [] {
    ProviderSettings s;
  s.name = "fuzz";
  s.type = "nhn";
  s.values = {{"alimtalk_appkey", "fuzz-at"}, {"sms_appkey", "fuzz-sms"}, {"secret_key", "fuzz-secret"},
              {"sender_key", "fuzz-sender-key"}, {"sender", "15446859"}, {"webhook_signature", "fuzz-signature-0123456789"}};
    auto made = nhn::make_nhn_adapter(s);
    if (!made) std::abort();
    return std::move(made).value();
  }();
  return *instance;
}

constexpr int kStatuses[] = {200, 201, 204, 400, 401, 403, 404, 429, 500, 503, 302, 0};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
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
  auto results = adapter().parse_send(kind, batch, InboundResponse{status, body});
  if (results.size() != batch.size()) std::abort();

  InboundRequest report{"POST", "/v1/providers/nhn/reports", {}, body};
  (void)adapter().authenticate_report(report);
  (void)adapter().parse_report(report);

  StatusQuery query;
  query.kind = kind;
  query.dedup_key = "m0:0";
  query.provider_message_id = (selector & 1) ? "R1:1" : "";
  (void)adapter().parse_status(query, InboundResponse{status, body});
  return 0;
}
