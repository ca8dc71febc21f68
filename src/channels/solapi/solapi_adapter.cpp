#include "channels/solapi/solapi_adapter.hpp"

#include <algorithm>
#include <optional>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "common/crypto.hpp"

namespace jarip::channels::solapi {

namespace json = boost::json;
using wire::Verdict;

std::string authorization_header(std::string_view api_key, std::string_view api_secret, std::string_view date,
                                 std::string_view salt) {
  std::string data;
  data.reserve(date.size() + salt.size());
  data.append(date).append(salt);
  std::string signature = crypto::to_hex(crypto::hmac_sha256(api_secret, data));
  std::string out = "HMAC-SHA256 apiKey=";
  out.append(api_key).append(", date=").append(date).append(", salt=").append(salt);
  out.append(", signature=").append(signature);
  return out;
}

namespace {

constexpr std::string_view kDefaultBaseUrl = "https://api.solapi.com";
constexpr std::size_t kMaxBatch = 10000;  // the SDK's documented limit for one send-many call
constexpr std::size_t kDefaultBatch = 100;
constexpr std::size_t kMaxCustomFieldValue = 100;  // Solapi code 1032: values up to 100 characters
constexpr std::string_view kMessageIdField = "jarip_message_id";
constexpr std::string_view kDedupKeyField = "jarip_dedup_key";
// Search by recipient (the send's answer was lost, so there is no messageId): Solapi accepts a request
// whose signature date is up to 15 minutes off its own clock, so the message's dateCreated (Solapi's
// clock) may lie that far either side of attempted_at_ms (ours); one more minute covers the request's
// own time in flight.
constexpr TimeMs kSearchBeforeMs = 16 * 60 * 1000;
constexpr TimeMs kSearchAfterMs = 16 * 60 * 1000;
// Messages per list page. Solapi documents no maximum (default 20); 500 is the most jarip-sim accepts.
// One recipient rarely gets more than a handful of one type in half an hour; a fuller page is read as
// "cannot rule it out", never as "not found".
constexpr std::size_t kSearchLimit = 500;

struct Config {
  std::string name;
  std::string base_url;
  std::string api_key;
  std::string api_secret;
  std::string sender;
  std::string pf_id;
  std::string report_token;
  std::size_t batch_size = kDefaultBatch;
};

std::string_view message_type(SendKind kind) {
  switch (kind) {
    case SendKind::alimtalk: return "ATA";
    case SendKind::sms: return "SMS";
    case SendKind::lms: return "LMS";
    default: return "SMS";  // supports() keeps the other kinds away
  }
}

// Salt must be 12–64 bytes (Solapi "API Key 인증 방식"); the engine's nonce is 32+ hex characters.
std::optional<std::string> salt_from(const RequestContext& context) {
  if (context.nonce.size() < 12) return std::nullopt;
  return context.nonce.substr(0, 64);
}

json::object button_json(const AlimtalkButton& b) {
  json::object o;
  o["buttonName"] = b.name;
  o["buttonType"] = b.type;
  if (!b.link_mobile.empty()) o["linkMo"] = b.link_mobile;
  if (!b.link_pc.empty()) o["linkPc"] = b.link_pc;
  if (!b.scheme_android.empty()) o["linkAnd"] = b.scheme_android;
  if (!b.scheme_ios.empty()) o["linkIos"] = b.scheme_ios;
  return o;
}

// What one entry of a send answer or a stored message says about one of our messages.
struct Entry {
  std::string jarip_message_id;
  std::string jarip_dedup_key;
  std::string message_id;
  std::string type;  // SMS, LMS, ATA, … (stored messages; absent in send answers)
  std::string status_code;
  std::string status_message;
};

Entry read_entry(const json::object& o) {
  Entry e;
  if (const json::object* cf = wire::member_object(o, "customFields")) {
    e.jarip_message_id = wire::member_text(*cf, kMessageIdField).value_or("");
    e.jarip_dedup_key = wire::member_text(*cf, kDedupKeyField).value_or("");
  }
  e.message_id = wire::member_text(o, "messageId").value_or(wire::member_text(o, "_id").value_or(""));
  e.type = wire::member_text(o, "type").value_or("");
  e.status_code = wire::member_text(o, "statusCode").value_or("");
  e.status_message = wire::member_text(o, "statusMessage").value_or(wire::member_text(o, "reason").value_or(""));
  return e;
}

// Entries of `key`, which Solapi sends as an array, or as an object keyed by message id (list API).
std::vector<Entry> read_entries(const json::object& root, std::string_view key) {
  std::vector<Entry> out;
  const json::value* v = root.if_contains(key);
  if (v == nullptr) return out;
  if (const json::array* a = v->if_array()) {
    for (const json::value& item : *a) {
      if (const json::object* o = item.if_object()) out.push_back(read_entry(*o));
    }
  } else if (const json::object* map = v->if_object()) {
    for (const auto& kv : *map) {
      if (const json::object* o = kv.value().if_object()) {
        Entry e = read_entry(*o);
        if (e.message_id.empty()) e.message_id = std::string(kv.key());
        out.push_back(std::move(e));
      }
    }
  }
  return out;
}

SendResult result_from_entry(const Entry& e) {
  SendResult r;
  r.provider_message_id = e.message_id;
  r.error_code = e.status_code;
  if (e.status_code.empty()) {
    r.outcome = SendOutcome::ambiguous;
    r.error_text = "Solapi listed the message without a status code";
    return r;
  }
  CodeInfo info = describe_status_code(e.status_code);
  r.outcome = wire::to_send_outcome(info.verdict);
  if (r.outcome == SendOutcome::accepted) {
    r.error_code.clear();
  } else {
    r.error_text = e.status_message.empty() ? std::string(info.meaning) : e.status_message;
  }
  return r;
}

class SolapiAdapter final : public ProviderAdapter {
 public:
  explicit SolapiAdapter(Config config) : config_(std::move(config)) {}

