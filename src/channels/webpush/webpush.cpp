#include "channels/webpush/webpush.hpp"

#include <chrono>

namespace jarip::channels::webpush {
namespace {

constexpr TimeMs kMaxRetryAfterMs = 24LL * 3600 * 1000;

bool base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<TimeMs> parse_imf_fixdate(std::string_view s) {
  static constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
      s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  bool day_ok = false;
  for (auto d : kDays) day_ok = day_ok || s.substr(0, 3) == d;
  if (!day_ok) return std::nullopt;
  int month = 0;
  for (int i = 0; i < 12; ++i) {
    if (s.substr(8, 3) == kMonths[i]) month = i + 1;
  }
  if (month == 0) return std::nullopt;
  auto number = [&](std::size_t pos, std::size_t n) -> int {
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  const int day = number(5, 2), year = number(12, 4), hour = number(17, 2), minute = number(20, 2),
            second = number(23, 2);
  if (day < 1 || year < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                           std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  const auto secs = sys_days{ymd}.time_since_epoch().count() * 86400LL + hour * 3600LL + minute * 60LL + second;
  return secs * 1000;
}

}  // namespace

std::string_view to_string(Urgency urgency) {
  switch (urgency) {
    case Urgency::very_low: return "very-low";
    case Urgency::low: return "low";
    case Urgency::normal: return "normal";
    case Urgency::high: return "high";
  }
  return "normal";
}

std::optional<Urgency> parse_urgency(std::string_view text) {
  for (Urgency u : {Urgency::very_low, Urgency::low, Urgency::normal, Urgency::high}) {
    if (to_string(u) == text) return u;
  }
  return std::nullopt;
}

Status validate_topic(std::string_view topic) {
  if (topic.empty() || topic.size() > kMaxTopicSize) {
    return make_error("invalid_push_message", "Topic is 1-32 base64url characters", "topic");
  }
  for (char c : topic) {
    if (!base64url_char(c)) return make_error("invalid_push_message", "Topic is 1-32 base64url characters", "topic");
  }
  return Status::success();
}

Result<OutboundRequest> build_push_request(const PushSubscription& subscription, const PushMessage& message,
                                           VapidTokenCache& vapid, TimeMs now_ms,
                                           const FixedEncryptionInputs* fixed) {
  if (message.ttl_seconds < 0 || message.ttl_seconds > kMaxTtlSeconds) {
    return make_error("invalid_push_message", "TTL is 0 to 2419200 seconds (4 weeks)", "ttl");
  }
  if (!message.topic.empty()) {
    if (Status s = validate_topic(message.topic); !s.ok()) return s.error();
  }
  if (message.payload.size() > kMaxPlaintextSize) {
    return make_error("payload_too_large", "a Web Push payload is at most 3993 bytes", "payload");
  }
  auto body = fixed != nullptr ? encrypt_with(subscription.p256dh, subscription.auth, message.payload, fixed->salt,
                                              fixed->as_private)
                               : encrypt(subscription.p256dh, subscription.auth, message.payload);
  if (!body.ok()) return body.error();
  auto authorization = vapid.authorization(subscription.origin, now_ms);
  if (!authorization.ok()) return authorization.error();

  OutboundRequest request;
  request.method = "POST";
  request.url = subscription.endpoint;
  request.headers = {
      {"Content-Encoding", "aes128gcm"},
      {"Content-Type", "application/octet-stream"},
      {"TTL", std::to_string(message.ttl_seconds)},
      {"Urgency", std::string(to_string(message.urgency))},
  };
  if (!message.topic.empty()) request.headers.push_back({"Topic", message.topic});
  request.headers.push_back({"Authorization", std::move(*authorization)});
  request.body = std::move(*body);
  return request;
}

std::optional<TimeMs> parse_retry_after(std::string_view value, TimeMs now_ms) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    TimeMs seconds = 0;
    for (char c : value) {
      seconds = seconds * 10 + (c - '0');
      if (seconds * 1000 > kMaxRetryAfterMs) return kMaxRetryAfterMs;
    }
    return seconds * 1000;
  }
  auto at = parse_imf_fixdate(value);
  if (!at) return std::nullopt;
  const TimeMs delta = *at - now_ms;
  if (delta <= 0) return 0;
  return delta > kMaxRetryAfterMs ? kMaxRetryAfterMs : delta;
}

PushResponse classify_push_response(int status, std::string_view retry_after, TimeMs now_ms) {
  PushResponse r;
  if (status >= 200 && status < 300) {
    r.outcome = SendOutcome::accepted;
    r.code = "accepted";
  } else if (status == 404 || status == 410) {
    r.outcome = SendOutcome::next_channel;
    r.code = "subscription_gone";
    r.remove_subscription = true;
  } else if (status == 413) {
    r.outcome = SendOutcome::permanent;
    r.code = "payload_too_large";
  } else if (status == 429) {
    r.outcome = SendOutcome::retryable;
    r.code = "rate_limited";
    r.retry_after_ms = parse_retry_after(retry_after, now_ms);
  } else if (status == 400) {
    r.outcome = SendOutcome::permanent;
    r.code = "bad_request";
  } else if (status == 401 || status == 403) {
    r.outcome = SendOutcome::permanent;
    r.code = "vapid_rejected";
  } else if (status >= 400 && status < 500) {
    r.outcome = SendOutcome::permanent;
    r.code = "rejected";
  } else if (status >= 500 && status < 600) {
    r.outcome = SendOutcome::retryable;
    r.code = "push_service_error";
    r.retry_after_ms = parse_retry_after(retry_after, now_ms);
  } else {
    r.outcome = SendOutcome::permanent;
    r.code = "unexpected_status";
  }
  return r;
}

}  // namespace jarip::channels::webpush
