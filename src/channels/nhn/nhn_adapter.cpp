#include "channels/nhn/nhn_adapter.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "channels/nhn/nhn_internal.hpp"
#include "common/crypto.hpp"

namespace jarip::channels::nhn {

namespace json = boost::json;
using wire::Verdict;

std::string idempotency_key(std::span<const OutboundMessage> batch) {
  std::string material;
  for (const OutboundMessage& m : batch) {
    material += std::to_string(m.dedup_key.size());
    material.push_back(':');
    material += m.dedup_key;
  }
  std::string hex = crypto::to_hex(crypto::sha256(material)).substr(0, 32);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20, 12);
}

namespace {

constexpr std::string_view kDefaultAlimtalkBaseUrl = "https://kakaotalk-bizmessage.api.nhncloudservice.com";
constexpr std::string_view kDefaultSmsBaseUrl = "https://sms.api.nhncloudservice.com";
constexpr std::size_t kMaxBatch = 1000;  // recipientList: at most 1,000 per request (both APIs)
// One message per request unless configured: a batch must share one template code or body, so a larger
// batch_size is only safe when the engine groups messages by batch_group().
constexpr std::size_t kDefaultBatch = 1;
constexpr std::size_t kMaxGroupingKey = 100;  // recipientGroupingKey: at most 100 characters
constexpr TimeMs kAlimtalkDedupWindowMs = 10 * 60 * 1000;
constexpr std::string_view kJsonContentType = "application/json;charset=UTF-8";
// Lookups by recipientGroupingKey search this window around the attempt (NHN registers the message
// when it takes the request).
constexpr TimeMs kLookupBeforeMs = 10 * 60 * 1000;
constexpr TimeMs kLookupAfterMs = 60 * 60 * 1000;

struct Config {
  std::string name;
  std::string alimtalk_base_url;
  std::string sms_base_url;
  std::string alimtalk_appkey;
  std::string alimtalk_secret_key;
  std::string sms_appkey;
  std::string sms_secret_key;
  std::string sender_key;
  std::string sender;
  std::string webhook_signature;
  std::size_t batch_size = kDefaultBatch;
};

bool is_alimtalk(SendKind kind) { return kind == SendKind::alimtalk; }

CodeInfo describe_api_code(SendKind kind, std::string_view code) {
  return is_alimtalk(kind) ? describe_alimtalk_api_code(code) : describe_sms_api_code(code);
}

SendResult result_for_api_code(SendKind kind, const std::string& code, const std::string& message) {
  CodeInfo info = describe_api_code(kind, code);
  SendResult r;
  r.outcome = wire::to_send_outcome(info.verdict);
  if (r.outcome != SendOutcome::accepted) {
    r.error_code = code;
    r.error_text = message.empty() ? std::string(info.meaning) : message + " (" + std::string(info.meaning) + ")";
  }
  return r;
}

class NhnAdapter final : public ProviderAdapter {
 public:
  explicit NhnAdapter(Config config) : config_(std::move(config)) {}

  const std::string& name() const override { return config_.name; }

  bool supports(SendKind kind) const override {
    if (is_alimtalk(kind)) return !config_.alimtalk_appkey.empty();
    return (kind == SendKind::sms || kind == SendKind::lms) && !config_.sms_appkey.empty();
  }

  std::size_t max_batch(SendKind) const override { return config_.batch_size; }

  // One request carries one templateCode (AlimTalk) or one body and title (SMS/LMS).
  std::string batch_group(SendKind kind, const OutboundMessage& m) const override {
    switch (kind) {
      case SendKind::alimtalk: return m.template_code;
      case SendKind::sms: return m.text;
      case SendKind::lms: return std::to_string(m.subject.size()) + ":" + m.subject + m.text;
    }
    return {};
  }

  // X-NC-API-IDEMPOTENCY-KEY is documented for AlimTalk only (10 minutes); SMS v3.0 has none.
  bool deduplicates(SendKind kind) const override { return is_alimtalk(kind); }
  TimeMs dedup_window_ms(SendKind kind) const override { return is_alimtalk(kind) ? kAlimtalkDedupWindowMs : 0; }

