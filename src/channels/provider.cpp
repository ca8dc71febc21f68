#include "channels/provider.hpp"

namespace jarip::channels {

std::string_view to_string(SendKind kind) {
  switch (kind) {
    case SendKind::alimtalk: return "alimtalk";
    case SendKind::sms: return "sms";
    case SendKind::lms: return "lms";
    case SendKind::email: return "email";
    case SendKind::push: return "push";
    case SendKind::inbox: return "inbox";
  }
  return "unknown";
}

std::optional<SendKind> parse_send_kind(std::string_view text) {
  for (SendKind kind : {SendKind::alimtalk, SendKind::sms, SendKind::lms, SendKind::email, SendKind::push,
                        SendKind::inbox}) {
    if (to_string(kind) == text) return kind;
  }
  return std::nullopt;
}

std::string_view channel_of(SendKind kind) {
  return kind == SendKind::lms ? "sms" : to_string(kind);
}

std::string_view to_string(SendOutcome outcome) {
  switch (outcome) {
    case SendOutcome::accepted: return "accepted";
    case SendOutcome::retryable: return "retryable";
    case SendOutcome::next_channel: return "next_channel";
    case SendOutcome::permanent: return "permanent";
    case SendOutcome::ambiguous: return "ambiguous";
  }
  return "unknown";
}

std::string_view to_string(StatusAnswer answer) {
  switch (answer) {
    case StatusAnswer::not_found: return "not_found";
    case StatusAnswer::pending: return "pending";
    case StatusAnswer::delivered: return "delivered";
    case StatusAnswer::failed: return "failed";
  }
  return "unknown";
}

std::string_view to_string(ReportOutcome outcome) {
  switch (outcome) {
    case ReportOutcome::delivered: return "delivered";
    case ReportOutcome::failed_next_channel: return "failed_next_channel";
    case ReportOutcome::failed_permanent: return "failed_permanent";
    case ReportOutcome::failed_retryable: return "failed_retryable";
  }
  return "unknown";
}

std::string ProviderSettings::get(const std::string& key, const std::string& fallback) const {
  auto it = values.find(key);
  return it == values.end() ? fallback : it->second;
}

Result<std::string> ProviderSettings::require(const std::string& key) const {
  auto it = values.find(key);
  if (it == values.end() || it->second.empty()) {
    return make_error("config_missing", "provider '" + name + "' needs setting '" + key + "'",
                      "providers." + name + "." + key);
  }
  return it->second;
}

}  // namespace jarip::channels
