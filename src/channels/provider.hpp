// The contract between the delivery engine and one provider (Solapi, NHN Cloud, …).
//
// An adapter is pure: it turns messages into the provider's HTTP request and the provider's answers
// (send responses, delivery-report webhooks, status queries) back into outcomes. The engine owns all
// I/O, timeouts, retries and breakers. That keeps each adapter testable against golden vectors and
// fuzzable without a network, and means a third provider is one new folder plus one registration
// line in channels/registry.cpp.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace jarip::channels {

// What a provider is asked to send. "sms" in a chain becomes sms or lms by the CP949 byte length.
enum class SendKind { alimtalk, sms, lms, email, push, inbox };
std::string_view to_string(SendKind kind);
std::optional<SendKind> parse_send_kind(std::string_view text);
// The chain-level channel a kind belongs to: "alimtalk", "sms", "email", "push" or "inbox".
std::string_view channel_of(SendKind kind);

struct AlimtalkButton {
  std::string type;  // Kakao's codes: WL (web link), AL (app link), DS, BK, MD, AC
  std::string name;
  std::string link_mobile;
  std::string link_pc;
  std::string scheme_ios;
  std::string scheme_android;
};

struct OutboundMessage {
  std::string message_id;  // jarip's id; carried to the provider where it allows (Solapi customFields, …)
  std::string dedup_key;   // stable per (message, chain step): a retry of the same step carries the same key
  SendKind kind = SendKind::sms;
  std::string to;          // normalised domestic digits, e.g. "01012345678"
  std::string text;        // rendered body; for AlimTalk the full rendered template text
  std::string subject;     // LMS only (≤ 40 CP949 bytes)
  std::string template_code;                                   // AlimTalk: provider's template id/code
  std::vector<std::pair<std::string, std::string>> variables;  // AlimTalk: name (without #{}) → value
  std::vector<AlimtalkButton> buttons;                         // AlimTalk buttons, as registered

  // Email, push and inbox. `text` is the plain-text body, `subject` the email subject or the push
  // and inbox title.
  std::string customer_id;     // the directory's id when addressed by customer_id, else empty
  std::string email;           // email: normalised recipient address
  std::string html;            // email: the HTML part (variables already escaped); empty: text only
  std::string locale;          // "ko" | "en": the language of jarip's own words (unsubscribe line)
  bool advertisement = false;  // an `ad` message: "(광고)" subject rules and opt-out lines applied
  // The signed https link that opts this recipient out of advertising (RFC 8058 one-click target
  // for email, the unsubscribe action of push and inbox); empty when none is offered.
  std::string unsubscribe_url;
  std::string link_url;                          // push/inbox: where a click leads; may be empty
  std::vector<std::string> push_subscriptions;   // push: PushSubscription.toJSON() of each device
};

struct HttpHeader {
  std::string name;
  std::string value;
};

struct OutboundRequest {
  std::string method;  // "POST", "GET"
  std::string url;     // absolute: scheme://host[:port]/path?query
  std::vector<HttpHeader> headers;
  std::string body;
};

struct InboundResponse {
  int status = 0;
  std::string body;
};

// A webhook call a provider made to jarip (POST /v1/providers/{provider}/reports…).
struct InboundRequest {
  std::string method;
  std::string target;  // path and query as received, e.g. "/v1/providers/solapi/reports?token=…"
  std::vector<HttpHeader> headers;  // names as received; look up case-insensitively
  std::string body;
};

// Per-request values an adapter must not invent itself, so that golden vectors are reproducible.
struct RequestContext {
  TimeMs now_ms = 0;
  std::string nonce;  // 32+ random hex characters from the engine (Solapi's HMAC salt, …)
};

enum class SendOutcome {
  accepted,      // the provider took the message; the final outcome arrives as a delivery report
  retryable,     // transient (5xx, rate limit, provider busy): retry this step with backoff
  next_channel,  // this channel cannot reach the recipient (not a KakaoTalk user, blocked): move on
  permanent,     // the request is wrong for this provider (invalid number, template mismatch): move on
  ambiguous,     // may or may not have been sent (timeout after the request was written)
};
std::string_view to_string(SendOutcome outcome);

struct SendResult {
  SendOutcome outcome = SendOutcome::ambiguous;
  std::string provider_message_id;  // empty if the provider gave none
  std::string error_code;           // provider's own code, e.g. "3104", "-1006"
  std::string error_text;
};

enum class ReportOutcome {
  delivered,
  failed_next_channel,  // e.g. Solapi 3104/3107: move the message on to its next channel
  failed_permanent,     // e.g. invalid number: move on, but nothing on this provider will help
  failed_retryable,     // the provider gave up for a transient reason; the step may be retried
};
std::string_view to_string(ReportOutcome outcome);