  Result<OutboundRequest> build_send(SendKind kind, std::span<const OutboundMessage> batch,
                                     const RequestContext&) const override {
    if (batch.empty() || batch.size() > config_.batch_size) {
      return make_error("invalid_batch", "NHN batch must hold 1 to " + std::to_string(config_.batch_size) + " messages");
    }
    if (!supports(kind)) {
      return make_error("unsupported_kind", "provider '" + config_.name + "' has no " +
                                                (is_alimtalk(kind) ? "alimtalk_appkey" : "sms_appkey"));
    }
    const std::string group = batch_group(kind, batch.front());
    for (const OutboundMessage& m : batch) {
      if (m.kind != kind) return make_error("invalid_batch", "batch mixes message kinds");
      if (batch_group(kind, m) != group) {
        return make_error("batch_not_uniform", is_alimtalk(kind) ? "NHN AlimTalk batches need one template code"
                                                                 : "NHN SMS/LMS batches need one body and title");
      }
      if (m.dedup_key.size() > kMaxGroupingKey) {
        return make_error("invalid_message", "dedup key must fit NHN's 100-character recipientGroupingKey");
      }
    }

    json::array recipients;
    for (const OutboundMessage& m : batch) {
      json::object r;
      r["recipientNo"] = m.to;
      if (is_alimtalk(kind)) {
        json::object parameters;
        for (const auto& [key, value] : m.variables) parameters[key] = value;
        r["templateParameter"] = std::move(parameters);
        // jarip fails over across providers itself: NHN's own SMS substitute would be a duplicate.
        json::object resend;
        resend["isResend"] = false;
        r["resendParameter"] = std::move(resend);
      }
      r["recipientGroupingKey"] = m.dedup_key;
      recipients.push_back(std::move(r));
    }

    OutboundRequest request;
    request.method = "POST";
    json::object body;
    if (is_alimtalk(kind)) {
      // Buttons are not sent: the v2.3 substitution API takes them from the registered template (its
      // per-message `buttons` only carry plug-in/bot extras jarip does not use).
      body["senderKey"] = config_.sender_key;
      body["templateCode"] = batch.front().template_code;
      body["recipientList"] = std::move(recipients);
      request.url = config_.alimtalk_base_url + "/alimtalk/v2.3/appkeys/" + wire::percent_encode(config_.alimtalk_appkey) +
                    "/messages";
      request.headers.push_back({"X-Secret-Key", config_.alimtalk_secret_key});
      request.headers.push_back({"X-NC-API-IDEMPOTENCY-KEY", idempotency_key(batch)});
    } else {
      if (kind == SendKind::lms) body["title"] = batch.front().subject;
      body["body"] = batch.front().text;
      body["sendNo"] = config_.sender;
      body["recipientList"] = std::move(recipients);
      // NHN spells it appKeys here; LMS goes to /sender/mms (there is no /sender/lms).
      request.url = config_.sms_base_url + "/sms/v3.0/appKeys/" + wire::percent_encode(config_.sms_appkey) +
                    (kind == SendKind::lms ? "/sender/mms" : "/sender/sms");
      request.headers.push_back({"X-Secret-Key", config_.sms_secret_key});
    }
    request.headers.push_back({"Content-Type", std::string(kJsonContentType)});
    request.body = json::serialize(body);
    return request;
  }

