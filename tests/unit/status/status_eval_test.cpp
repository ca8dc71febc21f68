// Channel states from breakers and settings, as a table: each row is a cluster picture and the
// channel states the public page must show for it.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "status/status.hpp"

namespace jarip::status {
namespace {

namespace json = boost::json;

using Chains = std::map<std::string, std::vector<std::string>>;
using Breakers = std::map<std::string, std::string>;  // provider → breaker state on one node

store::NodeStatusRecord node(const std::string& id, const Breakers& breakers) {
  json::array providers;
  for (auto& [name, state] : breakers) {
    providers.push_back(json::object{{"provider", name}, {"channels", json::array{}}, {"breaker", state}});
  }
  store::NodeStatusRecord r;
  r.node_id = id;
  r.updated_ms = 1;
  r.status_json = json::serialize(json::object{{"providers", std::move(providers)}});
  return r;
}

struct Row {
  const char* name;
  Chains chains;
  std::vector<std::pair<std::string, Breakers>> nodes;
  std::map<std::string, ProviderSetting> settings;
  std::map<std::string, std::string> expected;  // channel → state; channels not listed must be absent
};

const Chains kTwo{{"alimtalk", {"solapi"}}, {"sms", {"nhn"}}};
const Chains kBackup{{"alimtalk", {"solapi"}}, {"sms", {"nhn", "aligo"}}};

const std::vector<Row> kRows = {
    {"all closed", kTwo, {{"a", {{"solapi", "closed"}, {"nhn", "closed"}}}}, {},
     {{"alimtalk", "operational"}, {"sms", "operational"}}},
    {"only provider open", kTwo, {{"a", {{"solapi", "open"}, {"nhn", "closed"}}}}, {},
     {{"alimtalk", "down"}, {"sms", "operational"}}},
    {"forced open counts as open", kTwo, {{"a", {{"solapi", "forced_open"}, {"nhn", "closed"}}}}, {},
     {{"alimtalk", "down"}, {"sms", "operational"}}},
    {"half open counts as open (no flapping on probes)", kTwo, {{"a", {{"solapi", "half_open"}, {"nhn", "closed"}}}},
     {}, {{"alimtalk", "down"}, {"sms", "operational"}}},
    {"open on one of two nodes: degraded", kTwo,
     {{"a", {{"solapi", "open"}, {"nhn", "closed"}}}, {"b", {{"solapi", "closed"}, {"nhn", "closed"}}}}, {},
     {{"alimtalk", "degraded"}, {"sms", "operational"}}},
    {"open on every node: down", kTwo,
     {{"a", {{"solapi", "open"}, {"nhn", "closed"}}}, {"b", {{"solapi", "half_open"}, {"nhn", "closed"}}}}, {},
     {{"alimtalk", "down"}, {"sms", "operational"}}},
    {"primary open, backup closed: degraded", kBackup, {{"a", {{"solapi", "closed"}, {"nhn", "open"}, {"aligo", "closed"}}}},
     {}, {{"alimtalk", "operational"}, {"sms", "degraded"}}},
    {"both providers open: down", kBackup, {{"a", {{"solapi", "closed"}, {"nhn", "open"}, {"aligo", "open"}}}}, {},
     {{"alimtalk", "operational"}, {"sms", "down"}}},
    {"disabled only provider: down though closed", kTwo, {{"a", {{"solapi", "closed"}, {"nhn", "closed"}}}},
     {{"solapi", {false, false}}}, {{"alimtalk", "down"}, {"sms", "operational"}}},
    {"disabled backup does not degrade", kBackup, {{"a", {{"solapi", "closed"}, {"nhn", "closed"}, {"aligo", "closed"}}}},
     {{"aligo", {false, false}}}, {{"alimtalk", "operational"}, {"sms", "operational"}}},
    {"drained primary with working backup: operational", kBackup,
     {{"a", {{"solapi", "closed"}, {"nhn", "forced_open"}, {"aligo", "closed"}}}}, {{"nhn", {true, true}}},
     {{"alimtalk", "operational"}, {"sms", "operational"}}},
    {"drained only provider: down", kTwo, {{"a", {{"solapi", "closed"}, {"nhn", "closed"}}}}, {{"nhn", {true, true}}},
     {{"alimtalk", "operational"}, {"sms", "down"}}},
    {"disabled primary, backup open: down", kBackup, {{"a", {{"solapi", "closed"}, {"nhn", "closed"}, {"aligo", "open"}}}},
     {{"nhn", {false, false}}}, {{"alimtalk", "operational"}, {"sms", "down"}}},
    {"provider no node reports: unknown, not down", kTwo, {{"a", {{"nhn", "closed"}}}}, {},
     {{"alimtalk", "operational"}, {"sms", "operational"}}},
    {"no fresh node at all", kTwo, {}, {}, {{"alimtalk", "operational"}, {"sms", "operational"}}},
    {"empty chain is not shown", Chains{{"alimtalk", {"solapi"}}, {"email", {}}}, {{"a", {{"solapi", "closed"}}}}, {},
     {{"alimtalk", "operational"}}},
};

TEST(StatusEvaluation, Table) {
  for (const Row& row : kRows) {
    EvaluationInput in;
    in.chains = row.chains;
    for (auto& [id, breakers] : row.nodes) in.nodes.push_back(node(id, breakers));
    in.provider_settings = row.settings;
    auto channels = evaluate_channels(in);
    std::map<std::string, std::string> got;
    for (auto& c : channels) got[c.channel] = c.state;
    EXPECT_EQ(got, row.expected) << row.name;
  }
}

TEST(StatusEvaluation, ProviderHealthDetails) {
  EvaluationInput in;
  in.chains = kBackup;
  in.nodes = {node("a", {{"nhn", "open"}, {"aligo", "closed"}}), node("b", {{"nhn", "closed"}, {"aligo", "closed"}})};
  in.provider_settings["aligo"] = {false, false};
  auto channels = evaluate_channels(in);
  ASSERT_EQ(channels.size(), 2u);
  auto& sms = channels[1];
  ASSERT_EQ(sms.channel, "sms");
  ASSERT_EQ(sms.providers.size(), 2u);
  EXPECT_EQ(sms.providers[0].provider, "nhn");
  EXPECT_EQ(sms.providers[0].state, "impaired");
  EXPECT_EQ(sms.providers[0].nodes, 2);
  EXPECT_EQ(sms.providers[0].not_closed_on, std::vector<std::string>{"a"});
  EXPECT_EQ(sms.providers[1].state, "disabled");
  EXPECT_EQ(channels[0].providers[0].state, "unknown");
}

TEST(StatusEvaluation, BrokenRowsAndDuplicatesSayNothing) {
  EvaluationInput in;
  in.chains = kTwo;
  store::NodeStatusRecord broken;
  broken.node_id = "x";
  broken.status_json = "{not json";
  store::NodeStatusRecord odd;
  odd.node_id = "y";
  odd.status_json = R"({"providers":[{"provider":"solapi","breaker":"open"},{"provider":"solapi","breaker":"closed"},7,{"provider":1}]})";
  in.nodes = {broken, odd, node("z", {{"solapi", "closed"}})};
  auto channels = evaluate_channels(in);
  // y counts once (its first entry: open), z closed: impaired on one node of two.
  EXPECT_EQ(channels[0].state, "degraded");
  EXPECT_EQ(channels[0].providers[0].nodes, 2);
}

TEST(StatusEvaluation, DisplayOrder) {
  EvaluationInput in;
  in.chains = {{"zeta", {"p"}}, {"inbox", {"inbox"}}, {"push", {"wp"}}, {"email", {"smtp"}}, {"sms", {"nhn"}},
               {"alimtalk", {"solapi"}}, {"beta", {"p"}}};
  std::vector<std::string> order;
  for (auto& c : evaluate_channels(in)) order.push_back(c.channel);
  EXPECT_EQ(order, (std::vector<std::string>{"alimtalk", "sms", "email", "push", "inbox", "beta", "zeta"}));
}

TEST(StatusEvaluation, AppliesConsoleSettings) {
  std::vector<store::SettingRecord> settings = {
      {"chain.sms", R"(["aligo","nhn"])", 1, "op"},
      {"chain.email", R"(["smtp"])", 1, "op"},
      {"chain.push", R"("not a list")", 1, "op"},
      {"chain.alimtalk", R"(["ok", 3])", 1, "op"},
      {"provider.nhn", R"({"enabled":false,"drained":false,"reason":"contract ended"})", 1, "op"},
      {"provider.aligo", R"({"drained":true})", 1, "op"},
      {"provider.bad", R"([1])", 1, "op"},
  };
  auto applied = apply_settings(kTwo, settings);
  EXPECT_EQ(applied.chains.at("sms"), (std::vector<std::string>{"aligo", "nhn"}));
  EXPECT_EQ(applied.chains.at("email"), std::vector<std::string>{"smtp"});
  EXPECT_EQ(applied.chains.at("alimtalk"), std::vector<std::string>{"solapi"});  // invalid override ignored
  EXPECT_EQ(applied.chains.count("push"), 0u);
  EXPECT_FALSE(applied.provider_settings.at("nhn").enabled);
  EXPECT_TRUE(applied.provider_settings.at("aligo").enabled);
  EXPECT_TRUE(applied.provider_settings.at("aligo").drained);
  EXPECT_EQ(applied.ignored, (std::vector<std::string>{"chain.push", "chain.alimtalk", "provider.bad"}));
}

std::vector<ChannelState> states(std::initializer_list<std::pair<const char*, const char*>> list) {
  std::vector<ChannelState> out;
  for (auto& [c, s] : list) out.push_back(ChannelState{c, s, {}});
  return out;
}

TEST(StatusEvaluation, FallbackIsTheNextChannelStillDelivering) {
  auto channels = states({{"alimtalk", "down"}, {"sms", "operational"}, {"email", "operational"}});
  EXPECT_EQ(fallback_channel(channels, "alimtalk"), "sms");
  EXPECT_EQ(fallback_channel(channels, "sms"), "email");
  EXPECT_EQ(fallback_channel(channels, "email"), "");
  channels = states({{"email", "degraded"}, {"sms", "down"}, {"alimtalk", "down"}, {"inbox", "operational"}});
  EXPECT_EQ(fallback_channel(channels, "alimtalk"), "email");  // degraded still delivers; order, not input order
  EXPECT_EQ(fallback_channel(channels, "inbox"), "");
}

TEST(StatusEvaluation, OverallState) {
  std::vector<store::StatusNoticeRecord> none;
  EXPECT_EQ(overall_state(states({{"alimtalk", "operational"}, {"sms", "operational"}}), none), "operational");
  EXPECT_EQ(overall_state(states({{"alimtalk", "down"}, {"sms", "operational"}}), none), "degraded");
  EXPECT_EQ(overall_state(states({{"alimtalk", "down"}, {"sms", "down"}}), none), "down");
  EXPECT_EQ(overall_state({}, none), "operational");
  store::StatusNoticeRecord manual;
  manual.severity = "outage";
  EXPECT_EQ(overall_state(states({{"sms", "operational"}}), {manual}), "degraded");
  manual.resolved_ms = 5;
  EXPECT_EQ(overall_state(states({{"sms", "operational"}}), {manual}), "operational");
  manual.resolved_ms = 0;
  manual.severity = "info";
  EXPECT_EQ(overall_state(states({{"sms", "operational"}}), {manual}), "operational");
}

TEST(StatusEvaluation, Names) {
  EXPECT_EQ(channel_name("alimtalk").ko, "카카오톡 알림톡");
  EXPECT_EQ(channel_name("alimtalk").en, "KakaoTalk");
  EXPECT_EQ(channel_name("sms").ko, "문자");
  EXPECT_EQ(channel_name("email").en, "Email");
  EXPECT_EQ(channel_name("push").ko, "앱 푸시");
  EXPECT_EQ(channel_name("inbox").ko, "알림함");
  EXPECT_EQ(channel_name("fax").ko, "fax");
  EXPECT_EQ(state_label("down").ko, "중단");
  EXPECT_EQ(severity_label("outage").en, "Outage");
}

}  // namespace
}  // namespace jarip::status
