// The StoreSession contract, run against both engines (SQLite and PostgreSQL): every test opens a
// fresh, empty store of its engine (pg_test_server.hpp). Engine-specific tests live in
// sqlite_store_test.cpp and pg_store_test.cpp.
#include <gtest/gtest.h>

#include <future>
#include <set>

#include "notify/compose.hpp"
#include "pg_test_server.hpp"
#include "store/store.hpp"

namespace jarip::store {
namespace {

using test::Engine;

MessageRecord sample(const std::string& id, TimeMs due) {
  MessageRecord m;
  m.id = id;
  m.api_key_id = "k1";
  m.created_ms = m.updated_ms = due;
  m.recipient_json = R"({"phone":"01012345678"})";
  m.phone = "01012345678";
  m.rendered_json = "{}";
  m.chain_json = R"(["sms@nhn"])";
  m.metadata_json = "{}";
  m.due_ms = due;
  return m;
}

// Through write() and its done callback, as the engine uses the store.
Status write_sync(Store& store, Store::WriteOp op) {
  std::promise<Status> p;
  store.write(std::move(op), [&](Status s) { p.set_value(std::move(s)); });
  return p.get_future().get();
}

void expect_same(const MessageRecord& a, const MessageRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.api_key_id, b.api_key_id);
  EXPECT_EQ(a.created_ms, b.created_ms);
  EXPECT_EQ(a.updated_ms, b.updated_ms);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.recipient_json, b.recipient_json);
  EXPECT_EQ(a.phone, b.phone);
  EXPECT_EQ(a.template_name, b.template_name);
  EXPECT_EQ(a.rendered_json, b.rendered_json);
  EXPECT_EQ(a.chain_json, b.chain_json);
  EXPECT_EQ(a.step, b.step);
  EXPECT_EQ(a.step_attempts, b.step_attempts);
  EXPECT_EQ(a.due_ms, b.due_ms);
  EXPECT_EQ(a.expires_ms, b.expires_ms);
  EXPECT_EQ(a.step_deadline_ms, b.step_deadline_ms);
  EXPECT_EQ(a.lease_owner, b.lease_owner);
  EXPECT_EQ(a.lease_until_ms, b.lease_until_ms);
  EXPECT_EQ(a.metadata_json, b.metadata_json);
  EXPECT_EQ(a.night_consent, b.night_consent);
  EXPECT_EQ(a.idempotency_key, b.idempotency_key);
  EXPECT_EQ(a.final_code, b.final_code);
  EXPECT_EQ(a.final_detail, b.final_detail);
  EXPECT_EQ(a.delivered_via, b.delivered_via);
  EXPECT_EQ(a.body_purged, b.body_purged);
}

std::set<std::string> ids_of(const std::vector<MessageRecord>& list) {
  std::set<std::string> out;
  for (auto& m : list) out.insert(m.id);
  return out;
}

std::vector<std::int64_t> ids_of(const std::vector<WebhookEventRecord>& list) {
  std::vector<std::int64_t> out;
  for (auto& e : list) out.push_back(e.id);
  return out;
}

class StoreContract : public test::StoreEngineTest {
 protected:
  MessageRecord read_back(const std::string& id) {
    std::optional<MessageRecord> m;
    EXPECT_TRUE(write_sync(store(), [&](StoreSession& s) -> Status {
      auto r = s.get_message(id);
      if (!r) return r.error();
      m = *r;
      return {};
    }));
    EXPECT_TRUE(m.has_value()) << id;
    return m.value_or(MessageRecord{});
  }

  std::vector<MessageRecord> claim_due(const std::string& owner, TimeMs now, TimeMs lease_until, int limit = 100) {
    std::vector<MessageRecord> out;
    EXPECT_TRUE(run([&](StoreSession& s) -> Status {
      auto r = s.claim_due(owner, now, lease_until, limit);
      if (!r) return r.error();
      out = std::move(*r);
      return {};
    }));
    return out;
  }

  WebhookEventRecord add_event(const std::string& event_id, const std::string& message_id, TimeMs next_attempt) {
    WebhookEventRecord e;
    e.event_id = event_id;
    e.type = message_id.empty() ? "provider.down" : "message.delivered";
    e.message_id = message_id;
    e.payload_json = R"({"type":")" + e.type + R"(","id":")" + event_id + R"("})";
    e.created_ms = next_attempt;
    e.next_attempt_ms = next_attempt;
    EXPECT_TRUE(run([&](StoreSession& s) { return s.insert_webhook_event(e); }));
    EXPECT_GT(e.id, 0);
    return e;
  }

  std::vector<WebhookEventRecord> claim_events(TimeMs now, TimeMs lease_until, int limit = 100) {
    std::vector<WebhookEventRecord> out;
    EXPECT_TRUE(run([&](StoreSession& s) -> Status {
      auto r = s.claim_webhook_events(now, lease_until, limit);
      if (!r) return r.error();
      out = std::move(*r);
      return {};
    }));
    return out;
  }

  std::vector<WebhookEventRecord> due_events(TimeMs now, int limit = 100) {
    std::vector<WebhookEventRecord> out;
    EXPECT_TRUE(run([&](StoreSession& s) -> Status {
      auto r = s.due_webhook_events(now, limit);
      if (!r) return r.error();
      out = std::move(*r);
      return {};
    }));
    return out;
  }
};

INSTANTIATE_TEST_SUITE_P(Engine, StoreContract, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         test::engine_test_name);

TEST_P(StoreContract, ReportsItsEngine) {
  EXPECT_STREQ(store().engine(), engine() == Engine::kSqlite ? "sqlite" : "postgresql");
  EXPECT_EQ(store().shared(), engine() == Engine::kPostgres);
  EXPECT_TRUE(store().available());
}

