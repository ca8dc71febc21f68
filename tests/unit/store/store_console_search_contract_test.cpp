// The console's message search (StoreSession::search_messages, MessageQuery), run against both
// engines (pg_test_server.hpp): each filter, their combination, the keyset cursor and the limit.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "pg_test_server.hpp"
#include "store/store.hpp"

namespace jarip::store {
namespace {

using test::Engine;

class ConsoleSearchContract : public test::StoreEngineTest {
 protected:
  struct To {
    // A constructor, not an aggregate: most rows name only a phone, and -Wextra warns about the
    // members a partial aggregate initialiser leaves out.
    To(std::string phone_ = {}, std::string email_ = {}, std::string customer_id_ = {})  // NOLINT: implicit on purpose
        : phone(std::move(phone_)), email(std::move(email_)), customer_id(std::move(customer_id_)) {}
    To(const char* phone_) : To(std::string(phone_)) {}  // NOLINT
    std::string phone;
    std::string email;
    std::string customer_id;
  };

  static MessageRecord message(const std::string& id, TimeMs created, const To& to, const std::string& template_name,
                               const std::string& state) {
    MessageRecord m;
    m.id = id;
    m.api_key_id = "k";
    m.created_ms = m.updated_ms = m.due_ms = created;
    m.state = state;
    boost::json::object recipient;  // as notify/compose.cpp writes it
    if (!to.customer_id.empty()) recipient["customer_id"] = to.customer_id;
    if (!to.phone.empty()) recipient["phone"] = to.phone;
    if (!to.email.empty()) recipient["email"] = to.email;
    m.recipient_json = boost::json::serialize(recipient);
    m.phone = to.phone;
    m.template_name = template_name;
    m.rendered_json = R"({"sms":{"text":"hello )" + id + R"(","subject":"","kind":"sms"}})";
    m.chain_json = R"(["sms@nhn"])";
    m.metadata_json = "{}";
    return m;
  }

  void add(const std::vector<MessageRecord>& messages) {
    ASSERT_TRUE(run([&](StoreSession& s) -> Status {
      for (const auto& m : messages) {
        if (auto st = s.insert_message(m); !st) return st;
      }
      return {};
    }));
  }

  std::vector<MessageRecord> search(const MessageQuery& q) {
    std::vector<MessageRecord> out;
    Status st = run([&](StoreSession& s) -> Status {
      auto r = s.search_messages(q);
      if (!r) return r.error();
      out = std::move(*r);
      return {};
    });
    EXPECT_TRUE(st.ok()) << st.error().code << ": " << st.error().message;
    return out;
  }

  std::vector<std::string> ids(const MessageQuery& q) {
    std::vector<std::string> out;
    for (auto& m : search(q)) out.push_back(m.id);
    return out;
  }

  // A jarip message id for a message accepted at `ms` (notify/compose.cpp's form).
  static std::string jarip_id(TimeMs ms, const std::string& random) {
    char head[16];
    std::snprintf(head, sizeof head, "%011llx", static_cast<unsigned long long>(ms));
    return std::string("msg_") + head + random;
  }

  using V = std::vector<std::string>;
};

INSTANTIATE_TEST_SUITE_P(Engine, ConsoleSearchContract, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         test::engine_test_name);

TEST_P(ConsoleSearchContract, EachFilterAndTheirCombination) {
  add({message("m1", 1000, {"01011112222", "amy@example.kr"}, "order_shipped", kStateDelivered),
       message("m2", 2000, {"01011112222"}, "order_shipped", kStateFailed),
       message("m3", 3000, {"01033334444", "amy@example.kr"}, "", kStateDelivered),
       message("m4", 4000, {"", "bob@example.kr"}, "welcome", kStateSent),
       message("m5", 5000, {"", "", "c-1"}, "order_shipped", kStateAccepted)});
  MessageQuery q;
  EXPECT_EQ(ids(q), (V{"m5", "m4", "m3", "m2", "m1"}));

  q = {};
  q.id = "m3";
  auto one = search(q);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].id, "m3");
  EXPECT_EQ(one[0].phone, "01033334444");
  EXPECT_EQ(one[0].recipient_json, R"({"phone":"01033334444","email":"amy@example.kr"})");
  EXPECT_NE(one[0].rendered_json.find("hello m3"), std::string::npos);  // the whole row
  q.id = "m9";
  EXPECT_TRUE(ids(q).empty());

