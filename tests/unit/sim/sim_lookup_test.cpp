// The status-query endpoints as a caller settles an attempt with them: pending until the result's due
// time, then delivered or failed with the provider's code; blackholed stays pending; unknown is not found.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "sim/simulator.hpp"
#include "sim_test_util.hpp"

namespace jarip::sim {
namespace {

namespace json = boost::json;

json::value parse(const Handled& h) {
  EXPECT_EQ(h.how, Disposition::respond);
  EXPECT_EQ(h.out.status, 200) << h.out.body;
  return json::parse(h.out.body);
}

std::string text(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_null()) return "null";
  return json::serialize(v);
}

class Lookup : public ::testing::Test {
 protected:
  FakeClock clock{test::kT0};  // 10:00:00 KST
  SimConfig cfg = default_config();
  Simulator sim{cfg, clock, 3};

  void fault(const std::string& mode) {
    ASSERT_TRUE(sim.context().faults.set_from_json(R"({"mode":")" + mode + "\"}", clock.now_ms()));
  }
  const MessageRecord& last() const { return sim.context().store.messages().back(); }

  // Solapi: one SMS; answers the messageId.
  std::string solapi_send(const std::string& jarip_id) {
    sim.handle(Endpoint::solapi,
               test::solapi_send(cfg, clock.now_ms(),
                                 R"({"messages":[{"to":"01012345678","from":"0212345678","text":"hi","customFields":{"jarip_message_id":")" +
                                     jarip_id + R"(","jarip_dedup_key":")" + jarip_id + R"(.0"}}]})"));
    return last().provider_message_id;
  }
  json::value solapi_list(const std::string& query) {
    return parse(sim.handle(Endpoint::solapi, test::solapi_get(cfg, clock.now_ms(), "/messages/v4/list?" + query)));
  }
  // statusCode of `id` in the list answer, or "absent".
  std::string solapi_code(const std::string& id) {
    auto v = solapi_list("messageId=" + id);
    const auto& list = v.at("messageList").as_object();
    return list.contains(id) ? text(list.at(id).at("statusCode")) : "absent";
  }

  // NHN: one recipient with recipientGroupingKey `key` under senderGroupingKey "batch-7"; answers requestId.
  std::string alimtalk_send(const std::string& key) {
    sim.handle(Endpoint::nhn_alimtalk,
               test::nhn_post(cfg, test::nhn_alimtalk_path(cfg),
                              R"({"senderKey":")" + cfg.nhn.sender_key + R"(","templateCode":")" + cfg.nhn.templates[0].id +
                                  R"(","senderGroupingKey":"batch-7","recipientList":[{"recipientNo":"01012345678","templateParameter":{"name":"a","order":"1"},"recipientGroupingKey":")" +
                                  key + "\"}]}"));
    return last().provider_message_id;
  }
  std::string sms_send(const std::string& key, bool lms = false) {
    sim.handle(Endpoint::nhn_sms, test::nhn_post(cfg, test::nhn_sms_path(cfg, lms),
                                                 std::string(R"({"senderGroupingKey":"batch-7",)") +
                                                     (lms ? R"("title":"t",)" : "") +
                                                     R"("body":"hi","sendNo":"0212345678","recipientList":[{"recipientNo":"01012345678","recipientGroupingKey":")" +
                                                     key + "\"}]}"));
    return last().provider_message_id;
  }
  json::value alimtalk_get(const std::string& tail) {
    return parse(sim.handle(Endpoint::nhn_alimtalk, test::nhn_get(cfg, test::nhn_alimtalk_path(cfg) + tail)));
  }
  json::value sms_get(const std::string& tail, bool lms = false) {
    return parse(sim.handle(Endpoint::nhn_sms, test::nhn_get(cfg, test::nhn_sms_path(cfg, lms) + tail)));
  }
  // "messageStatus/resultCode" of one AlimTalk message, or the header's resultCode when refused.
  std::string alimtalk_state(const std::string& request_id) {
    auto v = alimtalk_get("/" + request_id + "/1");
    if (!v.at("header").at("isSuccessful").as_bool()) return text(v.at("header").at("resultCode"));
    return text(v.at("message").at("messageStatus")) + "/" + text(v.at("message").at("resultCode"));
  }
  std::string sms_state(const std::string& request_id, bool lms = false) {
    auto v = sms_get("/" + request_id + "?recipientSeq=1", lms);
    if (!v.at("header").at("isSuccessful").as_bool()) return text(v.at("header").at("resultCode"));
    return text(v.at("body").at("data").at("msgStatus")) + "/" + text(v.at("body").at("data").at("resultCode"));
  }
  // recipientGroupingKeys an NHN list answer holds.
  static std::vector<std::string> keys(const json::value& v) {
    const json::array& rows = v.as_object().contains("messageSearchResultResponse")
                                  ? v.at("messageSearchResultResponse").at("messages").as_array()
                                  : v.at("body").at("data").as_array();
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(text(r.at("recipientGroupingKey")));
    return out;
  }
  void settle() { clock.advance_ms(cfg.report_delay_ms); }
};