TEST_P(StoreContract, GroupCommitIsolatesAFailingOperation) {
  std::vector<std::promise<Status>> done(3);
  store().write([](StoreSession& s) { return s.insert_message(sample("a", 1)); },
                [&](Status s) { done[0].set_value(s); });
  store().write([](StoreSession& s) { return s.insert_message(sample("a", 1)); },  // duplicate id
                [&](Status s) { done[1].set_value(s); });
  store().write([](StoreSession& s) { return s.insert_message(sample("b", 1)); },
                [&](Status s) { done[2].set_value(s); });
  EXPECT_TRUE(done[0].get_future().get().ok());
  auto dup = done[1].get_future().get();
  EXPECT_FALSE(dup.ok());
  if (!dup.ok()) {
    EXPECT_EQ(dup.error().code, "conflict");
  }
  EXPECT_TRUE(done[2].get_future().get().ok());
  std::optional<MessageRecord> a, b;
  ASSERT_TRUE(write_sync(store(), [&](StoreSession& s) -> Status {
    a = *s.get_message("a");
    b = *s.get_message("b");
    return {};
  }));
  EXPECT_TRUE(a.has_value());
  EXPECT_TRUE(b.has_value());
}

TEST_P(StoreContract, ClaimLeasesDueMessagesOnce) {
  ASSERT_TRUE(write_sync(store(), [](StoreSession& s) -> Status {
    for (int i = 0; i < 5; ++i) {
      if (auto st = s.insert_message(sample("m" + std::to_string(i), 100 + i)); !st) return st;
    }
    return s.insert_message(sample("later", 10'000));
  }));
  std::vector<MessageRecord> first, second, third;
  ASSERT_TRUE(write_sync(store(), [&](StoreSession& s) -> Status {
    first = *s.claim_due("node-a", 1000, 5000, 3);
    second = *s.claim_due("node-b", 1000, 5000, 10);
    return {};
  }));
  EXPECT_EQ(first.size(), 3u);
  EXPECT_EQ(second.size(), 2u);  // the rest of the due ones; "later" is not due
  for (auto& m : first) EXPECT_EQ(m.lease_owner, "node-a");
  for (auto& m : second) EXPECT_EQ(m.lease_owner, "node-b");
  for (auto& m : second) EXPECT_EQ(m.lease_until_ms, 5000);
  std::set<std::string> all = ids_of(first);
  for (auto& m : second) EXPECT_TRUE(all.insert(m.id).second) << m.id << " claimed twice";
  // Leases expire: at t=6000 node-c takes everything that is still due.
  ASSERT_TRUE(write_sync(store(), [&](StoreSession& s) -> Status {
    third = *s.claim_due("node-c", 6000, 9000, 100);
    return {};
  }));
  EXPECT_EQ(third.size(), 5u);
}

TEST_P(StoreContract, ClaimDueNeverTakesALiveLeaseOfAnotherOwner) {
  ASSERT_TRUE(run([](StoreSession& s) -> Status {
    if (auto st = s.insert_message(sample("held-by-a", 10)); !st) return st;
    return s.insert_message(sample("free", 10));
  }));
  auto a = claim_due("node-a", 100, 1000, 1);
  ASSERT_EQ(a.size(), 1u);
  const std::string taken = a[0].id;
  const std::string other = taken == "free" ? "held-by-a" : "free";
  EXPECT_EQ(a[0].lease_owner, "node-a");
  EXPECT_EQ(a[0].lease_until_ms, 1000);
  // While node-a's lease lives (up to and including lease_until), node-b gets only the other one.
  auto b = claim_due("node-b", 500, 2000);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].id, other);
  EXPECT_TRUE(claim_due("node-b", 999, 2000).empty());
  EXPECT_TRUE(claim_due("node-c", 1000, 3000).empty());  // lease_until itself is still live
  EXPECT_EQ(read_back(taken).lease_owner, "node-a");
  // A renewed lease stays out of reach too.
  ASSERT_TRUE(run([](StoreSession& s) { return s.renew_leases("node-a", 1500); }));
  EXPECT_TRUE(claim_due("node-c", 1200, 3000).empty());
  // Expired: the next claimant takes it over.
  auto c = claim_due("node-c", 1501, 4000);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].id, taken);
  EXPECT_EQ(c[0].lease_owner, "node-c");
  EXPECT_EQ(c[0].lease_until_ms, 4000);
  auto stored = read_back(taken);
  EXPECT_EQ(stored.lease_owner, "node-c");
  EXPECT_EQ(stored.lease_until_ms, 4000);
}