  std::vector<SendResult> parse_send(SendKind kind, std::span<const OutboundMessage> batch,
                                     const InboundResponse& response) const override {
    std::vector<SendResult> results(batch.size());
    auto fill_all = [&](const SendResult& r) {
      for (auto& slot : results) slot = r;
      return results;
    };
    auto parsed = wire::parse_json(response.body);
    const json::object* root = parsed ? parsed->if_object() : nullptr;
    const json::object* header = root ? wire::member_object(*root, "header") : nullptr;
    std::string header_code = header ? wire::member_text(*header, "resultCode").value_or("") : "";
    std::string header_message = header ? wire::member_text(*header, "resultMessage").value_or("") : "";

    if (response.status < 200 || response.status > 299) {
      return fill_all(wire::result_for_http_status(response.status, header_code, header_message));
    }
    auto successful = header ? wire::member_bool(*header, "isSuccessful") : std::nullopt;
    if (header == nullptr || !successful) {
      SendResult r;
      r.outcome = SendOutcome::ambiguous;
      r.error_text = "NHN answered " + std::to_string(response.status) + " without a readable header";
      return fill_all(r);
    }

    // Per-recipient results and the request id they belong to.
    const json::object* data = nullptr;
    const json::array* rows = nullptr;
    if (is_alimtalk(kind)) {
      data = wire::member_object(*root, "message");
      rows = data ? wire::member_array(*data, "sendResults") : nullptr;
    } else if (const json::object* body = wire::member_object(*root, "body")) {
      data = wire::member_object(*body, "data");
      rows = data ? wire::member_array(*data, "sendResultList") : nullptr;
    }
    std::string request_id = data ? wire::member_text(*data, "requestId").value_or("") : "";

    if (!*successful && (rows == nullptr || rows->empty())) {
      if (is_alimtalk(kind) && header_code == "-1005") {
        // The same idempotency key within 10 minutes: NHN already has this request. Its ids come back
        // in the delivery report (matched by recipientGroupingKey) or from a status query.
        SendResult r;
        r.outcome = SendOutcome::accepted;
        r.error_code = "-1005";
        r.error_text = "already requested with this idempotency key";
        return fill_all(r);
      }
      return fill_all(result_for_api_code(kind, header_code, header_message));
    }
    if (rows == nullptr) {
      // Success without per-recipient detail: taken, ids unknown (reports carry recipientGroupingKey).
      SendResult r;
      r.outcome = SendOutcome::accepted;
      r.error_text = "accepted (NHN gave no per-recipient result)";
      return fill_all(r);
    }

    std::vector<const json::object*> entries;
    for (const json::value& v : *rows) {
      if (const json::object* o = v.if_object()) entries.push_back(o);
    }
    std::vector<bool> used(entries.size(), false);
    auto take = [&](std::size_t i, std::size_t e) {
      used[e] = true;
      const json::object& row = *entries[e];
      std::string code = wire::member_text(row, "resultCode").value_or("");
      if (code.empty()) {
        results[i].outcome = SendOutcome::ambiguous;
        results[i].error_text = "NHN listed the recipient without a result code";
        return;
      }
      results[i] = result_for_api_code(kind, code, wire::member_text(row, "resultMessage").value_or(""));
      if (results[i].outcome == SendOutcome::accepted) {
        auto seq = wire::member_text(row, "recipientSeq");
        if (!request_id.empty() && seq) results[i].provider_message_id = provider_message_id(request_id, *seq);
      }
    };
    std::vector<bool> done(batch.size(), false);
    // By recipientGroupingKey (our dedup key) first; NHN echoes it.
    for (std::size_t i = 0; i < batch.size(); ++i) {
      for (std::size_t e = 0; e < entries.size(); ++e) {
        if (!used[e] && !batch[i].dedup_key.empty() && detail::row_grouping_key(*entries[e]) == batch[i].dedup_key) {
          take(i, e);
          done[i] = true;
          break;
        }
      }
    }
    // Then by position when the lists line up, else by recipient number.
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (done[i]) continue;
      if (entries.size() == batch.size() && !used[i] &&
          wire::member_text(*entries[i], "recipientNo").value_or(batch[i].to) == batch[i].to) {
        take(i, i);
        done[i] = true;
        continue;
      }
      for (std::size_t e = 0; e < entries.size(); ++e) {
        if (!used[e] && wire::member_text(*entries[e], "recipientNo").value_or("") == batch[i].to) {
          take(i, e);
          done[i] = true;
          break;
        }
      }
      if (!done[i]) {
        results[i].outcome = SendOutcome::ambiguous;
        results[i].error_text = "NHN's answer has no result for this recipient";
      }
    }
    return results;
  }

  Status authenticate_report(const InboundRequest& request) const override {
    auto signature = wire::find_header(request.headers, "X-Toast-Webhook-Signature");
    if (!signature || !crypto::constant_time_equals(*signature, config_.webhook_signature)) {
      return make_error("unauthorized", "X-Toast-Webhook-Signature missing or wrong");
    }
    return Status::success();
  }

  Result<ReportBatch> parse_report(const InboundRequest& request) const override {
    return detail::parse_webhook(request.body);
  }