TEST_F(Lookup, SolapiListByMessageIdShowsEachState) {
  const std::string ok = solapi_send("ok");
  fault("accept_then_fail");
  const std::string fail = solapi_send("fail");
  fault("blackhole");
  const std::string hole = solapi_send("hole");
  sim.context().faults.reset();
  for (const auto& id : {ok, fail, hole}) EXPECT_EQ(solapi_code(id), "2000") << id;  // received, no report yet
  EXPECT_EQ(text(solapi_list("messageId=" + ok).at("messageList").at(ok).at("status")), "PENDING");
  settle();
  EXPECT_EQ(solapi_code(ok), "4000");
  EXPECT_EQ(solapi_code(fail), "3012");
  EXPECT_EQ(text(solapi_list("messageId=" + fail).at("messageList").at(fail).at("reason")), "연동처 서버 오류");
  clock.advance_ms(3'600'000);
  EXPECT_EQ(solapi_code(hole), "2000");  // blackholed: pending forever
  EXPECT_EQ(solapi_code("M4V20240501100000UNKNOWNUNKNOWN"), "absent");
  EXPECT_TRUE(solapi_list("messageId=M4V20240501100000UNKNOWNUNKNOWN").at("messageList").as_object().empty());
  auto both = solapi_list("messageId=" + ok + "&messageId=" + fail).at("messageList").as_object();
  EXPECT_EQ(both.size(), 2u);
}

// Solapi messages to one number, of one type, each with jarip's ids; answers the messageIds in order.
std::vector<std::string> solapi_to(Simulator& sim, const SimConfig& cfg, std::int64_t now, const std::string& to,
                                   const std::string& type, const std::vector<std::string>& jarip_ids) {
  std::string body = R"({"allowDuplicates":true,"messages":[)";
  for (std::size_t i = 0; i < jarip_ids.size(); ++i) {
    if (i > 0) body += ",";
    body += R"({"to":")" + to + R"(","from":"0212345678","type":")" + type + R"(","text":"hi","customFields":{"jarip_message_id":")" +
            jarip_ids[i] + R"(","jarip_dedup_key":")" + jarip_ids[i] + R"(.0"}})";
  }
  body += "]}";
  EXPECT_EQ(sim.handle(Endpoint::solapi, test::solapi_send(cfg, now, body)).out.status, 200);
  std::vector<std::string> out;
  const auto& all = sim.context().store.messages();
  for (std::size_t i = all.size() - jarip_ids.size(); i < all.size(); ++i) out.push_back(all[i].provider_message_id);
  return out;
}

std::vector<std::string> listed_ids(const json::value& v) {
  std::vector<std::string> out;
  for (const auto& kv : v.at("messageList").as_object()) out.emplace_back(kv.key());
  return out;
}