TEST_P(StoreContract, ReleaseLeasesFreesOnlyThatOwnersLeases) {
  ASSERT_TRUE(run([](StoreSession& s) -> Status {
    for (const char* id : {"a1", "a2", "b1", "b2"}) {
      if (auto st = s.insert_message(sample(id, 10)); !st) return st;
    }
    return {};
  }));
  // Claims hand out due messages in no promised order: lease them by hand, then check with claims.
  ASSERT_TRUE(run([](StoreSession& s) -> Status {
    for (const char* id : {"a1", "a2", "b1", "b2"}) {
      auto m = s.get_message(id);
      if (!m) return m.error();
      MessageRecord leased = **m;
      leased.lease_owner = id[0] == 'a' ? "node-a" : "node-b";
      leased.lease_until_ms = 10'000;
      if (auto st = s.update_message(leased); !st) return st;
    }
    return {};
  }));
  EXPECT_TRUE(claim_due("node-c", 100, 5000).empty());
  ASSERT_TRUE(run([](StoreSession& s) { return s.release_leases("node-a"); }));
  for (const char* id : {"a1", "a2"}) {
    auto m = read_back(id);
    EXPECT_EQ(m.lease_owner, "") << id;
    EXPECT_EQ(m.lease_until_ms, 0) << id;
  }
  for (const char* id : {"b1", "b2"}) {
    auto m = read_back(id);
    EXPECT_EQ(m.lease_owner, "node-b") << id;
    EXPECT_EQ(m.lease_until_ms, 10'000) << id;
  }
  EXPECT_EQ(ids_of(claim_due("node-c", 100, 5000)), (std::set<std::string>{"a1", "a2"}));
  // An owner holding nothing, and the empty owner, release nothing.
  ASSERT_TRUE(run([](StoreSession& s) -> Status {
    if (auto st = s.release_leases("node-z"); !st) return st;
    return s.release_leases("");
  }));
  EXPECT_EQ(read_back("b1").lease_owner, "node-b");
  EXPECT_EQ(read_back("a1").lease_owner, "node-c");
  // release_all_leases frees every one.
  ASSERT_TRUE(run([](StoreSession& s) { return s.release_all_leases(); }));
  for (const char* id : {"a1", "a2", "b1", "b2"}) EXPECT_EQ(read_back(id).lease_owner, "") << id;
  EXPECT_EQ(claim_due("node-d", 100, 5000).size(), 4u);
}

TEST_P(StoreContract, IdempotencyKeysArePerApiKey) {
  ASSERT_TRUE(write_sync(store(), [](StoreSession& s) {
    return s.put_idempotency(IdempotencyRecord{"k1", "abc", "h", 202, "{}", 5});
  }));
  auto again = write_sync(store(), [](StoreSession& s) {
    return s.put_idempotency(IdempotencyRecord{"k1", "abc", "h2", 202, "{}", 6});
  });
  EXPECT_FALSE(again.ok());
  EXPECT_TRUE(write_sync(store(), [](StoreSession& s) {
    return s.put_idempotency(IdempotencyRecord{"k2", "abc", "h", 202, "{}", 6});
  }));
  std::optional<IdempotencyRecord> got;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    auto r = s.get_idempotency("k1", "abc");
    if (!r) return r.error();
    got = *r;
    return {};
  }));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->request_hash, "h");  // the first one stays
  EXPECT_EQ(got->created_ms, 5);
}

// update_message writes only the columns that changed; the row must still end up exactly as given,
// and a row that is not there is inserted (what REPLACE did).
TEST_P(StoreContract, UpdateMessageStoresEveryFieldAndInsertsMissingRows) {
  MessageRecord m = sample("u1", 100);
  ASSERT_TRUE(write_sync(store(), [&](StoreSession& s) { return s.insert_message(m); }));
  MessageRecord all = m;  // every column but the key changed
  all.api_key_id = "k2";
  all.created_ms = 7;
  all.updated_ms = 8;
  all.state = kStateSent;
  all.kind = "ad";
  all.recipient_json = R"({"phone":"01099998888"})";
  all.phone = "01099998888";
  all.template_name = "t";
  all.rendered_json = R"({"sms":{"text":"안녕하세요"}})";
  all.chain_json = R"(["alimtalk@solapi"])";
  all.step = 2;
  all.step_attempts = 3;
  all.due_ms = 9;
  all.expires_ms = 10;
  all.step_deadline_ms = 11;
  all.lease_owner = "node-x";
  all.lease_until_ms = 12;
  all.metadata_json = R"({"a":1})";
  all.night_consent = true;
  all.idempotency_key = "idem";
  all.final_code = "c";
  all.final_detail = "d";
  all.delivered_via = "sms@nhn";
  all.body_purged = true;
  ASSERT_TRUE(write_sync(store(), [&](StoreSession& s) { return s.update_message(all); }));
  expect_same(read_back("u1"), all);
  // A few columns back and forth, and an update that changes nothing.
  MessageRecord some = all;
  some.state = kStateAccepted;
  some.lease_owner.clear();
  some.body_purged = false;
  some.final_detail.clear();
  ASSERT_TRUE(write_sync(store(), [&](StoreSession& s) { return s.update_message(some); }));
  ASSERT_TRUE(write_sync(store(), [&](StoreSession& s) { return s.update_message(some); }));
  expect_same(read_back("u1"), some);
  MessageRecord fresh = sample("u2", 5);
  fresh.state = kStateHeld;
  ASSERT_TRUE(write_sync(store(), [&](StoreSession& s) { return s.update_message(fresh); }));
  expect_same(read_back("u2"), fresh);
}

TEST_P(StoreContract, UpdateMessageIfWritesOnlyFromTheExpectedStateAndStep) {
  MessageRecord m = sample("c1", 100);
  m.state = kStateSending;
  m.step = 1;
  ASSERT_TRUE(write_sync(store(), [&](StoreSession& s) { return s.insert_message(m); }));
  MessageRecord next = m;
  next.state = kStateSent;
  next.step_deadline_ms = 500;
  std::vector<bool> results;
  ASSERT_TRUE(write_sync(store(), [&](StoreSession& s) -> Status {
    results.push_back(*s.update_message_if(next, kStateAccepted, 1));  // wrong state
    results.push_back(*s.update_message_if(next, kStateSending, 0));   // wrong step
    MessageRecord missing = next;
    missing.id = "nope";
    results.push_back(*s.update_message_if(missing, kStateSending, 1));  // no row: not inserted
    return {};
  }));
  EXPECT_EQ(results, (std::vector<bool>{false, false, false}));
  expect_same(read_back("c1"), m);
  ASSERT_TRUE(write_sync(store(), [&](StoreSession& s) -> Status {
    results.push_back(*s.update_message_if(next, kStateSending, 1));
    EXPECT_FALSE(s.get_message("nope")->has_value());
    return {};
  }));
  EXPECT_TRUE(results.back());
  expect_same(read_back("c1"), next);
}