struct DeliveryReport {
  std::string message_id;           // jarip's id when the report carries it, else empty
  std::string provider_message_id;  // the provider's id for this message
  std::string dedup_key;            // when the report carries it, else empty
  ReportOutcome outcome = ReportOutcome::delivered;
  std::string error_code;
  std::string error_text;
  TimeMs reported_at_ms = 0;  // provider's timestamp when given, else 0
};

// An 080 free opt-out call reported by the provider (NHN's UNSUBSCRIBE events).
struct OptOutReport {
  std::string phone;     // normalised digits when parseable, else as received
  std::string opted_out_at;  // provider's timestamp text, kept verbatim as evidence
  std::string evidence;      // the raw event JSON, kept as evidence
};

struct ReportBatch {
  std::vector<DeliveryReport> reports;
  std::vector<OptOutReport> opt_outs;
};

// What the engine knows about an earlier attempt when it asks the provider what became of it.
struct StatusQuery {
  SendKind kind = SendKind::sms;
  std::string message_id;
  std::string dedup_key;
  std::string provider_message_id;  // may be empty (the attempt timed out before an answer)
  std::string to;                   // recipient digits, for providers that can only search by it
  TimeMs attempted_at_ms = 0;
};

enum class StatusAnswer {
  not_found,  // the provider never received it: safe to send the step again
  pending,    // received, no final result yet
  delivered,
  failed,
};

std::string_view to_string(StatusAnswer answer);

struct StatusResult {
  StatusAnswer answer = StatusAnswer::pending;
  std::string provider_message_id;
  std::string error_code;
  std::string error_text;
};

// Provider settings from configuration: [providers.NAME] in jarip.toml, flattened to strings.
struct ProviderSettings {
  std::string name;  // instance name used in chains: "solapi", "nhn", "nhn-backup"
  std::string type;  // adapter type: "solapi", "nhn"
  std::map<std::string, std::string> values;

  std::string get(const std::string& key, const std::string& fallback = {}) const;
  Result<std::string> require(const std::string& key) const;
};

class ProviderAdapter {
 public:
  virtual ~ProviderAdapter() = default;

  virtual const std::string& name() const = 0;  // instance name
  virtual bool supports(SendKind kind) const = 0;
  // How many messages one send request may carry for this kind (≥ 1).
  virtual std::size_t max_batch(SendKind kind) const = 0;
  // Messages of `kind` may share one send request only when their batch groups are equal. Some
  // providers carry one template code (NHN AlimTalk) or one body (NHN SMS/LMS) per request; build_send
  // refuses a mixed batch with Error "batch_not_uniform". Default: every message may share.
  virtual std::string batch_group(SendKind kind, const OutboundMessage& message) const { return {}; }
  // False when the provider sends no delivery reports and its acceptance is the last word jarip
  // gets (an SMTP relay's 250, a push service's 201, the inbox): the step then ends delivered.
  virtual bool reports_delivery(SendKind kind) const { return true; }
  // True when the provider deduplicates on dedup_key itself, and for how long.
  virtual bool deduplicates(SendKind kind) const = 0;
  virtual TimeMs dedup_window_ms(SendKind kind) const = 0;

  // REQUIRES: !batch.empty(), batch.size() <= max_batch(kind), every message of `kind`, one batch_group.
  virtual Result<OutboundRequest> build_send(SendKind kind, std::span<const OutboundMessage> batch,
                                             const RequestContext& context) const = 0;
  // One result per message of `batch`, in order. Never fails: an unreadable answer becomes
  // `ambiguous` (2xx) or `retryable` (5xx) results with the reason in error_text.
  virtual std::vector<SendResult> parse_send(SendKind kind, std::span<const OutboundMessage> batch,
                                             const InboundResponse& response) const = 0;

  // Checks the webhook's credential (token in the URL, shared-secret header) in constant time.
  virtual Status authenticate_report(const InboundRequest& request) const = 0;
  // REQUIRES: authenticate_report(request).ok()
  virtual Result<ReportBatch> parse_report(const InboundRequest& request) const = 0;
  // The body to answer a webhook with, once its reports are durably recorded.
  virtual std::string report_ack_body() const { return "{}"; }

  // Where the provider offers a status query; nullopt when it does not.
  virtual std::optional<OutboundRequest> build_status_query(const StatusQuery& query,
                                                            const RequestContext& context) const = 0;
  virtual Result<StatusResult> parse_status(const StatusQuery& query,
                                            const InboundResponse& response) const = 0;
};

using AdapterFactory = Result<std::unique_ptr<ProviderAdapter>> (*)(const ProviderSettings& settings);

}  // namespace jarip::channels