  const std::string& name() const override { return config_.name; }

  bool supports(SendKind kind) const override {
    if (kind == SendKind::alimtalk) return !config_.pf_id.empty();
    return kind == SendKind::sms || kind == SendKind::lms;
  }

  std::size_t max_batch(SendKind) const override { return config_.batch_size; }

  // Solapi keeps no idempotency key of ours: a resent request is a second message.
  bool deduplicates(SendKind) const override { return false; }
  TimeMs dedup_window_ms(SendKind) const override { return 0; }

  Result<OutboundRequest> build_send(SendKind kind, std::span<const OutboundMessage> batch,
                                     const RequestContext& context) const override {
    if (batch.empty() || batch.size() > config_.batch_size) {
      return make_error("invalid_batch", "Solapi batch must hold 1 to " + std::to_string(config_.batch_size) +
                                             " messages");
    }
    if (!supports(kind)) {
      return make_error("unsupported_kind", "provider '" + config_.name + "' has no pf_id: AlimTalk is off");
    }
    auto salt = salt_from(context);
    if (!salt) return make_error("invalid_context", "request nonce must be at least 12 characters");

    json::array messages;
    for (const OutboundMessage& m : batch) {
      if (m.kind != kind) return make_error("invalid_batch", "batch mixes message kinds");
      if (m.message_id.size() > kMaxCustomFieldValue || m.dedup_key.size() > kMaxCustomFieldValue) {
        return make_error("invalid_message", "message id and dedup key must fit Solapi's 100-character custom fields");
      }
      json::object o;
      o["to"] = m.to;
      o["from"] = config_.sender;
      o["type"] = message_type(kind);
      if (kind == SendKind::alimtalk) {
        // The rendered text goes with the variables: Solapi checks it against the registered template
        // (code 1043 on a mismatch), so a template edited in jarip but not re-registered with Kakao
        // fails here and falls back, instead of reaching the customer in wording nobody chose.
        o["text"] = m.text;
        json::object kakao;
        kakao["pfId"] = config_.pf_id;
        kakao["templateId"] = m.template_code;
        json::object variables;
        for (const auto& [key, value] : m.variables) variables["#{" + key + "}"] = value;
        kakao["variables"] = std::move(variables);
        if (!m.buttons.empty()) {
          json::array buttons;
          for (const AlimtalkButton& b : m.buttons) buttons.push_back(button_json(b));
          kakao["buttons"] = std::move(buttons);
        }
        // jarip fails over across providers itself: Solapi's own SMS substitute would be a duplicate.
        kakao["disableSms"] = true;
        o["kakaoOptions"] = std::move(kakao);
      } else {
        o["text"] = m.text;
        if (kind == SendKind::lms && !m.subject.empty()) o["subject"] = m.subject;
      }
      json::object custom;
      custom[kMessageIdField] = m.message_id;
      custom[kDedupKeyField] = m.dedup_key;
      o["customFields"] = std::move(custom);
      messages.push_back(std::move(o));
    }
    json::object body;
    body["messages"] = std::move(messages);
    // Two different jarip messages to one number may share a batch; Solapi refuses that otherwise.
    body["allowDuplicates"] = true;
    // Ask for the per-message list: it carries the messageId of every registered message.
    body["showMessageList"] = true;

    OutboundRequest request;
    request.method = "POST";
    request.url = config_.base_url + "/messages/v4/send-many/detail";
    request.headers.push_back({"Authorization", sign(context.now_ms, *salt)});
    request.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
    request.body = json::serialize(body);
    return request;
  }