// The engine read the row, sent, and writes its outcome conditionally; a delivery report moved the
// row in between (in another transaction). The stale write must not clobber the report.
TEST_P(StoreContract, UpdateMessageIfIsFalseOnARowMovedMeanwhile) {
  MessageRecord m = sample("r1", 100);
  m.state = kStateSending;
  ASSERT_TRUE(run([&](StoreSession& s) { return s.insert_message(m); }));
  MessageRecord seen = read_back("r1");
  MessageRecord report = seen;  // the report: delivered
  report.state = kStateDelivered;
  report.delivered_via = "sms@nhn";
  report.updated_ms = 200;
  ASSERT_TRUE(run([&](StoreSession& s) { return s.update_message(report); }));
  MessageRecord stale = seen;  // the send's answer, based on what it read
  stale.state = kStateSent;
  stale.step_deadline_ms = 900;
  stale.updated_ms = 150;
  bool written = true;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    auto r = s.update_message_if(stale, seen.state, seen.step);
    if (!r) return r.error();
    written = *r;
    return {};
  }));
  EXPECT_FALSE(written);
  expect_same(read_back("r1"), report);
  // Moved to the next step in the same state: also false.
  MessageRecord stepped = report;
  stepped.state = kStateSending;
  stepped.step = 1;
  ASSERT_TRUE(run([&](StoreSession& s) { return s.update_message(stepped); }));
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    auto r = s.update_message_if(stale, kStateSending, 0);
    if (!r) return r.error();
    written = *r;
    return {};
  }));
  EXPECT_FALSE(written);
  expect_same(read_back("r1"), stepped);
}

TEST_P(StoreContract, ClaimsRenewalsAndPurgesSelectTheRightRows) {
  auto with = [](const std::string& id, const char* state, TimeMs due) {
    MessageRecord m = sample(id, due);
    m.state = state;
    return m;
  };
  ASSERT_TRUE(write_sync(store(), [&](StoreSession& s) -> Status {
    for (auto& m : {with("a", kStateAccepted, 1), with("h", kStateHeld, 1), with("s", kStateSending, 1),
                    with("t", kStateSent, 1), with("d", kStateDelivered, 1), with("f", kStateFailed, 1)}) {
      if (auto st = s.insert_message(m); !st) return st;
    }
    MessageRecord late = with("late", kStateSent, 1);
    late.step_deadline_ms = 50;
    return s.insert_message(late);
  }));
  std::vector<MessageRecord> due, overdue;
  ASSERT_TRUE(write_sync(store(), [&](StoreSession& s) -> Status {
    due = *s.claim_due("node-a", 100, 1000, 100);
    overdue = *s.claim_overdue_reports("node-a", 100, 1000, 100);
    return {};
  }));
  EXPECT_EQ(ids_of(due), (std::set<std::string>{"a", "h", "s"}));
  // "t" has step_deadline_ms 0 (sample), so it is overdue too.
  EXPECT_EQ(ids_of(overdue), (std::set<std::string>{"late", "t"}));
  std::int64_t pending = 0;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    auto r = s.count_pending();
    if (!r) return r.error();
    pending = *r;
    return {};
  }));
  EXPECT_EQ(pending, 5);
  ASSERT_TRUE(write_sync(store(), [&](StoreSession& s) { return s.renew_leases("node-a", 2000); }));
  for (const char* id : {"a", "h", "s", "t", "late"}) EXPECT_EQ(read_back(id).lease_until_ms, 2000) << id;
  EXPECT_EQ(read_back("d").lease_until_ms, 0);
  // Bodies: only terminal messages updated before the cut.
  std::int64_t purged = 0;
  ASSERT_TRUE(write_sync(store(), [&](StoreSession& s) -> Status {
    purged = *s.purge_bodies(10, 100);
    return {};
  }));
  EXPECT_EQ(purged, 2);
  EXPECT_TRUE(read_back("d").body_purged);
  EXPECT_EQ(read_back("f").rendered_json, "{}");
  EXPECT_FALSE(read_back("a").body_purged);
  ASSERT_TRUE(write_sync(store(), [&](StoreSession& s) -> Status {
    purged = *s.purge_bodies(10, 100);
    return {};
  }));
  EXPECT_EQ(purged, 0);
}

// ---- attempts ----------------------------------------------------------------------------------

// A message id of jarip's own form (the PostgreSQL engine files it and its attempts under the time in
// it), at a fixed time in the past.
std::string jarip_id(TimeMs ms) { return notify::new_message_id(ms); }

