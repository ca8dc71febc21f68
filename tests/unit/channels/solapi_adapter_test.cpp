#include "channel_test_support.hpp"

#include "channels/solapi/solapi_adapter.hpp"

namespace jarip::channels::testing {
namespace {

namespace json = boost::json;

TEST(SolapiAdapter, SignatureMatchesAnIndependentHmac) {
  // Expected values computed with Python's hmac module: hmac.new(secret, date + salt, sha256).hexdigest().
  EXPECT_EQ(solapi::authorization_header("NCSAYU7YDBXYORXC", "golden-api-secret-0123456789", "2019-07-01T00:41:48Z",
                                         "jqsba2jxjnrjor"),
            "HMAC-SHA256 apiKey=NCSAYU7YDBXYORXC, date=2019-07-01T00:41:48Z, salt=jqsba2jxjnrjor, "
            "signature=b58b01ab2aa0d97c9f8b8854d57b9fd6c1fc13c18b5a0526cf4e14a35279e123");
  EXPECT_EQ(solapi::authorization_header("k", "Jefe", "2019-07-01T00:41:48Z", "jqsba2jxjnrjor"),
            "HMAC-SHA256 apiKey=k, date=2019-07-01T00:41:48Z, salt=jqsba2jxjnrjor, "
            "signature=d00afb497c5b8d7801070452ab1a13b6c4dfa358f43148e63d15e3758a6ac881");
}

TEST(SolapiAdapter, SignsWithTheContextClockAndNonce) {
  auto adapter = make_or_die(solapi_settings());
  std::vector<OutboundMessage> batch{sms_message("m1")};
  auto a = adapter->build_send(SendKind::sms, batch, context_at(1'561'941'708'000, "jqsba2jxjnrjor"));
  auto b = adapter->build_send(SendKind::sms, batch, context_at(1'561'941'708'000, "ffffffffffffffff"));
  ASSERT_TRUE(a.ok() && b.ok());
  auto auth_a = wire::find_header(a->headers, "Authorization").value();
  EXPECT_NE(auth_a, wire::find_header(b->headers, "Authorization").value());
  EXPECT_NE(auth_a.find("date=2019-07-01T00:41:48Z, salt=jqsba2jxjnrjor, "), std::string::npos);
  // Salt must be 12–64 bytes.
  EXPECT_FALSE(adapter->build_send(SendKind::sms, batch, context_at(0, "short")).ok());
  auto long_salt = adapter->build_send(SendKind::sms, batch, context_at(0, std::string(100, 'a')));
  ASSERT_TRUE(long_salt.ok());
  EXPECT_NE(wire::find_header(long_salt->headers, "Authorization")->find("salt=" + std::string(64, 'a') + ","),
            std::string::npos);
}

TEST(SolapiAdapter, AlimtalkAlwaysDisablesSolapisSmsSubstitute) {
  auto adapter = make_or_die(solapi_settings());
  std::vector<OutboundMessage> batch{alimtalk_message("m1"), alimtalk_message("m2", "OTHER_TEMPLATE")};
  auto request = adapter->build_send(SendKind::alimtalk, batch, context_at());
  ASSERT_TRUE(request.ok());
  json::value body = json::parse(request->body);
  for (const auto& m : body.at("messages").as_array()) {
    const auto& o = m.as_object();
    EXPECT_EQ(o.at("type"), "ATA");
    EXPECT_EQ(o.at("kakaoOptions").at("disableSms"), true);
    EXPECT_EQ(o.at("kakaoOptions").at("variables").at("#{name}"), "홍길동");
    // The rendered text goes along so that Solapi checks it against the registered template.
    EXPECT_EQ(o.at("text"), json::value(batch.front().text));
  }
  EXPECT_EQ(body.at("messages").at(1).at("kakaoOptions").at("templateId"), "OTHER_TEMPLATE");
  EXPECT_EQ(body.at("messages").at(1).at("customFields").at("jarip_message_id"), "m2");
  EXPECT_EQ(body.at("messages").at(1).at("customFields").at("jarip_dedup_key"), "m2:0");
}

TEST(SolapiAdapter, ContractBasics) {
  auto adapter = make_or_die(solapi_settings());
  EXPECT_EQ(adapter->name(), "solapi");
  EXPECT_FALSE(adapter->deduplicates(SendKind::sms));
  EXPECT_FALSE(adapter->deduplicates(SendKind::alimtalk));
  EXPECT_EQ(adapter->max_batch(SendKind::sms), 100u);
  EXPECT_TRUE(adapter->supports(SendKind::alimtalk));
  EXPECT_EQ(adapter->batch_group(SendKind::alimtalk, alimtalk_message("a", "T1")),
            adapter->batch_group(SendKind::alimtalk, alimtalk_message("b", "T2")));

  auto settings = solapi_settings();
  settings.values.erase("pf_id");
  auto sms_only = make_or_die(settings);
  EXPECT_FALSE(sms_only->supports(SendKind::alimtalk));
  std::vector<OutboundMessage> batch{alimtalk_message("m")};
  EXPECT_EQ(sms_only->build_send(SendKind::alimtalk, batch, context_at()).error().code, "unsupported_kind");
  std::vector<OutboundMessage> too_long{sms_message(std::string(101, 'x'))};
  EXPECT_EQ(adapter->build_send(SendKind::sms, too_long, context_at()).error().code, "invalid_message");
}

TEST(SolapiAdapter, SettingsAreValidated) {
  struct Row {
    const char* key;
    const char* value;  // nullptr: remove the key
    const char* code;   // expected error code, nullptr: accepted
    const char* field;
  } rows[] = {
      {"api_key", nullptr, "config_missing", "providers.solapi.api_key"},
      {"api_secret", "", "config_missing", "providers.solapi.api_secret"},
      {"sender", nullptr, "config_missing", "providers.solapi.sender"},
      {"report_token", nullptr, "config_missing", "providers.solapi.report_token"},
      {"report_token", "short", "config_invalid", "providers.solapi.report_token"},
      {"base_url", "api.solapi.com", "config_invalid", "providers.solapi.base_url"},
      {"base_url", nullptr, nullptr, ""},
      {"batch_size", "0", "config_invalid", "providers.solapi.batch_size"},
      {"batch_size", "10001", "config_invalid", "providers.solapi.batch_size"},
      {"batch_size", "12x", "config_invalid", "providers.solapi.batch_size"},
      {"batch_size", "500", nullptr, ""},
      {"sender", "02-930-2266", nullptr, ""},
      {"sender", "02-CALL-ME", "config_invalid", "providers.solapi.sender"},
  };
  for (const Row& r : rows) {
    auto settings = solapi_settings();
    if (r.value) settings.values[r.key] = r.value;
    else settings.values.erase(r.key);
    auto adapter = make_adapter(settings);
    SCOPED_TRACE(std::string(r.key) + "=" + (r.value ? r.value : "<absent>"));
    if (r.code == nullptr) {
      EXPECT_TRUE(adapter.ok());
    } else {
      ASSERT_FALSE(adapter.ok());
      EXPECT_EQ(adapter.error().code, r.code);
      EXPECT_EQ(adapter.error().field, r.field);
    }
  }
}

TEST(SolapiAdapter, StatusCodeTable) {
  struct Row {
    const char* code;
    const char* send;    // SendOutcome when it comes back from send-many
    const char* report;  // ReportOutcome, "" when not final
  } rows[] = {
      {"2000", "accepted", ""},
      {"3000", "accepted", ""},
      {"4000", "accepted", "delivered"},
      {"3104", "next_channel", "failed_next_channel"},
      {"3107", "next_channel", "failed_next_channel"},
      {"3102", "next_channel", "failed_next_channel"},
      {"3108", "next_channel", "failed_next_channel"},
      {"3103", "permanent", "failed_permanent"},
      {"3105", "permanent", "failed_permanent"},
      {"3010", "permanent", "failed_permanent"},
      {"3032", "permanent", "failed_permanent"},
      {"1062", "permanent", "failed_permanent"},
      {"1030", "permanent", "failed_permanent"},
      {"1061", "permanent", "failed_permanent"},
      {"1020", "retryable", "failed_retryable"},
      {"1024", "retryable", "failed_retryable"},
      {"3043", "retryable", "failed_retryable"},
      {"3053", "retryable", "failed_retryable"},
      {"3199", "next_channel", "failed_next_channel"},  // unlisted Kakao-side code
      {"3099", "retryable", "failed_retryable"},        // unlisted carrier code
      {"1999", "permanent", "failed_permanent"},
      {"4001", "permanent", "failed_permanent"},
      {"TEST1000", "permanent", "failed_permanent"},
      {"", "permanent", "failed_permanent"},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.code);
    auto info = solapi::describe_status_code(r.code);
    EXPECT_EQ(to_string(wire::to_send_outcome(info.verdict)), r.send);
    auto report = wire::to_report_outcome(info.verdict);
    EXPECT_EQ(report ? std::string(to_string(*report)) : std::string(), r.report);
    EXPECT_FALSE(info.meaning.empty());
  }
}

TEST(SolapiAdapter, ReportTokenIsRequiredAndExact) {
  auto adapter = make_or_die(solapi_settings());
  InboundRequest request;
  request.method = "POST";
  for (const char* target : {"/v1/providers/solapi/reports", "/v1/providers/solapi/reports?token=",
                             "/v1/providers/solapi/reports?token=golden-report-token-2f9c1e7", 
                             "/v1/providers/solapi/reports?token=golden-report-token-2f9c1e7aa",
                             "/v1/providers/solapi/reports?Token=golden-report-token-2f9c1e7a",
                             "/v1/providers/solapi/reports?xtoken=golden-report-token-2f9c1e7a"}) {
    request.target = target;
    EXPECT_FALSE(adapter->authenticate_report(request).ok()) << target;
  }
  request.target = "/v1/providers/solapi/reports?token=golden-report-token-2f9c1e7a";
  EXPECT_TRUE(adapter->authenticate_report(request).ok());
  request.target = "/v1/providers/solapi/reports?a=b&token=golden%2Dreport%2Dtoken%2D2f9c1e7a";
  EXPECT_TRUE(adapter->authenticate_report(request).ok());
}

TEST(SolapiAdapter, GarbageReportsNeverThrow) {
  auto adapter = make_or_die(solapi_settings());
  struct Row {
    const char* body;
    bool ok;
    std::size_t reports;
  } rows[] = {
      {"", false, 0},
      {"null", false, 0},
      {"42", false, 0},
      {"\"text\"", false, 0},
      {"[", false, 0},
      {"[]", true, 0},
      {"[1, \"x\", null, []]", true, 0},
      {"[{}]", true, 0},
      {"[{\"messageId\": \"M1\"}]", true, 0},
      {"[{\"messageId\": \"M1\", \"statusCode\": 4000}]", true, 1},
      {"[{\"messageId\": {\"a\":1}, \"statusCode\": \"4000\"}]", true, 0},
      {"[{\"messageId\": \"M1\", \"statusCode\": \"4000\", \"customFields\": \"nope\", \"dateReceived\": 5}]", true, 1},
      {"{\"messageId\": \"M1\", \"statusCode\": \"3104\"}", true, 1},
  };
  for (const Row& r : rows) {
    InboundRequest request{"POST", "/r?token=golden-report-token-2f9c1e7a", {}, r.body};
    auto parsed = adapter->parse_report(request);
    EXPECT_EQ(parsed.ok(), r.ok) << r.body;
    if (parsed.ok()) {
      EXPECT_EQ(parsed->reports.size(), r.reports) << r.body;
    } else {
      EXPECT_EQ(parsed.error().code, "report_invalid");
    }
  }
}

TEST(SolapiAdapter, GarbageSendAnswersNeverThrow) {
  auto adapter = make_or_die(solapi_settings());
  std::vector<OutboundMessage> batch{sms_message("m1"), sms_message("m2", "01000000002")};
  struct Row {
    int status;
    const char* body;
    const char* outcome;
  } rows[] = {
      {200, "", "ambiguous"},
      {200, "[]", "ambiguous"},
      {200, "{}", "ambiguous"},
      {200, "{\"messageList\": 5, \"failedMessageList\": {}}", "ambiguous"},
      {200, "{\"messageList\": [{\"messageId\": \"X\"}, {}]}", "ambiguous"},
      {201, "{\"messageList\": [{\"messageId\": \"X\", \"statusCode\": \"2000\"}, {\"messageId\": \"Y\", \"statusCode\": \"2000\"}]}",
       "accepted"},
      {200, "{\"failedMessageList\": [], \"groupInfo\": {\"count\": {\"registeredSuccess\": 2, \"registeredFailed\": 0}}}",
       "accepted"},
      {500, "", "retryable"},
      {503, "{\"errorCode\": 7}", "retryable"},
      {429, "", "retryable"},
      {401, "nope", "retryable"},
      {403, "{\"errorCode\":\"InvalidAPIKey\"}", "retryable"},
      {404, "", "permanent"},
      {302, "", "ambiguous"},
      {0, "", "ambiguous"},
  };
  for (const Row& r : rows) {
    auto results = adapter->parse_send(SendKind::sms, batch, InboundResponse{r.status, r.body});
    ASSERT_EQ(results.size(), 2u);
    for (const auto& result : results) {
      EXPECT_EQ(to_string(result.outcome), r.outcome) << r.status << " " << r.body;
    }
  }
}

TEST(SolapiAdapter, StatusQueryByMessageIdWhenTheSendAnswerGaveOne) {
  auto adapter = make_or_die(solapi_settings());
  StatusQuery query;
  query.dedup_key = "m1:0";
  query.to = "01012345678";
  query.provider_message_id = "M4V2018 0307/x";
  auto request = adapter->build_status_query(query, context_at());
  ASSERT_TRUE(request);
  EXPECT_EQ(request->method, "GET");
  EXPECT_EQ(request->url, std::string(kGoldenBase) + "/messages/v4/list?messageId=M4V2018%200307%2Fx");
  EXPECT_TRUE(wire::find_header(request->headers, "Authorization").has_value());
}

TEST(SolapiAdapter, StatusQueryWithoutMessageIdSearchesTheRecipient) {
  auto adapter = make_or_die(solapi_settings());
  StatusQuery query;
  query.kind = SendKind::sms;
  query.message_id = "m1";
  query.dedup_key = "m1:0";
  query.attempted_at_ms = time_from("2024-05-01T01:00:00.400Z");
  EXPECT_FALSE(adapter->build_status_query(query, context_at()).has_value());  // no recipient: nothing to ask
  query.to = "010-1234-5678";
  auto request = adapter->build_status_query(query, context_at());
  ASSERT_TRUE(request);
  EXPECT_EQ(request->method, "GET");
  EXPECT_EQ(request->url, std::string(kGoldenBase) +
                              "/messages/v4/list?limit=500&dateType=CREATED&to=01012345678&type=SMS"
                              "&startDate=2024-05-01T00%3A44%3A00Z&endDate=2024-05-01T01%3A16%3A00Z");
  EXPECT_TRUE(wire::find_header(request->headers, "Authorization").has_value());
  EXPECT_TRUE(request->body.empty());
  for (auto [kind, type] : {std::pair{SendKind::lms, "type=LMS&"}, std::pair{SendKind::alimtalk, "type=ATA&"}}) {
    query.kind = kind;
    request = adapter->build_status_query(query, context_at());
    ASSERT_TRUE(request);
    EXPECT_NE(request->url.find(type), std::string::npos) << request->url;
  }
  query.to = "+82 10-1234-5678";
  request = adapter->build_status_query(query, context_at());
  ASSERT_TRUE(request);
  EXPECT_NE(request->url.find("&to=01012345678&"), std::string::npos) << request->url;
  // Without an attempt time the window is around the context's clock.
  query.attempted_at_ms = 0;
  request = adapter->build_status_query(query, context_at(time_from("2024-05-01T01:00:00Z")));
  ASSERT_TRUE(request);
  EXPECT_NE(request->url.find("startDate=2024-05-01T00%3A44%3A00Z"), std::string::npos) << request->url;
  // Nothing of ours to recognise the message by, or a recipient that is not a number: nothing to ask.
  StatusQuery keyless = query;
  keyless.message_id.clear();
  keyless.dedup_key.clear();
  EXPECT_FALSE(adapter->build_status_query(keyless, context_at()).has_value());
  StatusQuery odd = query;
  odd.to = "not a number";
  EXPECT_FALSE(adapter->build_status_query(odd, context_at()).has_value());
}

// A list answer holding `entries` (messageId → {customFields, type, statusCode}) and the paging fields.
std::string list_answer(const std::string& entries, const std::string& paging = R"("startKey":null,"nextKey":null)") {
  return "{" + paging + R"(,"limit":500,"messageList":{)" + entries + "}}";
}

std::string entry(const std::string& id, const std::string& custom_fields, const std::string& type,
                  const std::string& code) {
  return "\"" + id + R"(":{"messageId":")" + id + R"(","to":"01012345678","type":")" + type + R"(","statusCode":")" +
         code + R"(","customFields":)" + custom_fields + "}";
}

