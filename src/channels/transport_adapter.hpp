// The ProviderAdapter half of a provider that sends through a Transport (transport.hpp): one kind,
// one message per send, no deduplication, no delivery reports, webhooks or status queries. Its
// acceptance (an SMTP 250, a push service's 201, the inbox row) is the final outcome jarip records.
#pragma once

#include <string>

#include "channels/provider.hpp"

namespace jarip::channels {

class TransportAdapter : public ProviderAdapter {
 public:
  TransportAdapter(std::string name, SendKind kind) : name_(std::move(name)), kind_(kind) {}

  const std::string& name() const override { return name_; }
  bool supports(SendKind kind) const override { return kind == kind_; }
  std::size_t max_batch(SendKind) const override { return 1; }
  bool reports_delivery(SendKind) const override { return false; }
  bool deduplicates(SendKind) const override { return false; }
  TimeMs dedup_window_ms(SendKind) const override { return 0; }

  Result<OutboundRequest> build_send(SendKind, std::span<const OutboundMessage>, const RequestContext&) const override {
    return make_error("internal", "provider '" + name_ + "' sends through its transport, not one HTTP request");
  }
  std::vector<SendResult> parse_send(SendKind, std::span<const OutboundMessage> batch,
                                     const InboundResponse&) const override {
    return std::vector<SendResult>(batch.size(), SendResult{SendOutcome::ambiguous, "", "internal", "no HTTP send"});
  }
  Status authenticate_report(const InboundRequest&) const override {
    return make_error("not_found", "provider '" + name_ + "' sends no delivery reports");
  }
  Result<ReportBatch> parse_report(const InboundRequest&) const override {
    return make_error("not_found", "provider '" + name_ + "' sends no delivery reports");
  }
  std::optional<OutboundRequest> build_status_query(const StatusQuery&, const RequestContext&) const override {
    return std::nullopt;
  }
  Result<StatusResult> parse_status(const StatusQuery&, const InboundResponse&) const override {
    return make_error("internal", "provider '" + name_ + "' has no status query");
  }

 private:
  std::string name_;
  SendKind kind_;
};

}  // namespace jarip::channels