TEST_P(StoreContract, AttemptsKeepTheirTimelineAndAReportWinsOverALateAnswer) {
  const std::string id = jarip_id(1'700'000'000'000);
  ASSERT_TRUE(run([&](StoreSession& s) { return s.insert_message(sample(id, 100)); }));
  auto attempt = [&](int step, const std::string& provider) {
    AttemptRecord a;
    a.message_id = id;
    a.step = step;
    a.channel = "sms";
    a.provider = provider;
    a.send_kind = "sms";
    a.dedup_key = id + "." + std::to_string(step);
    a.started_ms = 100 + step;
    return a;
  };
  AttemptRecord a0 = attempt(0, "nhn"), a1 = attempt(1, "solapi"), a2 = attempt(2, "nhn");
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    for (auto* a : {&a0, &a1, &a2}) {
      if (auto st = s.insert_attempt(*a); !st) return st;
    }
    return {};
  }));
  EXPECT_GT(a0.id, 0);
  EXPECT_GT(a1.id, a0.id);
  EXPECT_GT(a2.id, a1.id);
  // The send's answer for a0; a report that overtook a1's answer; a2 answered normally.
  a0.outcome = "accepted";
  a0.provider_message_id = "P0";
  a0.ended_ms = 150;
  AttemptRecord report = a1;
  report.outcome = "delivered";
  report.ended_ms = 200;
  AttemptRecord late = a1;
  late.outcome = "accepted";
  late.provider_message_id = "P1";
  late.ended_ms = 210;
  a2.outcome = "retryable";
  a2.error_code = "E1";
  a2.error_text = "busy";
  a2.ended_ms = 300;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    if (auto st = s.update_attempt(a0); !st) return st;
    if (auto st = s.update_attempt(report); !st) return st;
    if (auto st = s.finish_attempt(late); !st) return st;  // too late: only the provider id is kept
    return s.finish_attempt(a2);
  }));
  std::vector<AttemptRecord> all, open;
  std::optional<AttemptRecord> by_p0, by_p1, by_empty, by_dedup, by_other_provider;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    all = *s.list_attempts(id);
    open = *s.list_open_attempts(id);
    by_p0 = *s.find_attempt_by_provider_id("nhn", "P0");
    by_p1 = *s.find_attempt_by_provider_id("solapi", "P1");
    by_empty = *s.find_attempt_by_provider_id("nhn", "");
    by_dedup = *s.find_attempt_by_dedup_key("solapi", id + ".1");
    by_other_provider = *s.find_attempt_by_dedup_key("nhn", id + ".1");
    return {};
  }));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, a0.id);
  EXPECT_EQ(all[0].outcome, "accepted");
  EXPECT_EQ(all[0].provider_message_id, "P0");
  EXPECT_EQ(all[0].ended_ms, 150);
  EXPECT_EQ(all[0].dedup_key, id + ".0");
  EXPECT_EQ(all[0].started_ms, 100);
  EXPECT_EQ(all[1].outcome, "delivered");  // the report's verdict stays
  EXPECT_EQ(all[1].ended_ms, 200);
  EXPECT_EQ(all[1].provider_message_id, "P1");  // but the provider's id is remembered
  EXPECT_EQ(all[2].outcome, "retryable");
  EXPECT_EQ(all[2].error_code, "E1");
  EXPECT_EQ(all[2].error_text, "busy");
  EXPECT_TRUE(open.empty());
  ASSERT_TRUE(by_p0.has_value());
  EXPECT_EQ(by_p0->id, a0.id);
  ASSERT_TRUE(by_p1.has_value());
  EXPECT_EQ(by_p1->id, a1.id);
  EXPECT_FALSE(by_empty.has_value());
  ASSERT_TRUE(by_dedup.has_value());
  EXPECT_EQ(by_dedup->id, a1.id);
  EXPECT_FALSE(by_other_provider.has_value());
  // An attempt still in flight is open.
  AttemptRecord a3 = attempt(3, "nhn");
  ASSERT_TRUE(run([&](StoreSession& s) { return s.insert_attempt(a3); }));
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    open = *s.list_open_attempts(id);
    return {};
  }));
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].id, a3.id);
  EXPECT_EQ(open[0].outcome, "started");
  EXPECT_EQ(open[0].ended_ms, 0);
}

// ---- templates, keys, opt-outs, idempotency ------------------------------------------------------

TEST_P(StoreContract, TemplatesKeysOptOutsAndIdempotencyRoundTrip) {
  ASSERT_TRUE(run([](StoreSession& s) -> Status {
    if (auto st = s.put_template(TemplateRecord{"t2", R"({"v":2})", 10}); !st) return st;
    if (auto st = s.put_template(TemplateRecord{"t1", R"({"v":1})", 10}); !st) return st;
    return s.put_template(TemplateRecord{"t1", R"({"v":"1b"})", 20});  // replaces
  }));
  std::vector<TemplateRecord> templates;
  std::optional<TemplateRecord> t1, missing;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    templates = *s.list_templates();
    t1 = *s.get_template("t1");
    missing = *s.get_template("nope");
    return {};
  }));
  ASSERT_EQ(templates.size(), 2u);
  EXPECT_EQ(templates[0].name, "t1");  // by name
  EXPECT_EQ(templates[1].name, "t2");
  ASSERT_TRUE(t1.has_value());
  EXPECT_EQ(t1->json, R"({"v":"1b"})");
  EXPECT_EQ(t1->updated_ms, 20);
  EXPECT_FALSE(missing.has_value());

  ASSERT_TRUE(run([](StoreSession& s) -> Status {
    if (auto st = s.insert_api_key(ApiKeyRecord{"key_b", "second", "hash-b", 10, 0, 2.5}); !st) return st;
    return s.insert_api_key(ApiKeyRecord{"key_a", "first", "hash-a", 5, 0, 0});
  }));
  Status dup = run([](StoreSession& s) { return s.insert_api_key(ApiKeyRecord{"key_a", "again", "h", 6, 0, 0}); });
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "conflict");
  ASSERT_TRUE(run([](StoreSession& s) { return s.revoke_api_key("key_b", 30); }));
  Status again = run([](StoreSession& s) { return s.revoke_api_key("key_b", 40); });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "not_found");
  Status unknown = run([](StoreSession& s) { return s.revoke_api_key("key_z", 40); });
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "not_found");
  std::vector<ApiKeyRecord> keys;
  std::optional<ApiKeyRecord> key_b;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    keys = *s.list_api_keys();
    key_b = *s.get_api_key("key_b");
    return {};
  }));
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].id, "key_a");  // by creation time
  EXPECT_EQ(keys[1].id, "key_b");
  ASSERT_TRUE(key_b.has_value());
  EXPECT_EQ(key_b->name, "second");
  EXPECT_EQ(key_b->secret_hash, "hash-b");
  EXPECT_EQ(key_b->created_ms, 10);
  EXPECT_EQ(key_b->revoked_ms, 30);  // the first revocation's time
  EXPECT_DOUBLE_EQ(key_b->rate_per_s, 2.5);

  ASSERT_TRUE(run([](StoreSession& s) -> Status {
    for (int i = 1; i <= 3; ++i) {
      std::string n = std::to_string(i);
      if (auto st = s.insert_opt_out(OptOutRecord{"0101234000" + n, "nhn", "2026-01-0" + n, "ev" + n, i * 10}); !st)
        return st;
    }
    return {};
  }));
  std::vector<OptOutRecord> outs;
  bool has = false, has_not = true;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    outs = *s.list_opt_outs(2);
    has = *s.has_opt_out("01012340002");
    has_not = *s.has_opt_out("01099990000");
    return {};
  }));
  ASSERT_EQ(outs.size(), 2u);  // newest first
  EXPECT_EQ(outs[0].phone, "01012340003");
  EXPECT_EQ(outs[0].provider, "nhn");
  EXPECT_EQ(outs[0].opted_out_at, "2026-01-03");
  EXPECT_EQ(outs[0].evidence, "ev3");
  EXPECT_EQ(outs[0].recorded_ms, 30);
  EXPECT_EQ(outs[1].phone, "01012340002");
  EXPECT_TRUE(has);
  EXPECT_FALSE(has_not);

  ASSERT_TRUE(run([](StoreSession& s) -> Status {
    if (auto st = s.put_idempotency(IdempotencyRecord{"k1", "old", "h1", 202, R"({"id":"a"})", 5}); !st) return st;
    if (auto st = s.put_idempotency(IdempotencyRecord{"k1", "new", "h2", 400, R"({"error":{}})", 50}); !st) return st;
    return s.purge_idempotency(10);
  }));
  std::optional<IdempotencyRecord> old_key, new_key;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    old_key = *s.get_idempotency("k1", "old");
    new_key = *s.get_idempotency("k1", "new");
    return {};
  }));
  EXPECT_FALSE(old_key.has_value());
  ASSERT_TRUE(new_key.has_value());
  EXPECT_EQ(new_key->request_hash, "h2");
  EXPECT_EQ(new_key->status, 400);
  EXPECT_EQ(new_key->response_body, R"({"error":{}})");
  EXPECT_EQ(new_key->created_ms, 50);
}

