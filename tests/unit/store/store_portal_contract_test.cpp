// The portal's part of the StoreSession contract (migration 5: inbox lists and read marks, short
// links, erasure), run against both engines (pg_test_server.hpp).
#include <gtest/gtest.h>

#include "pg_test_server.hpp"
#include "store/store.hpp"

namespace jarip::store {
namespace {

using test::Engine;

class PortalContract : public test::StoreEngineTest {
 protected:
  // A message to `customer` (linked as the API links it), created at `created`.
  Status add(const std::string& id, const std::string& customer, TimeMs created, const std::string& state = kStateDelivered,
             bool purged = false) {
    MessageRecord m;
    m.id = id;
    m.api_key_id = "k";
    m.created_ms = m.updated_ms = m.due_ms = created;
    m.state = state;
    m.recipient_json = R"({"customer_id":")" + customer + R"("})";
    m.rendered_json = R"({"sms":{"text":"hello )" + id + R"(","subject":"","kind":"sms"}})";
    m.chain_json = R"(["sms@nhn"])";
    m.metadata_json = "{}";
    m.body_purged = purged;
    return run([&](StoreSession& s) -> Status {
      if (auto st = s.insert_message(m); !st) return st;
      return s.link_message_customer(id, customer);
    });
  }

  std::vector<InboxItem> list(const std::string& customer, TimeMs before = 0, const std::string& before_id = "",
                              int limit = 100) {
    std::vector<InboxItem> out;
    EXPECT_TRUE(run([&](StoreSession& s) -> Status {
      auto r = s.list_customer_messages(customer, before, before_id, limit);
      if (!r) return r.error();
      out = std::move(*r);
      return {};
    }));
    return out;
  }

  std::int64_t unread(const std::string& customer) {
    std::int64_t n = -1;
    EXPECT_TRUE(run([&](StoreSession& s) -> Status {
      auto r = s.count_unread(customer);
      if (!r) return r.error();
      n = *r;
      return {};
    }));
    return n;
  }

  static std::vector<std::string> ids(const std::vector<InboxItem>& items) {
    std::vector<std::string> out;
    for (auto& i : items) out.push_back(i.message.id);
    return out;
  }
};

INSTANTIATE_TEST_SUITE_P(Engine, PortalContract, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         test::engine_test_name);

TEST_P(PortalContract, ListsTheCustomersShownMessagesNewestFirst) {
  ASSERT_TRUE(add("m1", "c-1", 1000));
  ASSERT_TRUE(add("m2", "c-1", 3000));
  ASSERT_TRUE(add("m3", "c-1", 2000));
  ASSERT_TRUE(add("other", "c-2", 2500));
  ASSERT_TRUE(add("canceled", "c-1", 2600, kStateCanceled));
  ASSERT_TRUE(add("purged", "c-1", 2700, kStateDelivered, true));
  ASSERT_TRUE(add("scheduled", "c-1", 2800, kStateAccepted));  // step 0, no attempt yet: not shown
  ASSERT_TRUE(add("held", "c-1", 2900, kStateHeld));
  ASSERT_TRUE(add("sending", "c-1", 1500, kStateSending));
  auto items = list("c-1");
  EXPECT_EQ(ids(items), (std::vector<std::string>{"m2", "m3", "sending", "m1"}));
  ASSERT_FALSE(items.empty());
  EXPECT_EQ(items[0].read_ms, 0);
  EXPECT_NE(items[0].message.rendered_json.find("hello m2"), std::string::npos);  // the whole row
  EXPECT_EQ(unread("c-1"), 4);
  EXPECT_TRUE(list("nobody").empty());
}

TEST_P(PortalContract, RetriedMessageWaitingForItsNextTryIsShown) {
  MessageRecord m;
  ASSERT_TRUE(add("retry", "c-1", 1000, kStateAccepted));
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    auto got = s.get_message("retry");
    if (!got) return got.error();
    m = **got;
    m.step_attempts = 1;
    return s.update_message(m);
  }));
  EXPECT_EQ(ids(list("c-1")), std::vector<std::string>{"retry"});
}

TEST_P(PortalContract, PagesByCreationTimeThenIdWithoutLosingTies) {
  ASSERT_TRUE(add("a", "c-1", 1000));
  ASSERT_TRUE(add("b", "c-1", 2000));
  ASSERT_TRUE(add("c", "c-1", 2000));  // same millisecond as b
  ASSERT_TRUE(add("d", "c-1", 3000));
  auto first = list("c-1", 0, "", 2);
  ASSERT_EQ(ids(first), (std::vector<std::string>{"d", "c"}));
  auto second = list("c-1", first.back().message.created_ms, first.back().message.id, 2);
  EXPECT_EQ(ids(second), (std::vector<std::string>{"b", "a"}));
  // A bare time cursor: strictly older than that millisecond.
  EXPECT_EQ(ids(list("c-1", 2000, "", 10)), std::vector<std::string>{"a"});
}