  std::optional<OutboundRequest> build_status_query(const StatusQuery& query,
                                                    const RequestContext& context) const override {
    if (!supports(query.kind)) return std::nullopt;
    std::string request_id, seq;
    if (auto colon = query.provider_message_id.rfind(':'); colon != std::string::npos) {
      request_id = query.provider_message_id.substr(0, colon);
      seq = query.provider_message_id.substr(colon + 1);
    }
    OutboundRequest request;
    request.method = "GET";
    if (is_alimtalk(query.kind)) {
      std::string base = config_.alimtalk_base_url + "/alimtalk/v2.3/appkeys/" +
                         wire::percent_encode(config_.alimtalk_appkey) + "/messages";
      if (!request_id.empty() && !seq.empty()) {
        request.url = base + "/" + wire::percent_encode(request_id) + "/" + wire::percent_encode(seq);
      } else if (!query.dedup_key.empty()) {
        request.url = base + "?" + window_query(query, context, "yyyy-MM-dd HH:mm");
      } else {
        return std::nullopt;
      }
      request.headers.push_back({"X-Secret-Key", config_.alimtalk_secret_key});
    } else {
      std::string base = config_.sms_base_url + "/sms/v3.0/appKeys/" + wire::percent_encode(config_.sms_appkey) +
                         (query.kind == SendKind::lms ? "/sender/mms" : "/sender/sms");
      if (!request_id.empty() && !seq.empty()) {
        request.url = base + "/" + wire::percent_encode(request_id) + "?recipientSeq=" + wire::percent_encode(seq);
      } else if (!query.dedup_key.empty()) {
        request.url = base + "?" + window_query(query, context, "yyyy-MM-dd HH:mm:ss");
      } else {
        return std::nullopt;
      }
      request.headers.push_back({"X-Secret-Key", config_.sms_secret_key});
    }
    request.headers.push_back({"Content-Type", std::string(kJsonContentType)});
    return request;
  }

  Result<StatusResult> parse_status(const StatusQuery& query, const InboundResponse& response) const override {
    auto parsed = wire::parse_json(response.body);
    const json::object* root = parsed ? parsed->if_object() : nullptr;
    const json::object* header = root ? wire::member_object(*root, "header") : nullptr;
    std::string code = header ? wire::member_text(*header, "resultCode").value_or("") : "";
    if (response.status < 200 || response.status > 299) return http_error(response.status, code);
    auto successful = header ? wire::member_bool(*header, "isSuccessful") : std::nullopt;
    if (!successful) return make_error("provider_bad_answer", "NHN lookup answer has no readable header");
    if (!*successful) {
      // -1016: no message for that requestId/recipientSeq (AlimTalk); -2008: invalid requestId (SMS).
      if (code == "-1016" || code == "-2008") return not_found(query);
      CodeInfo info = describe_api_code(query.kind, code);
      return make_error(info.verdict == Verdict::retryable ? "provider_unavailable" : "provider_rejected",
                        "NHN refused the lookup: " + code + " " + std::string(info.meaning));
    }

    std::vector<const json::object*> rows;
    auto add = [&](const json::value* v) {
      if (v == nullptr) return;
      if (const json::object* o = v->if_object()) rows.push_back(o);
      if (const json::array* a = v->if_array()) {
        for (const json::value& item : *a) {
          if (const json::object* o = item.if_object()) rows.push_back(o);
        }
      }
    };
    if (is_alimtalk(query.kind)) {
      add(root->if_contains("message"));
      if (const json::object* search = wire::member_object(*root, "messageSearchResultResponse")) {
        add(search->if_contains("messages"));
      }
    } else if (const json::object* body = wire::member_object(*root, "body")) {
      add(body->if_contains("data"));
    }

    std::optional<StatusResult> best;
    auto rank = [](StatusAnswer a) { return a == StatusAnswer::delivered ? 3 : a == StatusAnswer::pending ? 2 : 1; };
    for (const json::object* row : rows) {
      std::string id = detail::row_provider_id(*row);
      if (!query.provider_message_id.empty() && !id.empty() && id != query.provider_message_id) continue;
      if (query.provider_message_id.empty() && detail::row_grouping_key(*row) != query.dedup_key) continue;
      detail::RowVerdict v = is_alimtalk(query.kind) ? detail::alimtalk_row_verdict(*row) : detail::sms_row_verdict(*row);
      StatusResult s;
      s.answer = wire::to_status_answer(v.verdict);
      s.provider_message_id = id;
      if (s.answer == StatusAnswer::failed) {
        s.error_code = v.code;
        s.error_text = v.text;
      }
      if (!best || rank(s.answer) > rank(best->answer)) best = s;
    }
    if (!best) return not_found(query);
    return *best;
  }

 private:
  static StatusResult not_found(const StatusQuery& query) {
    StatusResult s;
    s.answer = StatusAnswer::not_found;
    s.provider_message_id = query.provider_message_id;
    return s;
  }