// ---- customers ---------------------------------------------------------------------------------

TEST_P(StoreContract, CustomerDirectoryIndexesAddressesAndErasesEverything) {
  const std::string phone = "01011112222";
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    if (auto st = s.put_customer(CustomerRecord{"c-2", R"({"id":"c-2","v":1})", {phone, "a@x.kr"}, 1, 1}); !st) return st;
    return s.put_customer(CustomerRecord{"c-1", R"({"id":"c-1"})", {phone}, 2, 2});
  }));
  auto list = [&](const std::string& after, const std::string& address, int limit) {
    std::vector<std::string> out;
    EXPECT_TRUE(run([&](StoreSession& s) -> Status {
      auto r = s.list_customers(after, address, limit);
      if (!r) return r.error();
      for (auto& c : *r) out.push_back(c.id);
      return {};
    }));
    return out;
  };
  auto holders = [&](const std::string& address) {
    std::vector<std::string> out;
    EXPECT_TRUE(run([&](StoreSession& s) -> Status {
      auto r = s.customers_with_address(address);
      if (!r) return r.error();
      out = *r;
      return {};
    }));
    return out;
  };
  EXPECT_EQ(list("", "", 10), (std::vector<std::string>{"c-1", "c-2"}));
  EXPECT_EQ(list("", "", 1), (std::vector<std::string>{"c-1"}));
  EXPECT_EQ(list("c-1", "", 10), (std::vector<std::string>{"c-2"}));
  EXPECT_EQ(list("", "a@x.kr", 10), (std::vector<std::string>{"c-2"}));
  EXPECT_EQ(list("", phone, 10), (std::vector<std::string>{"c-1", "c-2"}));
  EXPECT_EQ(holders(phone), (std::vector<std::string>{"c-1", "c-2"}));
  // Replacing keeps created_ms and re-indexes the addresses.
  ASSERT_TRUE(run([&](StoreSession& s) {
    return s.put_customer(CustomerRecord{"c-2", R"({"id":"c-2","v":2})", {"b@x.kr"}, 99, 5});
  }));
  std::optional<CustomerRecord> c2;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    c2 = *s.get_customer("c-2");
    return {};
  }));
  ASSERT_TRUE(c2.has_value());
  EXPECT_EQ(c2->doc_json, R"({"id":"c-2","v":2})");
  EXPECT_EQ(c2->created_ms, 1);
  EXPECT_EQ(c2->updated_ms, 5);
  EXPECT_TRUE(holders("a@x.kr").empty());
  EXPECT_EQ(holders("b@x.kr"), std::vector<std::string>{"c-2"});
  EXPECT_EQ(holders(phone), std::vector<std::string>{"c-1"});

  // Consent history and re-confirmation notices.
  ConsentEventRecord granted{0, "c-1", "sms", "marketing", true, "2026-01-01T09:00:00+09:00", "api", "form#1", 100};
  ConsentEventRecord withdrawn{0, "c-1", "sms", "marketing", false, "2026-02-01T09:00:00+09:00", "080 opt-out (nhn)", "", 200};
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    if (auto st = s.insert_consent_event(granted); !st) return st;
    return s.insert_consent_event(withdrawn);
  }));
  EXPECT_GT(granted.id, 0);
  EXPECT_GT(withdrawn.id, granted.id);
  std::vector<ConsentEventRecord> events, first_only;
  bool sent_before = true, sent_after = false, other_sent = true;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    events = *s.list_consent_events("c-1", 10);
    first_only = *s.list_consent_events("c-1", 1);
    sent_before = *s.reconfirm_notice_sent("c-1", granted.at);
    if (auto st = s.record_reconfirm_notice("c-1", granted.at, "msg-notice", 300); !st) return st;
    sent_after = *s.reconfirm_notice_sent("c-1", granted.at);
    other_sent = *s.reconfirm_notice_sent("c-1", withdrawn.at);
    return {};
  }));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].id, granted.id);
  EXPECT_EQ(events[0].channel, "sms");
  EXPECT_EQ(events[0].purpose, "marketing");
  EXPECT_TRUE(events[0].granted);
  EXPECT_EQ(events[0].at, granted.at);
  EXPECT_EQ(events[0].source, "api");
  EXPECT_EQ(events[0].evidence, "form#1");
  EXPECT_EQ(events[0].recorded_ms, 100);
  EXPECT_FALSE(events[1].granted);
  EXPECT_EQ(events[1].source, "080 opt-out (nhn)");
  ASSERT_EQ(first_only.size(), 1u);
  EXPECT_FALSE(sent_before);
  EXPECT_TRUE(sent_after);
  EXPECT_FALSE(other_sent);

  // Erasure: the customer, their addresses, history and notices go; their messages stay, anonymised.
  const std::string to_c1 = jarip_id(1'700'000'000'000);
  MessageRecord m = sample(to_c1, 100);
  m.recipient_json = R"({"customer_id":"c-1"})";
  m.rendered_json = R"({"sms":{"text":"secret"}})";
  m.metadata_json = R"({"order":"A-1"})";
  m.state = kStateDelivered;
  MessageRecord to_c2 = sample("for-c2", 100);
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    if (auto st = s.insert_message(m); !st) return st;
    if (auto st = s.link_message_customer(to_c1, "c-1"); !st) return st;
    if (auto st = s.insert_message(to_c2); !st) return st;
    return s.link_message_customer("for-c2", "c-2");
  }));
  bool erased = false, erased_again = true;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    erased = *s.erase_customer("c-1", 5000);
    erased_again = *s.erase_customer("c-1", 5001);
    return {};
  }));
  EXPECT_TRUE(erased);
  EXPECT_FALSE(erased_again);
  std::optional<CustomerRecord> gone;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    gone = *s.get_customer("c-1");
    events = *s.list_consent_events("c-1", 10);
    sent_after = *s.reconfirm_notice_sent("c-1", granted.at);
    return {};
  }));
  EXPECT_FALSE(gone.has_value());
  EXPECT_TRUE(events.empty());
  EXPECT_FALSE(sent_after);
  EXPECT_TRUE(holders(phone).empty());
  EXPECT_EQ(list("", "", 10), std::vector<std::string>{"c-2"});
  MessageRecord anonymised = read_back(to_c1);
  EXPECT_EQ(anonymised.recipient_json, R"j({"customer_id":"(erased)"})j");
  EXPECT_EQ(anonymised.phone, "");
  EXPECT_EQ(anonymised.rendered_json, "{}");
  EXPECT_EQ(anonymised.metadata_json, "{}");
  EXPECT_TRUE(anonymised.body_purged);
  EXPECT_EQ(anonymised.updated_ms, 5000);
  EXPECT_EQ(anonymised.state, kStateDelivered);
  expect_same(read_back("for-c2"), to_c2);  // someone else's message is untouched
}