TEST_F(Lookup, SolapiListSearchesByRecipientTypeAndDateRange) {
  const auto early = solapi_to(sim, cfg, clock.now_ms(), "01012345678", "SMS", {"early"});
  clock.advance_ms(10 * 60 * 1000);  // 01:10:00Z
  const auto sms = solapi_to(sim, cfg, clock.now_ms(), "010-1234-5678", "SMS", {"s1", "s2"});
  const auto lms = solapi_to(sim, cfg, clock.now_ms(), "01012345678", "LMS", {"l1"});
  solapi_to(sim, cfg, clock.now_ms(), "01099998888", "SMS", {"elsewhere"});
  const std::string window = "&startDate=2024-05-01T01%3A05%3A00Z&endDate=2024-05-01T10%3A20%3A00%2B09%3A00";

  auto v = solapi_list("to=01012345678&type=SMS&dateType=CREATED" + window);
  EXPECT_EQ(listed_ids(v), (std::vector<std::string>{sms[1], sms[0]}));  // newest first
  EXPECT_EQ(text(v.at("nextKey")), "null");
  EXPECT_EQ(text(v.at("startKey")), "null");
  // Each listed message carries the customFields it was sent with, as Solapi stores them.
  const auto& first = v.at("messageList").at(sms[0]);
  EXPECT_EQ(text(first.at("customFields").at("jarip_dedup_key")), "s1.0");
  EXPECT_EQ(text(first.at("customFields").at("jarip_message_id")), "s1");
  EXPECT_EQ(text(first.at("to")), "01012345678");
  EXPECT_EQ(text(first.at("type")), "SMS");
  EXPECT_EQ(text(first.at("statusCode")), "2000");

  EXPECT_EQ(listed_ids(solapi_list("to=010-1234-5678&type=LMS" + window)), (std::vector<std::string>{lms[0]}));
  EXPECT_EQ(listed_ids(solapi_list("to=01012345678&type=SMS&startDate=2024-05-01T00%3A59%3A00Z&endDate=2024-05-01T01%3A01%3A00Z")),
            (std::vector<std::string>{early[0]}));
  EXPECT_EQ(listed_ids(solapi_list("to=01012345678&type=SMS&startDate=2024-05-01%2010%3A05%3A00")).size(), 2u);  // KST wall clock
  EXPECT_EQ(listed_ids(solapi_list("to=01012345678&endDate=2024-05-01T01%3A00%3A00Z")),
            (std::vector<std::string>{early[0]}));  // an end date covers its whole second
  EXPECT_TRUE(listed_ids(solapi_list("to=01011112222&type=SMS" + window)).empty());
  EXPECT_TRUE(listed_ids(solapi_list("to=01012345678&type=ATA" + window)).empty());
  // dateType UPDATED: the final result moves dateUpdated, not dateCreated.
  clock.advance_ms(60 * 60 * 1000);  // 02:10:00Z; every result is final by now
  EXPECT_TRUE(listed_ids(solapi_list("to=01012345678&dateType=UPDATED&startDate=2024-05-01T02%3A00%3A00Z")).empty());
  EXPECT_EQ(listed_ids(solapi_list("to=01012345678&dateType=UPDATED&endDate=2024-05-01T01%3A00%3A01Z")),
            (std::vector<std::string>{early[0]}));
  EXPECT_EQ(listed_ids(solapi_list("criteria=to,type&cond=eq,eq&value=01012345678,LMS")), (std::vector<std::string>{lms[0]}));
}

TEST_F(Lookup, SolapiListPagesWithStartKeyAndNextKey) {
  const auto ids = solapi_to(sim, cfg, clock.now_ms(), "01012345678", "SMS", {"p0", "p1", "p2", "p3", "p4"});
  std::vector<std::string> seen;
  std::string start_key;
  int pages = 0;
  while (pages < 10) {
    auto v = solapi_list("to=01012345678&type=SMS&limit=2" + (start_key.empty() ? "" : "&startKey=" + start_key));
    ++pages;
    EXPECT_EQ(text(v.at("limit")), "2");
    EXPECT_EQ(text(v.at("startKey")), start_key.empty() ? "null" : start_key);
    for (auto& id : listed_ids(v)) seen.push_back(id);
    if (v.at("nextKey").is_null()) break;
    start_key = text(v.at("nextKey"));
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{ids[4], ids[3], ids[2], ids[1], ids[0]}));
  auto v = solapi_list("to=01012345678&limit=5");
  EXPECT_EQ(listed_ids(v).size(), 5u);
  EXPECT_TRUE(v.at("nextKey").is_null());
  EXPECT_TRUE(listed_ids(solapi_list("to=01012345678&startKey=M4V20240501100000UNKNOWNUNKNOWN")).empty());
}