  static Error http_error(int status, const std::string& code) {
    std::string suffix = code.empty() ? "" : " (" + code + ")";
    if (status == 401 || status == 403) {
      return make_error("provider_auth_failed", "NHN rejected our credentials: HTTP " + std::to_string(status) + suffix);
    }
    if (status == 429 || status >= 500) {
      return make_error("provider_unavailable", "NHN unavailable: HTTP " + std::to_string(status) + suffix);
    }
    return make_error("provider_rejected", "NHN refused the lookup: HTTP " + std::to_string(status) + suffix);
  }

  // startCreateDate/endCreateDate (KST) around the attempt plus recipientGroupingKey.
  static std::string window_query(const StatusQuery& query, const RequestContext& context, std::string_view pattern) {
    TimeMs at = query.attempted_at_ms > 0 ? query.attempted_at_ms : context.now_ms;
    std::string out = "startCreateDate=" +
                      wire::percent_encode(wire::format_local(at - kLookupBeforeMs, wire::kKoreaOffsetMinutes, pattern));
    out += "&endCreateDate=" +
           wire::percent_encode(wire::format_local(at + kLookupAfterMs, wire::kKoreaOffsetMinutes, pattern));
    out += "&recipientGroupingKey=" + wire::percent_encode(query.dedup_key);
    out += "&pageSize=100";
    return out;
  }

  Config config_;
};

}  // namespace

Result<std::unique_ptr<ProviderAdapter>> make_nhn_adapter(const ProviderSettings& settings) {
  const std::string prefix = "providers." + settings.name + ".";
  Config c;
  c.name = settings.name;
  auto alimtalk_base = wire::normalize_base_url(settings.get("alimtalk_base_url", std::string(kDefaultAlimtalkBaseUrl)),
                                                prefix + "alimtalk_base_url");
  if (!alimtalk_base) return alimtalk_base.error();
  c.alimtalk_base_url = *alimtalk_base;
  auto sms_base = wire::normalize_base_url(settings.get("sms_base_url", std::string(kDefaultSmsBaseUrl)),
                                           prefix + "sms_base_url");
  if (!sms_base) return sms_base.error();
  c.sms_base_url = *sms_base;

  auto required = [&](const std::string& key, std::string& target) -> Status {
    auto value = settings.require(key);
    if (!value) return value.error();
    target = *value;
    return Status::success();
  };
  // Per-service secret, else the shared one.
  auto secret = [&](const std::string& specific, std::string& target) -> Status {
    target = settings.get(specific);
    if (!target.empty()) return Status::success();
    return required("secret_key", target);
  };

  c.alimtalk_appkey = settings.get("alimtalk_appkey");
  c.sms_appkey = settings.get("sms_appkey");
  if (c.alimtalk_appkey.empty() && c.sms_appkey.empty()) {
    return make_error("config_missing",
                      "provider '" + settings.name + "' needs 'alimtalk_appkey' (AlimTalk) or 'sms_appkey' (SMS/LMS)",
                      prefix + "alimtalk_appkey");
  }
  if (!c.alimtalk_appkey.empty()) {
    if (Status s = required("sender_key", c.sender_key); !s) return s.error();
    if (Status s = secret("alimtalk_secret_key", c.alimtalk_secret_key); !s) return s.error();
  }
  if (!c.sms_appkey.empty()) {
    if (Status s = required("sender", c.sender); !s) return s.error();
    std::erase(c.sender, '-');
    if (c.sender.find_first_not_of("0123456789") != std::string::npos) {
      return make_error("config_invalid", "sender must be a phone number (digits)", prefix + "sender");
    }
    if (Status s = secret("sms_secret_key", c.sms_secret_key); !s) return s.error();
  }
  if (Status s = required("webhook_signature", c.webhook_signature); !s) return s.error();
  if (c.webhook_signature.size() < 16) {
    return make_error("config_invalid", "webhook_signature must be at least 16 characters (an unguessable secret)",
                      prefix + "webhook_signature");
  }
  auto batch = wire::size_setting(settings, "batch_size", kDefaultBatch, kMaxBatch);
  if (!batch) return batch.error();
  c.batch_size = *batch;
  return std::unique_ptr<ProviderAdapter>(std::make_unique<NhnAdapter>(std::move(c)));
}

}  // namespace jarip::channels::nhn
