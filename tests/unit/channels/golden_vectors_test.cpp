// Runs every golden vector under tests/golden/{solapi,nhn} against the adapters: requests the adapter
// must produce byte-for-byte in meaning (same path, headers and JSON body as the provider's docs/SDK),
// and provider answers, webhooks and lookups it must read into the expected outcomes.
#include "channel_test_support.hpp"

namespace jarip::channels::testing {
namespace {

namespace json = boost::json;

std::unique_ptr<ProviderAdapter> adapter_for(const std::string& provider) {
  return make_or_die(provider == "solapi" ? solapi_settings() : nhn_settings());
}

class GoldenVectors : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenVectors, EveryFileNamesItsSource) {
  auto files = golden_files(GetParam(), "");
  ASSERT_FALSE(files.empty()) << "no golden files for " << GetParam();
  for (const auto& path : files) {
    SCOPED_TRACE(path.string());
    json::value v = load_json(path);
    ASSERT_TRUE(v.is_object());
    EXPECT_FALSE(str(v.as_object(), "source").empty());
    EXPECT_FALSE(str(v.as_object(), "description").empty());
  }
}

TEST_P(GoldenVectors, AdapterBuildsTheGoldenRequests) {
  auto adapter = adapter_for(GetParam());
  ASSERT_TRUE(adapter);
  int checked = 0;
  for (const auto& path : golden_files(GetParam(), "request-")) {
    SCOPED_TRACE(path.string());
    json::object golden = load_json(path).as_object();
    const json::object* input = wire::member_object(golden, "jarip_input");
    if (input == nullptr) {
      EXPECT_EQ(str(golden, "expect"), "reject") << "accept vectors carry jarip_input";
      continue;
    }
    ASSERT_EQ(str(golden, "expect"), "accept");
    RequestContext context = context_at(time_from(str(golden, "now")), str(*input, "nonce"));
    if (context.nonce.empty()) context.nonce = "0123456789abcdef0123456789abcdef";

    std::optional<OutboundRequest> request;
    if (const json::object* q = wire::member_object(*input, "status_query")) {
      StatusQuery query;
      query.kind = kind_from(str(*q, "kind"));
      query.provider_message_id = str(*q, "provider_message_id");
      query.message_id = str(*q, "message_id");
      query.dedup_key = str(*q, "dedup_key");
      query.to = str(*q, "to");
      query.attempted_at_ms = time_from(str(*q, "attempted_at"));
      request = adapter->build_status_query(query, context);
    } else {
      SendKind kind = kind_from(str(*input, "kind"));
      auto batch = batch_from(input->at("messages").as_array(), kind);
      auto built = adapter->build_send(kind, batch, context);
      ASSERT_TRUE(built.ok()) << built.error().code << ": " << built.error().message;
      request = built.value();
    }
    ASSERT_TRUE(request.has_value());
    EXPECT_EQ(request->method, str(golden, "method"));
    EXPECT_EQ(request->url, std::string(kGoldenBase) + str(golden, "path"));

    const json::object& headers = golden.at("headers").as_object();
    EXPECT_EQ(request->headers.size(), headers.size());
    for (const auto& kv : headers) {
      auto value = wire::find_header(request->headers, kv.key());
      ASSERT_TRUE(value.has_value()) << "missing header " << kv.key();
      EXPECT_EQ(*value, std::string(kv.value().as_string())) << "header " << kv.key();
    }
    if (golden.at("body").is_null()) {
      EXPECT_TRUE(request->body.empty());
    } else {
      json::value body = json::parse(request->body);
      EXPECT_EQ(body, golden.at("body")) << "adapter body: " << request->body;
    }
    ++checked;
  }
  EXPECT_GE(checked, 3);
}

TEST_P(GoldenVectors, AdapterReadsTheGoldenSendAnswers) {
  auto adapter = adapter_for(GetParam());
  ASSERT_TRUE(adapter);
  for (const auto& path : golden_files(GetParam(), "response-")) {
    SCOPED_TRACE(path.string());
    json::object golden = load_json(path).as_object();
    SendKind kind = kind_from(str(golden, "kind"));
    auto batch = batch_from(golden.at("batch").as_array(), kind);
    InboundResponse response{static_cast<int>(golden.at("status").to_number<int>()), raw_body(golden.at("body"))};
    auto results = adapter->parse_send(kind, batch, response);
    const json::array& expect = golden.at("expect").as_array();
    ASSERT_EQ(results.size(), expect.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
      const json::object& e = expect[i].as_object();
      EXPECT_EQ(to_string(results[i].outcome), str(e, "outcome")) << "message " << i << ": " << results[i].error_text;
      if (e.contains("provider_message_id")) {
        EXPECT_EQ(results[i].provider_message_id, str(e, "provider_message_id"));
      }
      if (e.contains("error_code")) {
        EXPECT_EQ(results[i].error_code, str(e, "error_code"));
      }
      if (results[i].outcome != SendOutcome::accepted) {
        EXPECT_FALSE(results[i].error_text.empty());
      }
    }
  }
}

TEST_P(GoldenVectors, AdapterReadsTheGoldenWebhooks) {
  auto adapter = adapter_for(GetParam());
  ASSERT_TRUE(adapter);
  for (const auto& path : golden_files(GetParam(), "webhook-")) {
    SCOPED_TRACE(path.string());
    json::object golden = load_json(path).as_object();
    InboundRequest request;
    request.method = str(golden, "method");
    request.target = str(golden, "target");
    for (const auto& kv : golden.at("headers").as_object()) {
      request.headers.push_back({std::string(kv.key()), std::string(kv.value().as_string())});
    }
    request.body = raw_body(golden.at("body"));

    Status auth = adapter->authenticate_report(request);
    if (str(golden, "expect_auth") == "unauthorized") {
      EXPECT_FALSE(auth.ok());
      continue;
    }
    ASSERT_TRUE(auth.ok()) << auth.error().message;
    auto parsed = adapter->parse_report(request);
    if (golden.contains("expect_error")) {
      ASSERT_FALSE(parsed.ok());
      EXPECT_EQ(parsed.error().code, str(golden, "expect_error"));
      continue;
    }
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    const json::array& reports = golden.at("expect_reports").as_array();
    ASSERT_EQ(parsed->reports.size(), reports.size());
    for (std::size_t i = 0; i < reports.size(); ++i) {
      const json::object& e = reports[i].as_object();
      const DeliveryReport& r = parsed->reports[i];
      EXPECT_EQ(r.provider_message_id, str(e, "provider_message_id"));
      EXPECT_EQ(r.message_id, str(e, "message_id"));
      EXPECT_EQ(r.dedup_key, str(e, "dedup_key"));
      EXPECT_EQ(to_string(r.outcome), str(e, "outcome"));
      EXPECT_EQ(r.error_code, str(e, "error_code"));
      if (e.contains("reported_at")) {
        EXPECT_EQ(r.reported_at_ms, time_from(str(e, "reported_at")));
      }
    }
    const json::array& opt_outs = golden.at("expect_opt_outs").as_array();
    ASSERT_EQ(parsed->opt_outs.size(), opt_outs.size());
    for (std::size_t i = 0; i < opt_outs.size(); ++i) {
      const json::object& e = opt_outs[i].as_object();
      EXPECT_EQ(parsed->opt_outs[i].phone, str(e, "phone"));
      EXPECT_EQ(parsed->opt_outs[i].opted_out_at, str(e, "opted_out_at"));
      // The evidence is the event as NHN sent it: it must parse and name the event.
      json::value evidence = json::parse(parsed->opt_outs[i].evidence);
      EXPECT_EQ(str(evidence.as_object(), "event"), "UNSUBSCRIBE");
    }
  }
}

TEST_P(GoldenVectors, AdapterReadsTheGoldenStatusAnswers) {
  auto adapter = adapter_for(GetParam());
  ASSERT_TRUE(adapter);
  for (const auto& path : golden_files(GetParam(), "status-")) {
    SCOPED_TRACE(path.string());
    json::object golden = load_json(path).as_object();
    const json::object& q = golden.at("query").as_object();
    StatusQuery query;
    query.kind = kind_from(str(q, "kind"));
    query.provider_message_id = str(q, "provider_message_id");
    query.dedup_key = str(q, "dedup_key");
    query.message_id = str(q, "message_id");
    query.to = str(q, "to");
    query.attempted_at_ms = time_from(str(q, "attempted_at"));
    // The lookup this answer belongs to must be one the adapter can ask.
    EXPECT_TRUE(adapter->build_status_query(query, context_at()).has_value());

    InboundResponse response{static_cast<int>(golden.at("status").to_number<int>()), raw_body(golden.at("body"))};
    auto result = adapter->parse_status(query, response);
    const json::object& e = golden.at("expect").as_object();
    if (e.contains("error")) {
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error().code, str(e, "error"));
      continue;
    }
    ASSERT_TRUE(result.ok()) << result.error().message;
    static const char* names[] = {"not_found", "pending", "delivered", "failed"};
    EXPECT_EQ(names[static_cast<int>(result->answer)], str(e, "answer"));
    if (e.contains("error_code")) {
      EXPECT_EQ(result->error_code, str(e, "error_code"));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Providers, GoldenVectors, ::testing::Values("solapi", "nhn"));

}  // namespace
}  // namespace jarip::channels::testing