TEST_F(Lookup, SolapiListRefusesBadParametersAsSolapiDoes) {
  for (const char* query :
       {"startDate=yesterday", "endDate=2024-13-01T00%3A00%3A00Z", "startDate=", "startDate=2024-05-01T10%3A00%3A00+09%3A00",
        "dateType=SENT&startDate=2024-05-01T00%3A00%3A00Z", "dateType=CREATED", "type=sms", "type=KAKAO", "limit=0",
        "limit=501", "limit=20x"}) {
    Handled h = sim.handle(Endpoint::solapi, test::solapi_get(cfg, clock.now_ms(), std::string("/messages/v4/list?") + query));
    EXPECT_EQ(h.out.status, 400) << query << ": " << h.out.body;
    auto v = json::parse(h.out.body);
    EXPECT_EQ(text(v.at("errorCode")), "ValidationError") << query;
    EXPECT_FALSE(text(v.at("errorMessage")).empty()) << query;
  }
}

TEST_F(Lookup, AResultIsVisibleAtItsDueTimeEvenBeforeTheWebhookTakesIt) {
  // The webhook client takes results only while it has POSTs to spare; a failing receiver must not
  // freeze the lookups a caller falls back on exactly then.
  const std::string id = solapi_send("ok");
  const std::string rid = sms_send("k1.0");
  settle();
  EXPECT_EQ(solapi_code(id), "4000");
  EXPECT_EQ(sms_state(rid), "3/1000");
  EXPECT_EQ(sim.take_due(Stream::solapi, 10).size(), 1u);  // still reported, once
  EXPECT_EQ(sim.take_due(Stream::solapi, 10).size(), 0u);
  EXPECT_EQ(sim.take_due(Stream::nhn_sms, 10).size(), 1u);
}

TEST_F(Lookup, NhnAlimtalkSingleMessageShowsEachState) {
  const std::string ok = alimtalk_send("ok.0");
  fault("accept_then_fail");
  const std::string fail = alimtalk_send("fail.0");
  fault("blackhole");
  const std::string hole = alimtalk_send("hole.0");
  sim.context().faults.reset();
  for (const auto& id : {ok, fail, hole}) EXPECT_EQ(alimtalk_state(id), "INPROGRESS/null") << id;
  settle();
  EXPECT_EQ(alimtalk_state(ok), "COMPLETED/1000");
  EXPECT_EQ(alimtalk_state(fail), "FAILED/3012");
  clock.advance_ms(3'600'000);
  EXPECT_EQ(alimtalk_state(hole), "INPROGRESS/null");
  EXPECT_EQ(alimtalk_state("20240501100000UnknownId00"), "-1016");
  EXPECT_EQ(text(alimtalk_get("/" + ok + "/2").at("header").at("resultCode")), "-1016");  // wrong recipientSeq
}