// ---- webhook outbox -----------------------------------------------------------------------------

TEST_P(StoreContract, ClaimWebhookEventsTakesWhatIsDueOnce) {
  auto m1a = add_event("evt_1", "msg-1", 100);
  auto m1b = add_event("evt_2", "msg-1", 100);  // waits behind evt_1
  auto m2 = add_event("evt_3", "msg-2", 150);
  auto provider = add_event("evt_4", "", 200);
  auto future = add_event("evt_5", "msg-3", 5000);  // not due yet
  WebhookEventRecord duplicate = m1a;
  Status dup = run([&](StoreSession& s) { return s.insert_webhook_event(duplicate); });  // same event_id
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "conflict");
  auto due = due_events(1000);
  EXPECT_EQ(ids_of(due), (std::vector<std::int64_t>{m1a.id, m2.id, provider.id}));
  auto claimed = claim_events(1000, 3000);
  EXPECT_EQ(ids_of(claimed), ids_of(due));
  for (auto& e : claimed) {
    EXPECT_EQ(e.next_attempt_ms, 3000) << e.event_id;  // as stored after the claim
    EXPECT_EQ(e.attempts, 0) << e.event_id;
    EXPECT_EQ(e.delivered_ms, 0) << e.event_id;
  }
  for (std::size_t i = 0; i < claimed.size() && i < due.size(); ++i) {
    EXPECT_EQ(claimed[i].event_id, due[i].event_id);
    EXPECT_EQ(claimed[i].type, due[i].type);
    EXPECT_EQ(claimed[i].message_id, due[i].message_id);
    EXPECT_EQ(claimed[i].payload_json, due[i].payload_json);
    EXPECT_EQ(claimed[i].created_ms, due[i].created_ms);
  }
  // Claimed events are no longer due at the same time: neither a second claim nor a plain look sees
  // them, and evt_2 still waits behind evt_1.
  EXPECT_TRUE(claim_events(1000, 3000).empty());
  EXPECT_TRUE(due_events(1000).empty());
  EXPECT_TRUE(claim_events(2999, 6000).empty());
  std::int64_t pending = 0;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    auto r = s.count_pending_webhook_events();
    if (!r) return r.error();
    pending = *r;
    return {};
  }));
  EXPECT_EQ(pending, 5);
  // A sender that died: at lease_until they are due again (at-least-once).
  auto again = claim_events(3000, 4000);
  EXPECT_EQ(ids_of(again), (std::vector<std::int64_t>{m1a.id, m2.id, provider.id}));
  // Once evt_1 is delivered, evt_2 comes next; evt_5 when its time comes.
  WebhookEventRecord delivered = again.empty() ? m1a : again.front();
  delivered.delivered_ms = 4100;
  delivered.attempts = 1;
  ASSERT_TRUE(run([&](StoreSession& s) { return s.update_webhook_event(delivered); }));
  EXPECT_EQ(ids_of(claim_events(4100, 7000)), (std::vector<std::int64_t>{m1b.id, m2.id, provider.id}));
  EXPECT_EQ(ids_of(claim_events(7000, 8000, 100)),
            (std::vector<std::int64_t>{m1b.id, m2.id, provider.id, future.id}));
}