TEST(SolapiAdapter, SearchMatchesOnlyThisAttemptNeverTheRecipientAlone) {
  auto adapter = make_or_die(solapi_settings());
  StatusQuery query;
  query.kind = SendKind::lms;
  query.message_id = "m1";
  query.dedup_key = "m1:1";
  query.to = "01012345678";
  query.attempted_at_ms = time_from("2024-05-01T01:00:00Z");
  auto answer = [&](const std::string& body) { return adapter->parse_status(query, InboundResponse{200, body}); };
  const std::string ours = R"({"jarip_message_id":"m1","jarip_dedup_key":"m1:1"})";

  struct Row {
    std::string entries;
    const char* expect;
    const char* provider_id;
  };
  const Row rows[] = {
      {"", "not_found", ""},
      // Same recipient, no customFields; another message; this message's earlier step (same kind): none is it.
      {entry("A", "{}", "LMS", "4000") + "," + entry("B", R"({"jarip_message_id":"m2","jarip_dedup_key":"m2:1"})", "LMS", "4000") +
           "," + entry("C", R"({"jarip_message_id":"m1","jarip_dedup_key":"m1:0"})", "LMS", "4000"),
       "not_found", ""},
      {entry("A", "{}", "LMS", "4000") + "," + entry("D", ours, "LMS", "2000"), "pending", "D"},
      {entry("D", ours, "LMS", "3000"), "pending", "D"},
      {entry("D", ours, "LMS", "4000"), "delivered", "D"},
      {entry("D", ours, "LMS", "3043"), "failed", "D"},
      // A resent step: delivered beats pending beats failed, whatever the order.
      {entry("D", ours, "LMS", "3043") + "," + entry("E", ours, "LMS", "2000"), "pending", "E"},
      {entry("E", ours, "LMS", "4000") + "," + entry("D", ours, "LMS", "2000") + "," + entry("F", ours, "LMS", "3043"),
       "delivered", "E"},
      // No dedup key in customFields: our message id and the kind decide.
      {entry("G", R"({"jarip_message_id":"m1"})", "SMS", "4000"), "not_found", ""},
      {entry("G", R"({"jarip_message_id":"m1"})", "SMS", "4000") + "," + entry("H", R"({"jarip_message_id":"m1"})", "LMS", "2000"),
       "pending", "H"},
      {entry("H", R"({"jarip_message_id":"m2"})", "LMS", "2000"), "not_found", ""},
  };
  for (const auto& row : rows) {
    auto r = answer(list_answer(row.entries));
    ASSERT_TRUE(r.ok()) << row.entries << ": " << r.error().message;
    EXPECT_EQ(to_string(r->answer), row.expect) << row.entries;
    EXPECT_EQ(r->provider_message_id, row.provider_id) << row.entries;
  }
  // The list as an array (send answers use one) reads the same.
  auto r = answer(R"({"nextKey":null,"messageList":[{"messageId":"D","type":"LMS","statusCode":"4000","customFields":)" + ours + "}]}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->answer, StatusAnswer::delivered);
}

TEST(SolapiAdapter, SearchWithMorePagesNeverSaysNotFound) {
  auto adapter = make_or_die(solapi_settings());
  StatusQuery query;
  query.kind = SendKind::sms;
  query.message_id = "m1";
  query.dedup_key = "m1:0";
  query.to = "01012345678";
  auto answer = [&](const std::string& body) { return adapter->parse_status(query, InboundResponse{200, body}); };
  const std::string ours = R"({"jarip_message_id":"m1","jarip_dedup_key":"m1:0"})";
  const std::string other = entry("A", R"({"jarip_message_id":"m2","jarip_dedup_key":"m2:0"})", "SMS", "4000");
  const std::string more = R"("startKey":null,"nextKey":"M4V20240501095959ZZZZZZZZZZZZZZZ")";

  for (const std::string& body :
       {list_answer(other, more),                                                     // nextKey: another page
        list_answer(other + "," + entry("D", ours, "SMS", "3043"), more),             // failed here, maybe sent again there
        list_answer(other, R"("startKey":"M4V20240501095959ZZZZZZZZZZZZZZZ")"),       // older answers: startKey only
        R"({"startKey":null,"nextKey":null,"limit":1,"messageList":{)" + other + "}}"}) {  // a full page
    auto r = answer(body);
    ASSERT_FALSE(r.ok()) << body << " answered " << to_string(r->answer);
    EXPECT_EQ(r.error().code, "provider_bad_answer");
    EXPECT_NE(r.error().message.find("too many messages"), std::string::npos) << r.error().message;
  }
  // What is found on the page stands: another page cannot make a delivered or pending message unsent.
  auto delivered = answer(list_answer(other + "," + entry("D", ours, "SMS", "4000"), more));
  ASSERT_TRUE(delivered.ok());
  EXPECT_EQ(delivered->answer, StatusAnswer::delivered);
  auto pending = answer(list_answer(entry("D", ours, "SMS", "2000"), more));
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->answer, StatusAnswer::pending);
  // The last page (nextKey null, even with a startKey echoed back) is read as complete.
  auto last = answer(list_answer(other, R"("startKey":"M4V20240501100000AAAAAAAAAAAAAAA","nextKey":null)"));
  ASSERT_TRUE(last.ok()) << last.error().message;
  EXPECT_EQ(last->answer, StatusAnswer::not_found);
  // The by-messageId lookup is unchanged: one id, no paging question.
  query.provider_message_id = "A";
  auto by_id = answer(list_answer(other, more));
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->answer, StatusAnswer::delivered);
}

}  // namespace
}  // namespace jarip::channels::testing