  std::vector<SendResult> parse_send(SendKind, std::span<const OutboundMessage> batch,
                                     const InboundResponse& response) const override {
    std::vector<SendResult> results(batch.size());
    auto fill_all = [&](const SendResult& r) {
      for (auto& slot : results) slot = r;
      return results;
    };
    auto parsed = wire::parse_json(response.body);
    const json::object* root = parsed ? parsed->if_object() : nullptr;

    if (response.status < 200 || response.status > 299) {
      std::string code, detail;
      if (root) {
        code = wire::member_text(*root, "errorCode").value_or("");
        detail = wire::member_text(*root, "errorMessage").value_or("");
      }
      return fill_all(wire::result_for_http_status(response.status, code, detail));
    }
    if (root == nullptr) {
      SendResult r;
      r.outcome = SendOutcome::ambiguous;
      r.error_text = "Solapi answered " + std::to_string(response.status) + " with a body that is not a JSON object";
      return fill_all(r);
    }

    std::vector<Entry> failed = read_entries(*root, "failedMessageList");
    std::vector<Entry> listed = read_entries(*root, "messageList");
    std::vector<bool> found(batch.size(), false);
    auto match = [&](const std::vector<Entry>& entries) {
      for (const Entry& e : entries) {
        if (e.jarip_message_id.empty()) continue;
        for (std::size_t i = 0; i < batch.size(); ++i) {
          if (!found[i] && batch[i].message_id == e.jarip_message_id) {
            results[i] = result_from_entry(e);
            found[i] = true;
            break;
          }
        }
      }
    };
    match(failed);  // a message Solapi refused is never in messageList as well, but failure wins
    match(listed);

    bool any_matched = false;
    for (bool f : found) any_matched = any_matched || f;
    if (!any_matched && failed.empty() && listed.size() == batch.size()) {
      // An answer without our customFields: Solapi lists messages in request order.
      for (std::size_t i = 0; i < batch.size(); ++i) {
        results[i] = result_from_entry(listed[i]);
        found[i] = true;
      }
    }

    // Without a message list, the group counters can still say "everything was registered".
    bool all_registered = false;
    if (const json::object* group = wire::member_object(*root, "groupInfo")) {
      if (const json::object* count = wire::member_object(*group, "count")) {
        auto ok = wire::member_text(*count, "registeredSuccess");
        auto bad = wire::member_text(*count, "registeredFailed");
        all_registered = failed.empty() && ok && *ok == std::to_string(batch.size()) && (!bad || *bad == "0");
      }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (found[i]) continue;
      if (all_registered) {
        results[i].outcome = SendOutcome::accepted;
        results[i].error_text = "registered (Solapi gave no message id)";
      } else {
        results[i].outcome = SendOutcome::ambiguous;
        results[i].error_text = "Solapi's answer has no result for this message";
      }
    }
    return results;
  }

  Status authenticate_report(const InboundRequest& request) const override {
    auto token = wire::query_parameter(request.target, "token");
    if (!token || !crypto::constant_time_equals(*token, config_.report_token)) {
      return make_error("unauthorized", "report token missing or wrong");
    }
    return Status::success();
  }