TEST_F(Lookup, NhnAlimtalkSearchByGroupingKeysWithinADateWindow) {
  alimtalk_send("a.0");
  clock.advance_ms(90'000);  // 10:01:30 KST
  alimtalk_send("b.0");
  const std::string window = "?startCreateDate=2024-05-01%2009:50&endCreateDate=2024-05-01%2011:00";
  EXPECT_EQ(keys(alimtalk_get(window + "&recipientGroupingKey=b.0")), std::vector<std::string>{"b.0"});
  EXPECT_EQ(keys(alimtalk_get(window + "&senderGroupingKey=batch-7")), (std::vector<std::string>{"a.0", "b.0"}));
  EXPECT_TRUE(keys(alimtalk_get(window + "&recipientGroupingKey=zzz.0")).empty());
  EXPECT_TRUE(keys(alimtalk_get(window + "&senderGroupingKey=other")).empty());
  // The request-date pair searches the same time; an end of 10:01 covers the whole minute.
  EXPECT_EQ(keys(alimtalk_get("?startRequestDate=2024-05-01%2010:01&endRequestDate=2024-05-01%2010:01")),
            std::vector<std::string>{"b.0"});
  EXPECT_EQ(keys(alimtalk_get("?startRequestDate=2024-05-01%2010:00&endRequestDate=2024-05-01%2010:00")),
            std::vector<std::string>{"a.0"});
  // With seconds, an end covers only its second.
  EXPECT_TRUE(keys(alimtalk_get("?startRequestDate=2024-05-01%2010:01:00&endRequestDate=2024-05-01%2010:01:29")).empty());
  auto missing = alimtalk_get("?recipientGroupingKey=a.0");  // no requestId and no window
  EXPECT_FALSE(missing.at("header").at("isSuccessful").as_bool());
  settle();
  auto row = alimtalk_get(window + "&recipientGroupingKey=a.0").at("messageSearchResultResponse").at("messages").at(0);
  EXPECT_EQ(text(row.at("messageStatus")), "COMPLETED");
  EXPECT_EQ(text(row.at("resultCode")), "1000");
  EXPECT_EQ(text(row.at("senderGroupingKey")), "batch-7");
}

TEST_F(Lookup, NhnSmsSingleMessageShowsEachState) {
  const std::string ok = sms_send("ok.0");
  const std::string lms = sms_send("lms.0", true);
  fault("accept_then_fail");
  const std::string fail = sms_send("fail.0");
  fault("blackhole");
  const std::string hole = sms_send("hole.0");
  sim.context().faults.reset();
  for (const auto& id : {ok, fail, hole}) EXPECT_EQ(sms_state(id), "2/null") << id;
  EXPECT_EQ(sms_state(lms, true), "2/null");
  settle();
  EXPECT_EQ(sms_state(ok), "3/1000");
  EXPECT_EQ(sms_state(lms, true), "3/1000");
  EXPECT_EQ(sms_state(lms), "-2008");  // an LMS is found under /sender/mms only
  EXPECT_EQ(sms_state(fail), "0/3011");
  clock.advance_ms(3'600'000);
  EXPECT_EQ(sms_state(hole), "2/null");
  EXPECT_EQ(sms_state("20240501100000UnknownId00"), "-2008");
}

TEST_F(Lookup, NhnSmsSearchByGroupingKeysWithinADateWindow) {
  sms_send("a.0");
  sms_send("l.0", true);
  clock.advance_ms(90'000);  // 10:01:30 KST
  sms_send("b.0");
  const std::string window = "?startCreateDate=2024-05-01%2009:50:00&endCreateDate=2024-05-01%2011:00:00";
  EXPECT_EQ(keys(sms_get(window + "&recipientGroupingKey=b.0")), std::vector<std::string>{"b.0"});
  EXPECT_EQ(keys(sms_get(window + "&senderGroupingKey=batch-7")), (std::vector<std::string>{"a.0", "b.0"}));
  EXPECT_EQ(keys(sms_get(window + "&senderGroupingKey=batch-7", true)), std::vector<std::string>{"l.0"});
  EXPECT_TRUE(keys(sms_get(window + "&recipientGroupingKey=zzz.0")).empty());
  // Seconds: 10:01:30 is inside an end of 10:01:30 and outside an end of 10:01:29.
  EXPECT_EQ(keys(sms_get("?startRequestDate=2024-05-01%2010:01:00&endRequestDate=2024-05-01%2010:01:30")),
            std::vector<std::string>{"b.0"});
  EXPECT_TRUE(keys(sms_get("?startRequestDate=2024-05-01%2010:01:00&endRequestDate=2024-05-01%2010:01:29")).empty());
  // Minutes: an end of 10:01 covers 10:01:30.
  EXPECT_EQ(keys(sms_get("?startRequestDate=2024-05-01%2010:01&endRequestDate=2024-05-01%2010:01")),
            std::vector<std::string>{"b.0"});
  auto missing = sms_get("?recipientGroupingKey=a.0");
  EXPECT_EQ(text(missing.at("header").at("resultCode")), "-2011");
  settle();
  auto row = sms_get(window + "&recipientGroupingKey=a.0").at("body").at("data").at(0);
  EXPECT_EQ(text(row.at("msgStatus")), "3");
  EXPECT_EQ(text(row.at("resultCode")), "1000");
}

}  // namespace
}  // namespace jarip::sim