  q = {};
  q.recipient = "01011112222";
  EXPECT_EQ(ids(q), (V{"m2", "m1"}));
  q.recipient = "amy@example.kr";
  EXPECT_EQ(ids(q), (V{"m3", "m1"}));
  q.recipient = "bob@example.kr";
  EXPECT_EQ(ids(q), V{"m4"});
  q.recipient = "01099999999";
  EXPECT_TRUE(ids(q).empty());

  q = {};
  q.template_name = "order_shipped";
  EXPECT_EQ(ids(q), (V{"m5", "m2", "m1"}));
  q.template_name = "order";
  EXPECT_TRUE(ids(q).empty());

  q = {};
  q.state = kStateDelivered;
  EXPECT_EQ(ids(q), (V{"m3", "m1"}));

  q = {};
  q.created_from_ms = 2000;  // inclusive
  q.created_to_ms = 4000;    // exclusive
  EXPECT_EQ(ids(q), (V{"m3", "m2"}));
  q.created_to_ms = 0;
  EXPECT_EQ(ids(q), (V{"m5", "m4", "m3", "m2"}));
  q.created_from_ms = 0;
  q.created_to_ms = 2000;
  EXPECT_EQ(ids(q), V{"m1"});

  // Filters combine with AND.
  q = {};
  q.recipient = "01011112222";
  q.state = kStateFailed;
  EXPECT_EQ(ids(q), V{"m2"});
  q.template_name = "welcome";
  EXPECT_TRUE(ids(q).empty());
  q = {};
  q.recipient = "amy@example.kr";
  q.template_name = "order_shipped";
  q.created_from_ms = 500;
  q.created_to_ms = 1500;
  EXPECT_EQ(ids(q), V{"m1"});
  q = {};
  q.id = "m1";
  q.state = kStateFailed;
  EXPECT_TRUE(ids(q).empty());
  q.state = kStateDelivered;
  q.recipient = "01011112222";
  EXPECT_EQ(ids(q), V{"m1"});
}

// An email address matches exactly: not a part of another address, not as a pattern, not in another
// letter case, and not the "email" entry of an ad refusal.
TEST_P(ConsoleSearchContract, EmailAddressMatchesExactly) {
  MessageRecord refused = message("e6", 6000, {"01055556666"}, "", kStateDelivered);
  refused.recipient_json = R"({"phone":"01055556666","ad_refused":{"email":{"code":"x","reason":"a@x.kr"}}})";
  add({message("e1", 1000, {"", "a@x.kr"}, "", kStateDelivered),
       message("e2", 2000, {"", "aa@x.kr"}, "", kStateDelivered),
       message("e3", 3000, {"", "a@x.kr.evil.example"}, "", kStateDelivered),
       message("e4", 4000, {"", "ab@x.kr"}, "", kStateDelivered),
       message("e5", 5000, {"01012345678", "q\"uote\\@x.kr"}, "", kStateDelivered), refused});
  MessageQuery q;
  q.recipient = "a@x.kr";
  EXPECT_EQ(ids(q), V{"e1"});
  for (const char* pattern : {"a_@x.kr", "%@x.kr", "A@x.kr", "@x.kr", "a@x.k"}) {
    q.recipient = pattern;
    EXPECT_TRUE(ids(q).empty()) << pattern;
  }
  q.recipient = "q\"uote\\@x.kr";  // stored JSON-escaped
  EXPECT_EQ(ids(q), V{"e5"});
  // Without an @ it is a phone number, matched against the phone column only.
  q.recipient = "x.kr";
  EXPECT_TRUE(ids(q).empty());
  q.recipient = "01012345678";
  EXPECT_EQ(ids(q), V{"e5"});
  q.recipient = "0101234567";
  EXPECT_TRUE(ids(q).empty());
}