TEST_P(PortalContract, MarkReadOnlyTouchesTheCustomersMessagesAndKeepsTheFirstTime) {
  ASSERT_TRUE(add("m1", "c-1", 1000));
  ASSERT_TRUE(add("m2", "c-1", 2000));
  ASSERT_TRUE(add("theirs", "c-2", 1500));
  std::int64_t marked = -1;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    auto r = s.mark_read("c-1", {"m1", "theirs", "unknown"}, 5000);
    if (!r) return r.error();
    marked = *r;
    return {};
  }));
  EXPECT_EQ(marked, 1);
  EXPECT_EQ(unread("c-1"), 1);
  EXPECT_EQ(unread("c-2"), 1);
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    auto r = s.mark_read("c-1", {"m1"}, 9000);
    if (!r) return r.error();
    marked = *r;
    return {};
  }));
  EXPECT_EQ(marked, 0);
  auto items = list("c-1");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].message.id, "m2");
  EXPECT_EQ(items[0].read_ms, 0);
  EXPECT_EQ(items[1].read_ms, 5000);  // not 9000
}

TEST_P(PortalContract, MarkAllReadMarksOnlyShownMessages) {
  ASSERT_TRUE(add("m1", "c-1", 1000));
  ASSERT_TRUE(add("m2", "c-1", 2000));
  ASSERT_TRUE(add("scheduled", "c-1", 3000, kStateAccepted));
  ASSERT_TRUE(add("theirs", "c-2", 1500));
  std::int64_t marked = -1;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    auto r = s.mark_all_read("c-1", 7000);
    if (!r) return r.error();
    marked = *r;
    return {};
  }));
  EXPECT_EQ(marked, 2);
  EXPECT_EQ(unread("c-1"), 0);
  EXPECT_EQ(unread("c-2"), 1);
}

TEST_P(PortalContract, ShortLinksCountClicksAtomically) {
  ShortLinkRecord link{"Ab3dE5g", "m1", "https://shop.example.kr/orders/A-1001?x=1&y=2", 100, 0, 0};
  ASSERT_TRUE(run([&](StoreSession& s) { return s.insert_short_link(link); }));
  Status dup = run([&](StoreSession& s) { return s.insert_short_link(link); });
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "conflict");
  ASSERT_TRUE(run([&](StoreSession& s) {
    return s.insert_short_link(ShortLinkRecord{"Zz9Yy8X", "m1", "https://b.example.kr/", 100, 0, 0});
  }));
  std::optional<std::string> url, none;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    auto a = s.click_short_link("Ab3dE5g", 500);
    auto b = s.click_short_link("Ab3dE5g", 600);
    auto c = s.click_short_link("missing", 700);
    if (!a || !b || !c) return make_error("storage_error", "click failed");
    url = *b;
    none = *c;
    return {};
  }));
  EXPECT_EQ(url, link.url);
  EXPECT_FALSE(none.has_value());
  std::vector<ShortLinkRecord> links;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    auto r = s.list_short_links("m1");
    if (!r) return r.error();
    links = *r;
    return {};
  }));
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].code, "Ab3dE5g");
  EXPECT_EQ(links[0].url, link.url);
  EXPECT_EQ(links[0].created_ms, 100);
  EXPECT_EQ(links[0].clicks, 2);
  EXPECT_EQ(links[0].last_click_ms, 600);
  EXPECT_EQ(links[1].code, "Zz9Yy8X");
  EXPECT_EQ(links[1].clicks, 0);
  EXPECT_EQ(links[1].last_click_ms, 0);
}

TEST_P(PortalContract, ErasingACustomerDeletesTheirReadMarks) {
  ASSERT_TRUE(add("m1", "c-1", 1000));
  ASSERT_TRUE(add("m2", "c-2", 1000));
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    CustomerRecord c{"c-1", R"({"id":"c-1"})", {}, 1, 1};
    if (auto st = s.put_customer(c); !st) return st;
    if (auto r = s.mark_all_read("c-1", 2000); !r) return r.error();
    if (auto r = s.mark_all_read("c-2", 2000); !r) return r.error();
    auto erased = s.erase_customer("c-1", 3000);
    if (!erased) return erased.error();
    EXPECT_TRUE(*erased);
    return {};
  }));
  // The table is the same in both engines' schemas; only c-2's mark is left.
  EXPECT_EQ(raw_scalar("SELECT COUNT(*) FROM inbox_reads WHERE customer_id = 'c-1'"), "0");
  EXPECT_EQ(raw_scalar("SELECT COUNT(*) FROM inbox_reads WHERE customer_id = 'c-2'"), "1");
  EXPECT_TRUE(list("c-1").empty());  // the message is anonymised and unlinked
  auto theirs = list("c-2");
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(theirs[0].read_ms, 2000);
  EXPECT_EQ(unread("c-2"), 0);
}

// Data written survives closing and opening the store again (migrations find nothing to do).
TEST_P(PortalContract, RowsSurviveReopening) {
  ASSERT_TRUE(add("kept", "c-1", 1000));
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    if (auto r = s.mark_all_read("c-1", 2000); !r) return r.error();
    return s.insert_short_link(ShortLinkRecord{"Abcdefg", "kept", "https://x.example.kr/long", 1, 0, 0});
  }));
  reopen();
  ASSERT_TRUE(store_);
  auto items = list("c-1");
  ASSERT_EQ(ids(items), std::vector<std::string>{"kept"});
  EXPECT_EQ(items[0].read_ms, 2000);
  std::optional<std::string> url;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    auto r = s.click_short_link("Abcdefg", 3000);
    if (!r) return r.error();
    url = *r;
    return {};
  }));
  EXPECT_EQ(url, "https://x.example.kr/long");
}

}  // namespace
}  // namespace jarip::store