  Result<ReportBatch> parse_report(const InboundRequest& request) const override {
    auto parsed = wire::parse_json(request.body);
    if (!parsed) return make_error("report_invalid", "Solapi report body is not JSON");
    std::vector<const json::object*> items;
    if (const json::array* a = parsed->if_array()) {
      for (const json::value& v : *a) {
        if (const json::object* o = v.if_object()) items.push_back(o);
      }
    } else if (const json::object* o = parsed->if_object()) {
      items.push_back(o);  // tolerate a single object
    } else {
      return make_error("report_invalid", "Solapi report body is neither an array nor an object");
    }

    ReportBatch batch;
    for (const json::object* o : items) {
      Entry e = read_entry(*o);
      if (e.message_id.empty() && e.jarip_message_id.empty()) continue;  // nothing to attach it to
      if (e.status_code.empty()) continue;
      CodeInfo info = describe_status_code(e.status_code);
      auto outcome = wire::to_report_outcome(info.verdict);
      if (!outcome) continue;  // 2000/3000: not final yet
      DeliveryReport r;
      r.message_id = e.jarip_message_id;
      r.provider_message_id = e.message_id;
      r.dedup_key = e.jarip_dedup_key;
      r.outcome = *outcome;
      if (*outcome != ReportOutcome::delivered) {
        r.error_code = e.status_code;
        r.error_text = e.status_message.empty() ? std::string(info.meaning) : e.status_message;
      }
      for (std::string_view key : {"dateReceived", "dateReported", "dateProcessed", "dateUpdated"}) {
        if (auto text = wire::member_text(*o, key)) {
          if (auto ms = wire::parse_timestamp(*text, 0)) {
            r.reported_at_ms = *ms;
            break;
          }
        }
      }
      batch.reports.push_back(std::move(r));
    }
    return batch;
  }