TEST_P(StoreContract, ClaimWebhookEventsKeepsPerMessageOrderAndTheLimit) {
  std::vector<WebhookEventRecord> msg_a, msg_b;
  for (int i = 0; i < 3; ++i) {
    msg_a.push_back(add_event("evt_a" + std::to_string(i), "msg-a", 10));
    msg_b.push_back(add_event("evt_b" + std::to_string(i), "msg-b", 10));
  }
  // Only the first pending event of each message, oldest first, at most `limit`.
  auto one = claim_events(100, 1000, 1);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].id, msg_a[0].id);
  auto rest = claim_events(100, 1000, 10);
  EXPECT_EQ(ids_of(rest), (std::vector<std::int64_t>{msg_b[0].id}));
  // Deliver each message's head in turn; the next of that message follows, never one out of order.
  for (int step = 1; step < 3; ++step) {
    for (auto* list : {&msg_a, &msg_b}) {
      WebhookEventRecord done = (*list)[static_cast<std::size_t>(step - 1)];
      done.next_attempt_ms = 1000;
      done.delivered_ms = 500 + step;
      done.attempts = 1;
      ASSERT_TRUE(run([&](StoreSession& s) { return s.update_webhook_event(done); }));
    }
    auto next = claim_events(100 + step, 1000, 10);
    EXPECT_EQ(ids_of(next), (std::vector<std::int64_t>{msg_a[static_cast<std::size_t>(step)].id,
                                                        msg_b[static_cast<std::size_t>(step)].id}))
        << "step " << step;
  }
  // A dead event no longer holds its message's later events back.
  auto dead = add_event("evt_a3", "msg-a", 10);
  auto after_dead = add_event("evt_a4", "msg-a", 10);
  WebhookEventRecord a2 = msg_a[2];
  a2.delivered_ms = 600;
  ASSERT_TRUE(run([&](StoreSession& s) { return s.update_webhook_event(a2); }));
  dead.dead = true;
  dead.attempts = 10;
  dead.last_error = "HTTP 500";
  ASSERT_TRUE(run([&](StoreSession& s) { return s.update_webhook_event(dead); }));
  auto last = claim_events(5000, 6000, 10);
  EXPECT_EQ(ids_of(last), (std::vector<std::int64_t>{msg_b[2].id, after_dead.id}));
}

// ---- cluster view -------------------------------------------------------------------------------

TEST_P(StoreContract, NodeStatusUpsertsAndFiltersByUpdateTime) {
  auto list = [&](TimeMs after) {
    std::vector<NodeStatusRecord> out;
    EXPECT_TRUE(run([&](StoreSession& s) -> Status {
      auto r = s.list_node_status(after);
      if (!r) return r.error();
      out = std::move(*r);
      return {};
    }));
    return out;
  };
  auto node_ids = [](const std::vector<NodeStatusRecord>& rows) {
    std::vector<std::string> out;
    for (auto& r : rows) out.push_back(r.node_id);
    return out;
  };
  EXPECT_TRUE(list(0).empty());
  ASSERT_TRUE(run([](StoreSession& s) -> Status {
    if (auto st = s.put_node_status(NodeStatusRecord{"node-b", 10, 200, R"({"channels":[],"counters":{"b":1}})"}); !st)
      return st;
    return s.put_node_status(NodeStatusRecord{"node-a", 20, 100, R"({"channels":[],"counters":{"a":1}})"});
  }));
  EXPECT_EQ(node_ids(list(0)), (std::vector<std::string>{"node-a", "node-b"}));  // by node id
  EXPECT_EQ(node_ids(list(100)), (std::vector<std::string>{"node-a", "node-b"}));  // "at or after"
  EXPECT_EQ(node_ids(list(101)), (std::vector<std::string>{"node-b"}));
  EXPECT_TRUE(list(201).empty());
  // put replaces the node's row: no second row, every field new.
  ASSERT_TRUE(run([](StoreSession& s) {
    return s.put_node_status(NodeStatusRecord{"node-a", 30, 300, R"({"channels":["sms@nhn"],"counters":{}})"});
  }));
  auto rows = list(0);
  ASSERT_EQ(node_ids(rows), (std::vector<std::string>{"node-a", "node-b"}));
  EXPECT_EQ(rows[0].started_ms, 30);
  EXPECT_EQ(rows[0].updated_ms, 300);
  EXPECT_EQ(rows[0].status_json, R"({"channels":["sms@nhn"],"counters":{}})");
  EXPECT_EQ(rows[1].started_ms, 10);
  EXPECT_EQ(rows[1].updated_ms, 200);
  EXPECT_EQ(rows[1].status_json, R"({"channels":[],"counters":{"b":1}})");
  EXPECT_EQ(node_ids(list(250)), (std::vector<std::string>{"node-a"}));
}

}  // namespace
}  // namespace jarip::store
