#include "channel_test_support.hpp"

#include "channels/nhn/nhn_adapter.hpp"

namespace jarip::channels::testing {
namespace {

namespace json = boost::json;

std::string path_of(const std::string& url) { return url.substr(std::string(kGoldenBase).size()); }

TEST(NhnAdapter, PathSpellingPerService) {
  auto adapter = make_or_die(nhn_settings());
  std::vector<OutboundMessage> at{alimtalk_message("m1")};
  std::vector<OutboundMessage> sms{sms_message("m2")};
  OutboundMessage lms_message = sms_message("m3");
  lms_message.kind = SendKind::lms;
  lms_message.subject = "title";
  std::vector<OutboundMessage> lms{lms_message};
  EXPECT_EQ(path_of(adapter->build_send(SendKind::alimtalk, at, context_at())->url),
            "/alimtalk/v2.3/appkeys/golden-alimtalk-appkey/messages");
  EXPECT_EQ(path_of(adapter->build_send(SendKind::sms, sms, context_at())->url),
            "/sms/v3.0/appKeys/golden-sms-appkey/sender/sms");
  EXPECT_EQ(path_of(adapter->build_send(SendKind::lms, lms, context_at())->url),
            "/sms/v3.0/appKeys/golden-sms-appkey/sender/mms");
}

TEST(NhnAdapter, IdempotencyKeyIsStableAcrossRetriesOfAStep) {
  auto adapter = make_or_die(nhn_settings());
  OutboundMessage first = alimtalk_message("m1");
  OutboundMessage retry = first;  // same step, later attempt: only the clock and nonce differ
  retry.text = "re-rendered text";
  auto key_of = [&](const OutboundMessage& m, RequestContext c) {
    std::vector<OutboundMessage> batch{m};
    auto request = adapter->build_send(SendKind::alimtalk, batch, c);
    return wire::find_header(request->headers, "X-NC-API-IDEMPOTENCY-KEY").value();
  };
  std::string key = key_of(first, context_at(1'000, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
  EXPECT_EQ(key, key_of(retry, context_at(999'999, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")));
  // A function of the dedup key alone: same dedup key under another message id still matches.
  OutboundMessage renamed = first;
  renamed.message_id = "other";
  EXPECT_EQ(key, key_of(renamed, context_at()));
  // Independently computed: sha256("10:m1:0"... ) — here the golden value for dedup key "msg-0003:0".
  OutboundMessage golden = alimtalk_message("msg-0003");
  EXPECT_EQ(key_of(golden, context_at()), "8df7d0c5-8486-7fa6-9af2-0021ff13a3f7");
  // The next step (another dedup key) gets another key.
  OutboundMessage next_step = first;
  next_step.dedup_key = "m1:1";
  EXPECT_NE(key, key_of(next_step, context_at()));
  // Batches: order and membership matter; keys are length-prefixed so boundaries cannot shift.
  OutboundMessage a = alimtalk_message("a"), b = alimtalk_message("b");
  std::vector<OutboundMessage> ab{a, b}, ba{b, a};
  EXPECT_NE(nhn::idempotency_key(ab), nhn::idempotency_key(ba));
  OutboundMessage x = a, y = a;
  x.dedup_key = "ab";
  y.dedup_key = "c";
  OutboundMessage x2 = a, y2 = a;
  x2.dedup_key = "a";
  y2.dedup_key = "bc";
  std::vector<OutboundMessage> s1{x, y}, s2{x2, y2};
  EXPECT_NE(nhn::idempotency_key(s1), nhn::idempotency_key(s2));
  // SMS v3.0 documents no idempotency key: none is sent.
  std::vector<OutboundMessage> sms{sms_message("m9")};
  EXPECT_FALSE(wire::find_header(adapter->build_send(SendKind::sms, sms, context_at())->headers,
                                 "X-NC-API-IDEMPOTENCY-KEY"));
}

TEST(NhnAdapter, DedupContract) {
  auto defaults = nhn_settings();
  defaults.values.erase("batch_size");
  EXPECT_EQ(make_or_die(defaults)->max_batch(SendKind::sms), 1u);  // mixed batches cannot happen by default
  auto adapter = make_or_die(nhn_settings());
  EXPECT_TRUE(adapter->deduplicates(SendKind::alimtalk));
  EXPECT_EQ(adapter->dedup_window_ms(SendKind::alimtalk), 10 * 60 * 1000);
  EXPECT_FALSE(adapter->deduplicates(SendKind::sms));
  EXPECT_FALSE(adapter->deduplicates(SendKind::lms));
}

TEST(NhnAdapter, BatchesMustShareTemplateOrBody) {
  auto adapter = make_or_die(nhn_settings());
  EXPECT_NE(adapter->batch_group(SendKind::alimtalk, alimtalk_message("a", "T1")),
            adapter->batch_group(SendKind::alimtalk, alimtalk_message("b", "T2")));
  std::vector<OutboundMessage> mixed{alimtalk_message("a", "T1"), alimtalk_message("b", "T2")};
  EXPECT_EQ(adapter->build_send(SendKind::alimtalk, mixed, context_at()).error().code, "batch_not_uniform");
  std::vector<OutboundMessage> bodies{sms_message("a", "01000000001", "x"), sms_message("b", "01000000002", "y")};
  EXPECT_EQ(adapter->build_send(SendKind::sms, bodies, context_at()).error().code, "batch_not_uniform");
  std::vector<OutboundMessage> same{sms_message("a", "01000000001", "x"), sms_message("b", "01000000002", "x")};
  auto request = adapter->build_send(SendKind::sms, same, context_at());
  ASSERT_TRUE(request.ok());
  json::value body = json::parse(request->body);
  EXPECT_EQ(body.at("recipientList").as_array().size(), 2u);
  EXPECT_EQ(body.at("recipientList").at(1).at("recipientGroupingKey"), "b:0");
  std::vector<OutboundMessage> long_key{sms_message(std::string(100, 'k'))};  // dedup key 102 characters
  EXPECT_EQ(adapter->build_send(SendKind::sms, long_key, context_at()).error().code, "invalid_message");
}

TEST(NhnAdapter, AlimtalkNeverAsksNhnForItsSmsSubstitute) {
  auto adapter = make_or_die(nhn_settings());
  std::vector<OutboundMessage> batch{alimtalk_message("a"), alimtalk_message("b")};
  json::value body = json::parse(adapter->build_send(SendKind::alimtalk, batch, context_at())->body);
  for (const auto& r : body.at("recipientList").as_array()) {
    EXPECT_EQ(r.at("resendParameter").at("isResend"), false);
    EXPECT_EQ(r.at("templateParameter").at("name"), "홍길동");
  }
}

TEST(NhnAdapter, SettingsAreValidated) {
  struct Row {
    std::vector<std::pair<const char*, const char*>> changes;  // value nullptr: remove
    const char* code;
    const char* field;
  } rows[] = {
      {{{"alimtalk_appkey", nullptr}, {"sms_appkey", nullptr}}, "config_missing", "providers.nhn.alimtalk_appkey"},
      {{{"sender_key", nullptr}}, "config_missing", "providers.nhn.sender_key"},
      {{{"sender", nullptr}}, "config_missing", "providers.nhn.sender"},
      {{{"secret_key", nullptr}}, "config_missing", "providers.nhn.secret_key"},
      {{{"secret_key", nullptr}, {"alimtalk_secret_key", "a"}, {"sms_secret_key", "b"}}, nullptr, ""},
      {{{"secret_key", nullptr}, {"alimtalk_secret_key", "a"}}, "config_missing", "providers.nhn.secret_key"},
      {{{"webhook_signature", nullptr}}, "config_missing", "providers.nhn.webhook_signature"},
      {{{"webhook_signature", "tiny"}}, "config_invalid", "providers.nhn.webhook_signature"},
      {{{"sms_base_url", "sms.api.nhncloudservice.com"}}, "config_invalid", "providers.nhn.sms_base_url"},
      {{{"alimtalk_base_url", "https://x/?q"}}, "config_invalid", "providers.nhn.alimtalk_base_url"},
      {{{"batch_size", "1001"}}, "config_invalid", "providers.nhn.batch_size"},
      {{{"batch_size", "1000"}}, nullptr, ""},
      {{{"sms_appkey", nullptr}, {"sender", nullptr}}, nullptr, ""},            // AlimTalk only
      {{{"alimtalk_appkey", nullptr}, {"sender_key", nullptr}}, nullptr, ""},   // SMS only
  };
  for (const Row& r : rows) {
    auto settings = nhn_settings();
    std::string trace;
    for (auto [key, value] : r.changes) {
      trace += std::string(key) + "=" + (value ? value : "<absent>") + " ";
      if (value) settings.values[key] = value;
      else settings.values.erase(key);
    }
    SCOPED_TRACE(trace);
    auto adapter = make_adapter(settings);
    if (r.code == nullptr) {
      EXPECT_TRUE(adapter.ok()) << (adapter.ok() ? "" : adapter.error().message);
    } else {
      ASSERT_FALSE(adapter.ok());
      EXPECT_EQ(adapter.error().code, r.code);
      EXPECT_EQ(adapter.error().field, r.field);
    }
  }
  auto settings = nhn_settings();
  settings.values.erase("sms_appkey");
  auto alimtalk_only = make_or_die(settings);
  EXPECT_TRUE(alimtalk_only->supports(SendKind::alimtalk));
  EXPECT_FALSE(alimtalk_only->supports(SendKind::sms));
  EXPECT_FALSE(alimtalk_only->supports(SendKind::lms));
}

TEST(NhnAdapter, PerServiceSecretsGoToTheirService) {
  auto settings = nhn_settings();
  settings.values["alimtalk_secret_key"] = "at-secret";
  settings.values["sms_secret_key"] = "sms-secret";
  auto adapter = make_or_die(settings);
  std::vector<OutboundMessage> at{alimtalk_message("a")}, sms{sms_message("b")};
  EXPECT_EQ(wire::find_header(adapter->build_send(SendKind::alimtalk, at, context_at())->headers, "X-Secret-Key"), "at-secret");
  EXPECT_EQ(wire::find_header(adapter->build_send(SendKind::sms, sms, context_at())->headers, "X-Secret-Key"), "sms-secret");
}

TEST(NhnAdapter, CodeTables) {
  struct Row {
    const char* table;
    const char* code;
    wire::Verdict verdict;
  } rows[] = {
      {"alimtalk_api", "0", wire::Verdict::pending},
      {"alimtalk_api", "-1005", wire::Verdict::pending},
      {"alimtalk_api", "-1001", wire::Verdict::retryable},
      {"alimtalk_api", "-9999", wire::Verdict::retryable},
      {"alimtalk_api", "-3049", wire::Verdict::permanent},
      {"alimtalk_api", "-4019", wire::Verdict::permanent},
      {"alimtalk_api", "-7777", wire::Verdict::permanent},
      {"sms_api", "-1005", wire::Verdict::permanent},  // "invalid search condition" in SMS
      {"sms_api", "-1000", wire::Verdict::retryable},
      {"sms_api", "-2021", wire::Verdict::retryable},
      {"sms_api", "-6001", wire::Verdict::permanent},
      {"sms_api", "-2312", wire::Verdict::permanent},
      {"alimtalk_result", "1000", wire::Verdict::delivered},
      {"alimtalk_result", "3005", wire::Verdict::delivered},
      {"alimtalk_result", "3018", wire::Verdict::next_channel},
      {"alimtalk_result", "3019", wire::Verdict::next_channel},
      {"alimtalk_result", "3020", wire::Verdict::next_channel},
      {"alimtalk_result", "3022", wire::Verdict::next_channel},
      {"alimtalk_result", "3008", wire::Verdict::permanent},
      {"alimtalk_result", "3016", wire::Verdict::permanent},
      {"alimtalk_result", "3012", wire::Verdict::retryable},
      {"alimtalk_result", "9999", wire::Verdict::retryable},
      {"alimtalk_result", "4161", wire::Verdict::pending},
      {"alimtalk_result", "3999", wire::Verdict::permanent},
      {"sms_result", "1000", wire::Verdict::delivered},
      {"sms_result", "2003", wire::Verdict::retryable},
      {"sms_result", "3001", wire::Verdict::permanent},
      {"sms_result", "3006", wire::Verdict::permanent},
      {"sms_result", "3011", wire::Verdict::retryable},
      {"sms_result", "E915", wire::Verdict::permanent},
      {"sms_result", "E900", wire::Verdict::retryable},
      {"sms_result", "zzz", wire::Verdict::permanent},
  };
  for (const Row& r : rows) {
    std::string table = r.table;
    nhn::CodeInfo info = table == "alimtalk_api"      ? nhn::describe_alimtalk_api_code(r.code)
                         : table == "sms_api"         ? nhn::describe_sms_api_code(r.code)
                         : table == "alimtalk_result" ? nhn::describe_alimtalk_result_code(r.code)
                                                      : nhn::describe_sms_result_code(r.code);
    EXPECT_EQ(info.verdict, r.verdict) << table << " " << r.code;
    EXPECT_FALSE(info.meaning.empty());
  }
}

TEST(NhnAdapter, WebhookSignatureIsExact) {
  auto adapter = make_or_die(nhn_settings());
  InboundRequest request{"POST", "/v1/providers/nhn/reports", {}, "{}"};
  EXPECT_FALSE(adapter->authenticate_report(request).ok());
  for (const char* value : {"", "golden-webhook-signature-7d1", "golden-webhook-signature-7d1ff", "GOLDEN-webhook-signature-7d1f"}) {
    request.headers = {{"X-Toast-Webhook-Signature", value}};
    EXPECT_FALSE(adapter->authenticate_report(request).ok()) << value;
  }
  request.headers = {{"x-toast-webhook-signature", "golden-webhook-signature-7d1f"}};
  EXPECT_TRUE(adapter->authenticate_report(request).ok());
}

TEST(NhnAdapter, GarbageWebhooksNeverThrow) {
  auto adapter = make_or_die(nhn_settings());
  struct Row {
    const char* body;
    bool ok;
    std::size_t reports;
    std::size_t opt_outs;
  } rows[] = {
      {"", false, 0, 0},
      {"[]", false, 0, 0},
      {"{}", false, 0, 0},
      {"{\"event\": \"MESSAGE_RESULT_UPDATE\"}", false, 0, 0},
      {"{\"event\": \"MESSAGE_RESULT_UPDATE\", \"hooks\": {}}", false, 0, 0},
      {"{\"event\": \"MESSAGE_RESULT_UPDATE\", \"hooks\": [1, null, \"x\", {}]}", true, 0, 0},
      {"{\"event\": \"MESSAGE_RESULT_UPDATE\", \"hooks\": [{\"resultCode\": \"1000\"}]}", true, 0, 0},
      {"{\"event\": \"MESSAGE_RESULT_UPDATE\", \"hooks\": [{\"requestId\": \"R\", \"recipientSeq\": 1, \"resultCode\": 1000}]}", true, 1, 0},
      {"{\"event\": \"MESSAGE_RESULT_UPDATE\", \"hooks\": [{\"requestId\": \"R\", \"recipientSeq\": 1, \"messageStatus\": \"READY\"}]}", true, 0, 0},
      {"{\"event\": \"UNSUBSCRIBE\", \"hooks\": [{\"recipientNo\": null}, {\"recipientNo\": \"+82-10-1234-5678\"}]}", true, 0, 1},
      {"{\"event\": 5, \"hooks\": []}", true, 0, 0},
      {"{\"event\": \"INTERNATIONAL_DELIVERY_RECEIPT\", \"hooks\": [{\"requestId\": \"R\", \"recipientSeq\": 1, \"dlrStatus\": \"BUFFERED\"}, {\"requestId\": \"R\", \"recipientSeq\": 2, \"dlrStatus\": \"REJECTED\", \"errorCode\": \"6\"}]}", true, 1, 0},
  };
  for (const Row& r : rows) {
    InboundRequest request{"POST", "/r", {}, r.body};
    auto parsed = adapter->parse_report(request);
    EXPECT_EQ(parsed.ok(), r.ok) << r.body;
    if (parsed.ok()) {
      EXPECT_EQ(parsed->reports.size(), r.reports) << r.body;
      EXPECT_EQ(parsed->opt_outs.size(), r.opt_outs) << r.body;
    }
  }
}

TEST(NhnAdapter, StatusQueryForms) {
  auto adapter = make_or_die(nhn_settings());
  StatusQuery query;
  query.kind = SendKind::alimtalk;
  query.provider_message_id = "20180810100630ReZQ6KZzAH0:1";
  query.dedup_key = "m1:0";
  auto single = adapter->build_status_query(query, context_at());
  ASSERT_TRUE(single);
  EXPECT_EQ(path_of(single->url), "/alimtalk/v2.3/appkeys/golden-alimtalk-appkey/messages/20180810100630ReZQ6KZzAH0/1");
  EXPECT_EQ(wire::find_header(single->headers, "X-Secret-Key"), "golden-secret-key");

  query.kind = SendKind::lms;
  EXPECT_EQ(path_of(adapter->build_status_query(query, context_at())->url),
            "/sms/v3.0/appKeys/golden-sms-appkey/sender/mms/20180810100630ReZQ6KZzAH0?recipientSeq=1");

  // No provider id (the attempt timed out): search by recipientGroupingKey around the attempt, in KST.
  query.provider_message_id.clear();
  query.attempted_at_ms = 1'714'391'880'000;  // 2024-04-29 20:58:00 KST
  query.kind = SendKind::sms;
  EXPECT_EQ(path_of(adapter->build_status_query(query, context_at())->url),
            "/sms/v3.0/appKeys/golden-sms-appkey/sender/sms?startCreateDate=2024-04-29%2020%3A48%3A00"
            "&endCreateDate=2024-04-29%2021%3A58%3A00&recipientGroupingKey=m1%3A0&pageSize=100");
  query.kind = SendKind::alimtalk;
  EXPECT_EQ(path_of(adapter->build_status_query(query, context_at())->url),
            "/alimtalk/v2.3/appkeys/golden-alimtalk-appkey/messages?startCreateDate=2024-04-29%2020%3A48"
            "&endCreateDate=2024-04-29%2021%3A58&recipientGroupingKey=m1%3A0&pageSize=100");
  query.dedup_key.clear();
  EXPECT_FALSE(adapter->build_status_query(query, context_at()));
}

TEST(NhnAdapter, LookupByKeyIgnoresOtherRowsAndPrefersDelivered) {
  auto adapter = make_or_die(nhn_settings());
  StatusQuery query;
  query.kind = SendKind::sms;
  query.dedup_key = "m1:0";
  std::string body = R"({"header":{"isSuccessful":true,"resultCode":0,"resultMessage":"SUCCESS"},"body":{"data":[
      {"requestId":"R1","recipientSeq":1,"msgStatus":"3","resultCode":"1000","recipientGroupingKey":"other:0"},
      {"requestId":"R2","recipientSeq":1,"msgStatus":"0","resultCode":"3001","recipientGroupingKey":"m1:0"},
      {"requestId":"R3","recipientSeq":4,"msgStatus":"3","resultCode":"1000","recipientGroupingKey":"m1:0"}]}})";
  auto result = adapter->parse_status(query, InboundResponse{200, body});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->answer, StatusAnswer::delivered);
  EXPECT_EQ(result->provider_message_id, "R3:4");
}

TEST(NhnAdapter, GarbageSendAnswersNeverThrow) {
  auto adapter = make_or_die(nhn_settings());
  std::vector<OutboundMessage> batch{alimtalk_message("a"), alimtalk_message("b")};
  batch[1].to = "01000000002";
  struct Row {
    int status;
    const char* body;
    const char* outcome;
  } rows[] = {
      {200, "", "ambiguous"},
      {200, "{\"header\": 5}", "ambiguous"},
      {200, "{\"header\": {\"isSuccessful\": \"maybe\"}}", "ambiguous"},
      {200, "{\"header\": {\"isSuccessful\": true}}", "accepted"},
      {200, "{\"header\": {\"isSuccessful\": true}, \"message\": {\"sendResults\": [{}, {}]}}", "ambiguous"},
      {200, "{\"header\": {\"isSuccessful\": false, \"resultCode\": \"x\"}}", "permanent"},
      {200, "{\"header\": {\"isSuccessful\": false}}", "permanent"},
      {500, "{\"header\": {\"isSuccessful\": false, \"resultCode\": -9999}}", "retryable"},
      {401, "", "retryable"},
      {400, "{\"header\": {\"isSuccessful\": false, \"resultCode\": -2001}}", "permanent"},
  };
  for (const Row& r : rows) {
    auto results = adapter->parse_send(SendKind::alimtalk, batch, InboundResponse{r.status, r.body});
    ASSERT_EQ(results.size(), 2u);
    for (const auto& result : results) EXPECT_EQ(to_string(result.outcome), r.outcome) << r.status << " " << r.body;
  }
}

}  // namespace
}  // namespace jarip::channels::testing