  std::optional<OutboundRequest> build_status_query(const StatusQuery& query,
                                                    const RequestContext& context) const override {
    auto salt = salt_from(context);
    if (!salt) return std::nullopt;
    OutboundRequest request;
    request.method = "GET";
    if (!query.provider_message_id.empty()) {
      request.url = config_.base_url + "/messages/v4/list?messageId=" + wire::percent_encode(query.provider_message_id);
    } else {
      // The send's answer was lost: search the recipient's messages of this type around the attempt
      // (parameter names as the official SDK's getMessages sends them) and pick ours by customFields.
      // Without a recipient, or without a key of ours to recognise the message by, there is nothing
      // precise to ask, and a vague search could wrongly say "not found" (licensing a duplicate).
      std::string to = wire::normalize_phone(query.to);
      if (to.empty() || to.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
      if (query.dedup_key.empty() && query.message_id.empty()) return std::nullopt;
      TimeMs at = query.attempted_at_ms > 0 ? query.attempted_at_ms : context.now_ms;
      request.url = config_.base_url + "/messages/v4/list?limit=" + std::to_string(kSearchLimit) +
                    "&dateType=CREATED&to=" + wire::percent_encode(to) + "&type=" + std::string(message_type(query.kind)) +
                    "&startDate=" + wire::percent_encode(wire::format_iso8601_utc(at - kSearchBeforeMs)) +
                    "&endDate=" + wire::percent_encode(wire::format_iso8601_utc(at + kSearchAfterMs));
    }
    request.headers.push_back({"Authorization", sign(context.now_ms, *salt)});
    return request;
  }

  Result<StatusResult> parse_status(const StatusQuery& query, const InboundResponse& response) const override {
    auto parsed = wire::parse_json(response.body);
    const json::object* root = parsed ? parsed->if_object() : nullptr;
    if (response.status < 200 || response.status > 299) {
      std::string detail = root ? wire::member_text(*root, "errorCode").value_or("") : "";
      return status_http_error(response.status, detail);
    }
    if (root == nullptr) return make_error("provider_bad_answer", "Solapi list answer is not a JSON object");
    if (root->if_contains("messageList") == nullptr) {
      return make_error("provider_bad_answer", "Solapi list answer has no messageList");
    }
    std::vector<Entry> entries = read_entries(*root, "messageList");
    if (query.provider_message_id.empty()) return search_result(query, *root, entries);
    for (const Entry& e : entries) {
      if (e.message_id == query.provider_message_id) return status_of(e);
    }
    StatusResult s;
    s.answer = StatusAnswer::not_found;
    s.provider_message_id = query.provider_message_id;
    return s;
  }

 private:
  static StatusResult status_of(const Entry& e) {
    StatusResult s;
    s.provider_message_id = e.message_id;
    if (e.status_code.empty()) {
      s.answer = StatusAnswer::pending;
      return s;
    }
    CodeInfo info = describe_status_code(e.status_code);
    s.answer = wire::to_status_answer(info.verdict);
    if (s.answer == StatusAnswer::failed) {
      s.error_code = e.status_code;
      s.error_text = e.status_message.empty() ? std::string(info.meaning) : e.status_message;
    }
    return s;
  }

  // Whether a listed message is this attempt: by our dedup key when both sides carry one, else by our
  // message id and the send kind. Never by recipient alone: the search lists every message to `to`.
  static bool is_this_attempt(const StatusQuery& query, const Entry& e) {
    if (!query.dedup_key.empty() && !e.jarip_dedup_key.empty()) return e.jarip_dedup_key == query.dedup_key;
    if (query.message_id.empty() || e.jarip_message_id != query.message_id) return false;
    // The request already asked for this type; an entry that names another one is not ours.
    return e.type.empty() || wire::ascii_lower(e.type) == wire::ascii_lower(message_type(query.kind));
  }

  // True when the answer may not hold every message the search matched: a next page is announced
  // (nextKey; answers from before nextKey existed carried the next page's key as startKey), or the
  // page is full.
  static bool more_pages(const json::object& root, std::size_t listed) {
    if (auto next = wire::member_text(root, "nextKey"); next && !next->empty()) return true;
    if (root.if_contains("nextKey") == nullptr) {
      if (auto start = wire::member_text(root, "startKey"); start && !start->empty()) return true;
    }
    std::size_t page = kSearchLimit;
    if (auto limit = wire::member_text(root, "limit")) {
      try {
        page = std::min<std::size_t>(page, static_cast<std::size_t>(std::stoul(*limit)));
      } catch (...) {
      }
    }
    return listed >= page;
  }

  // The answer to a search by recipient: the best of the entries that are this attempt (a resent step
  // leaves several): delivered, else pending, else failed; none → not_found, unless the answer holds
  // only part of what matched, when "not found" (or "failed") cannot be told and is an error instead.
  static Result<StatusResult> search_result(const StatusQuery& query, const json::object& root,
                                            const std::vector<Entry>& entries) {
    auto rank = [](StatusAnswer a) { return a == StatusAnswer::delivered ? 3 : a == StatusAnswer::pending ? 2 : 1; };
    std::optional<StatusResult> best;
    for (const Entry& e : entries) {
      if (!is_this_attempt(query, e)) continue;
      StatusResult s = status_of(e);
      if (!best || rank(s.answer) > rank(best->answer)) best = s;
    }
    if (best && best->answer != StatusAnswer::failed) return *best;
    if (more_pages(root, entries.size())) {
      return make_error("provider_bad_answer",
                        "too many messages to rule this one out: Solapi's list of " + std::to_string(entries.size()) +
                            " messages to the recipient has more pages");
    }
    if (best) return *best;
    StatusResult s;
    s.answer = StatusAnswer::not_found;
    return s;
  }

  std::string sign(TimeMs now_ms, const std::string& salt) const {
    return authorization_header(config_.api_key, config_.api_secret, wire::format_iso8601_utc(now_ms), salt);
  }

  static Error status_http_error(int status, const std::string& detail) {
    std::string suffix = detail.empty() ? "" : " (" + detail + ")";
    if (status == 401 || status == 403) {
      return make_error("provider_auth_failed", "Solapi rejected our credentials: HTTP " + std::to_string(status) + suffix);
    }
    if (status == 429 || status >= 500) {
      return make_error("provider_unavailable", "Solapi unavailable: HTTP " + std::to_string(status) + suffix);
    }
    return make_error("provider_rejected", "Solapi refused the status query: HTTP " + std::to_string(status) + suffix);
  }

  Config config_;
};

}  // namespace

Result<std::unique_ptr<ProviderAdapter>> make_solapi_adapter(const ProviderSettings& settings) {
  Config c;
  c.name = settings.name;
  auto base = wire::normalize_base_url(settings.get("base_url", std::string(kDefaultBaseUrl)),
                                       "providers." + settings.name + ".base_url");
  if (!base) return base.error();
  c.base_url = *base;
  for (auto [key, target] : {std::pair{"api_key", &c.api_key}, std::pair{"api_secret", &c.api_secret},
                             std::pair{"sender", &c.sender}, std::pair{"report_token", &c.report_token}}) {
    auto value = settings.require(key);
    if (!value) return value.error();
    *target = *value;
  }
  if (c.report_token.size() < 16) {
    return make_error("config_invalid", "report_token must be at least 16 characters (an unguessable secret)",
                      "providers." + settings.name + ".report_token");
  }
  std::erase(c.sender, '-');
  if (c.sender.find_first_not_of("0123456789") != std::string::npos) {
    return make_error("config_invalid", "sender must be a phone number (digits)", "providers." + settings.name + ".sender");
  }
  c.pf_id = settings.get("pf_id");
  auto batch = wire::size_setting(settings, "batch_size", kDefaultBatch, kMaxBatch);
  if (!batch) return batch.error();
  c.batch_size = *batch;
  return std::unique_ptr<ProviderAdapter>(std::make_unique<SolapiAdapter>(std::move(c)));
}

}  // namespace jarip::channels::solapi