TEST_P(ConsoleSearchContract, PagesNewestFirstWithTheCursorAndClampsTheLimit) {
  std::vector<MessageRecord> all;
  for (int i = 0; i < 205; ++i) {
    char id[8];
    std::snprintf(id, sizeof id, "p%03d", i);
    // Two messages per millisecond: the cursor must not lose or repeat ties.
    all.push_back(message(id, 1000 + i / 2, {"0101000" + std::to_string(1000 + i % 3)}, "t",
                          i % 5 == 0 ? kStateFailed : kStateDelivered));
  }
  add(all);
  std::vector<std::string> expected;
  for (int i = 204; i >= 0; --i) expected.push_back(all[static_cast<std::size_t>(i)].id);

  std::vector<std::string> paged;
  MessageQuery q;
  q.limit = 50;
  for (int page = 0; page < 10; ++page) {
    auto rows = search(q);
    for (auto& m : rows) paged.push_back(m.id);
    if (rows.size() < 50u) break;
    q.before_created_ms = rows.back().created_ms;
    q.before_id = rows.back().id;
  }
  EXPECT_EQ(paged, expected);

  // With a filter, the cursor pages within it.
  std::vector<std::string> failed, failed_expected;
  for (auto& id : expected) {
    if (std::stoi(id.substr(1)) % 5 == 0) failed_expected.push_back(id);
  }
  q = {};
  q.state = kStateFailed;
  q.limit = 7;
  for (int page = 0; page < 10; ++page) {
    auto rows = search(q);
    for (auto& m : rows) failed.push_back(m.id);
    if (rows.size() < 7u) break;
    q.before_created_ms = rows.back().created_ms;
    q.before_id = rows.back().id;
  }
  EXPECT_EQ(failed, failed_expected);

  // A bare time cursor: strictly older than that millisecond.
  q = {};
  q.before_created_ms = 1001;
  EXPECT_EQ(ids(q), (V{"p001", "p000"}));

  q = {};
  q.limit = 0;
  EXPECT_EQ(ids(q), V{"p204"});
  q.limit = -5;
  EXPECT_EQ(ids(q), V{"p204"});
  q.limit = 1000;
  EXPECT_EQ(search(q).size(), 200u);
  q.limit = 200;
  EXPECT_EQ(search(q).size(), 200u);
}

// Messages with jarip's ids live in the time partition of their acceptance (PostgreSQL); bounds and
// cursors find them there, and messages with other ids (the default partition) too.
TEST_P(ConsoleSearchContract, TimeBoundsFindMessagesInEveryPartition) {
  constexpr TimeMs kDay = 24LL * 3600 * 1000;
  const TimeMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const std::string old_id = jarip_id(now - 20 * kDay, "0000000000000001");
  const std::string week_id = jarip_id(now - 8 * kDay, "0000000000000002");
  const std::string day_id = jarip_id(now - kDay, "0000000000000003");
  const std::string now_id = jarip_id(now, "0000000000000004");
  const std::string next_id = jarip_id(now + 10 * kDay, "0000000000000005");
  add({message(old_id, now - 20 * kDay, {"01012345678"}, "t", kStateDelivered),
       message(week_id, now - 8 * kDay, {"01012345678"}, "t", kStateDelivered),
       message(day_id, now - kDay, {"01012345678"}, "t", kStateDelivered),
       message(now_id, now, {"01012345678"}, "t", kStateAccepted),
       message(next_id, now + 10 * kDay, {"01012345678"}, "t", kStateAccepted),
       message("legacy", now - 2 * kDay, {"01012345678"}, "t", kStateDelivered)});
  MessageQuery q;
  q.created_from_ms = now - 3 * kDay;
  q.created_to_ms = now + 1;
  EXPECT_EQ(ids(q), (V{now_id, day_id, "legacy"}));
  q.recipient = "01012345678";
  EXPECT_EQ(ids(q), (V{now_id, day_id, "legacy"}));
  q = {};
  q.created_from_ms = now - 9 * kDay;
  EXPECT_EQ(ids(q), (V{next_id, now_id, day_id, "legacy", week_id}));
  q = {};
  q.created_to_ms = now - 2 * kDay;
  EXPECT_EQ(ids(q), (V{week_id, old_id}));
  q.created_to_ms = now - 2 * kDay + 1;
  EXPECT_EQ(ids(q), (V{"legacy", week_id, old_id}));
  q = {};
  q.template_name = "t";
  q.before_created_ms = now;
  q.before_id = now_id;
  EXPECT_EQ(ids(q), (V{day_id, "legacy", week_id, old_id}));
  q = {};
  q.id = week_id;
  EXPECT_EQ(ids(q), V{week_id});
  q.created_from_ms = now - 3 * kDay;
  EXPECT_TRUE(ids(q).empty());
}

}  // namespace
}  // namespace jarip::store
