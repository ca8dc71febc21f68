// The operator console's part of the StoreSession contract (store/records.hpp "Operator console":
// SQLite migration 8, PostgreSQL migration 2), run against both engines (pg_test_server.hpp), and on
// PostgreSQL two nodes racing on the rows they share. The message search is in
// store_console_search_contract_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <type_traits>

#include "pg_test_server.hpp"
#include "store/store.hpp"

namespace jarip::store {
namespace {

using test::Engine;

class ConsoleContract : public test::StoreEngineTest {
 protected:
  // The value of a session call run as one write, failing the test when it errs.
  template <class F>
  auto value(F f) {
    using T = std::remove_cvref_t<decltype(*f(std::declval<StoreSession&>()))>;
    T out{};
    Status st = run([&](StoreSession& s) -> Status {
      auto r = f(s);
      if (!r) return r.error();
      out = std::move(*r);
      return {};
    });
    EXPECT_TRUE(st.ok()) << st.error().code << ": " << st.error().message;
    return out;
  }

  static OperatorRecord op(const std::string& id, const std::string& email, const std::string& role = "agent") {
    OperatorRecord o;
    o.id = id;
    o.email = email;
    o.name = "Name " + id;
    o.role = role;
    o.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$" + id;
    o.created_ms = o.updated_ms = 1000;
    return o;
  }

  static OperatorSessionRecord session(const std::string& token, const std::string& operator_id, TimeMs expires) {
    OperatorSessionRecord s;
    s.token_hash = token;
    s.operator_id = operator_id;
    s.csrf_token = "csrf-" + token;
    s.second_factor_pending = true;
    s.created_ms = s.last_seen_ms = 100;
    s.expires_ms = expires;
    s.remote_address = "203.0.113.7";
    s.user_agent = "Mozilla/5.0 (테스트)";
    return s;
  }

  static StatusNoticeRecord notice(const std::string& id, const std::string& kind, const std::string& channel,
                                   TimeMs created) {
    StatusNoticeRecord n;
    n.id = id;
    n.kind = kind;
    n.channel = channel;
    n.severity = "outage";
    n.title_ko = "알림톡 지연";
    n.title_en = "AlimTalk delayed";
    n.body_ko = "문자로 안내드리고 있습니다";
    n.body_en = "We reach you by SMS meanwhile";
    n.created_ms = n.updated_ms = created;
    n.created_by = "system";
    return n;
  }

  static StaffAlertRecord alert(const std::string& kind, const std::string& subject, const std::string& dedup,
                                TimeMs created) {
    StaffAlertRecord a;
    a.kind = kind;
    a.subject = subject;
    a.dedup_key = dedup;
    a.severity = "critical";
    a.text_ko = "solapi 차단기 열림";
    a.text_en = "solapi breaker open";
    a.detail_json = R"({"failures":12})";
    a.created_ms = created;
    return a;
  }

  std::vector<std::string> audit_actions(std::int64_t before, const std::string& prefix, int limit) {
    auto rows = value([&](StoreSession& s) { return s.list_audit(before, prefix, limit); });
    std::vector<std::string> out;
    for (auto& r : rows) out.push_back(r.action);
    return out;
  }
};

INSTANTIATE_TEST_SUITE_P(Engine, ConsoleContract, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         test::engine_test_name);

// ---- operators --------------------------------------------------------------------------------

TEST_P(ConsoleContract, OperatorsRoundTripAndListByEmail) {
  OperatorRecord a = op("op_a", "zed@example.kr", "owner");
  a.totp_secret = "JBSWY3DPEHPK3PXP";
  a.locale = "en";
  a.on_duty = false;
  a.disabled_ms = 5;
  a.last_login_ms = 7;
  ASSERT_TRUE(run([&](StoreSession& s) { return s.insert_operator(a); }));
  ASSERT_TRUE(run([&](StoreSession& s) { return s.insert_operator(op("op_b", "amy@example.kr")); }));
  ASSERT_TRUE(run([&](StoreSession& s) { return s.insert_operator(op("op_c", "Bob@example.kr")); }));

  auto got = value([&](StoreSession& s) { return s.get_operator("op_a"); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->email, "zed@example.kr");
  EXPECT_EQ(got->name, "Name op_a");
  EXPECT_EQ(got->role, "owner");
  EXPECT_EQ(got->password_hash, a.password_hash);
  EXPECT_EQ(got->totp_secret, "JBSWY3DPEHPK3PXP");
  EXPECT_EQ(got->locale, "en");
  EXPECT_FALSE(got->on_duty);
  EXPECT_EQ(got->created_ms, 1000);
  EXPECT_EQ(got->updated_ms, 1000);
  EXPECT_EQ(got->disabled_ms, 5);
  EXPECT_EQ(got->last_login_ms, 7);

  auto by_email = value([&](StoreSession& s) { return s.get_operator_by_email("amy@example.kr"); });
  ASSERT_TRUE(by_email.has_value());
  EXPECT_EQ(by_email->id, "op_b");
  EXPECT_TRUE(by_email->on_duty);
  EXPECT_FALSE(value([&](StoreSession& s) { return s.get_operator_by_email("AMY@example.kr"); }).has_value());
  EXPECT_FALSE(value([&](StoreSession& s) { return s.get_operator("op_missing"); }).has_value());

  auto all = value([&](StoreSession& s) { return s.list_operators(); });
  std::vector<std::string> emails;
  for (auto& o : all) emails.push_back(o.email);
  // Byte order in both engines: upper case first.
  EXPECT_EQ(emails, (std::vector<std::string>{"Bob@example.kr", "amy@example.kr", "zed@example.kr"}));
  EXPECT_EQ(value([&](StoreSession& s) { return s.count_operators(); }), 3);
}

// A taken email (or id) is "conflict", and the same transaction may go on afterwards.
TEST_P(ConsoleContract, TakenEmailIsConflictAndTheTransactionGoesOn) {
  ASSERT_TRUE(run([&](StoreSession& s) { return s.insert_operator(op("op_a", "amy@example.kr")); }));
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    Status dup = s.insert_operator(op("op_other", "amy@example.kr"));
    EXPECT_EQ(dup.ok() ? "" : dup.error().code, "conflict");
    Status same_id = s.insert_operator(op("op_a", "new@example.kr"));
    EXPECT_EQ(same_id.ok() ? "" : same_id.error().code, "conflict");
    return s.insert_operator(op("op_b", "bob@example.kr"));
  }));
  EXPECT_EQ(value([&](StoreSession& s) { return s.count_operators(); }), 2);
}

TEST_P(ConsoleContract, UpdateOperatorReplacesTheRowButNotItsCreation) {
  ASSERT_TRUE(run([&](StoreSession& s) { return s.insert_operator(op("op_a", "amy@example.kr")); }));
  ASSERT_TRUE(run([&](StoreSession& s) { return s.insert_operator(op("op_b", "bob@example.kr")); }));
  OperatorRecord changed = op("op_a", "amy.kim@example.kr", "admin");
  changed.name = "Amy Kim";
  changed.totp_secret = "GEZDGNBVGY3TQOJQ";
  changed.on_duty = false;
  changed.created_ms = 99999;  // not a column update_operator writes
  changed.updated_ms = 2000;
  changed.last_login_ms = 1500;
  ASSERT_TRUE(run([&](StoreSession& s) { return s.update_operator(changed); }));
  auto got = value([&](StoreSession& s) { return s.get_operator("op_a"); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->email, "amy.kim@example.kr");
  EXPECT_EQ(got->name, "Amy Kim");
  EXPECT_EQ(got->role, "admin");
  EXPECT_EQ(got->totp_secret, "GEZDGNBVGY3TQOJQ");
  EXPECT_FALSE(got->on_duty);
  EXPECT_EQ(got->created_ms, 1000);
  EXPECT_EQ(got->updated_ms, 2000);
  EXPECT_EQ(got->last_login_ms, 1500);
  EXPECT_FALSE(value([&](StoreSession& s) { return s.get_operator_by_email("amy@example.kr"); }).has_value());

  Status missing = run([&](StoreSession& s) { return s.update_operator(op("op_missing", "x@example.kr")); });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "not_found");

  Status taken = run([&](StoreSession& s) { return s.update_operator(op("op_b", "amy.kim@example.kr")); });
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, "conflict");
  EXPECT_EQ(value([&](StoreSession& s) { return s.get_operator("op_b"); })->email, "bob@example.kr");
}

// ---- operator sessions ------------------------------------------------------------------------

TEST_P(ConsoleContract, SessionsRoundTripUpdateAndDelete) {
  ASSERT_TRUE(run([&](StoreSession& s) { return s.insert_operator_session(session("tok1", "op_a", 5000)); }));
  auto got = value([&](StoreSession& s) { return s.get_operator_session("tok1"); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->operator_id, "op_a");
  EXPECT_EQ(got->csrf_token, "csrf-tok1");
  EXPECT_TRUE(got->second_factor_pending);
  EXPECT_EQ(got->created_ms, 100);
  EXPECT_EQ(got->last_seen_ms, 100);
  EXPECT_EQ(got->expires_ms, 5000);
  EXPECT_EQ(got->remote_address, "203.0.113.7");
  EXPECT_EQ(got->user_agent, "Mozilla/5.0 (테스트)");

  Status dup = run([&](StoreSession& s) { return s.insert_operator_session(session("tok1", "op_b", 1)); });
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "conflict");

  OperatorSessionRecord passed = *got;
  passed.second_factor_pending = false;
  passed.last_seen_ms = 300;
  passed.expires_ms = 9000;
  ASSERT_TRUE(run([&](StoreSession& s) { return s.update_operator_session(passed); }));
  got = value([&](StoreSession& s) { return s.get_operator_session("tok1"); });
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->second_factor_pending);
  EXPECT_EQ(got->last_seen_ms, 300);
  EXPECT_EQ(got->expires_ms, 9000);

  ASSERT_TRUE(run([&](StoreSession& s) { return s.delete_operator_session("tok1"); }));
  EXPECT_FALSE(value([&](StoreSession& s) { return s.get_operator_session("tok1"); }).has_value());
  // A request that began before the sign-out does not bring the session back.
  ASSERT_TRUE(run([&](StoreSession& s) { return s.update_operator_session(passed); }));
  EXPECT_FALSE(value([&](StoreSession& s) { return s.get_operator_session("tok1"); }).has_value());
  ASSERT_TRUE(run([&](StoreSession& s) { return s.delete_operator_session("never-was"); }));
}

TEST_P(ConsoleContract, DeletingAnOperatorsSessionsSignsThemOutEverywhere) {
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    for (auto* t : {"a1", "a2", "a3"}) {
      if (auto st = s.insert_operator_session(session(t, "op_a", 5000)); !st) return st;
    }
    return s.insert_operator_session(session("b1", "op_b", 5000));
  }));
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    if (auto st = s.delete_operator_sessions("op_a"); !st) return st;
    // Within the same write, the deletion is already visible.
    auto gone = s.get_operator_session("a2");
    if (!gone) return gone.error();
    EXPECT_FALSE(gone->has_value());
    return {};
  }));
  for (auto* t : {"a1", "a2", "a3"}) {
    EXPECT_FALSE(value([&](StoreSession& s) { return s.get_operator_session(t); }).has_value()) << t;
  }
  EXPECT_TRUE(value([&](StoreSession& s) { return s.get_operator_session("b1"); }).has_value());
}

TEST_P(ConsoleContract, PurgeRemovesOnlySessionsExpiredBeforeTheTime) {
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    if (auto st = s.insert_operator_session(session("t100", "op_a", 100)); !st) return st;
    if (auto st = s.insert_operator_session(session("t200", "op_a", 200)); !st) return st;
    return s.insert_operator_session(session("t300", "op_b", 300));
  }));
  EXPECT_EQ(value([&](StoreSession& s) { return s.purge_operator_sessions(200); }), 1);
  EXPECT_FALSE(value([&](StoreSession& s) { return s.get_operator_session("t100"); }).has_value());
  EXPECT_TRUE(value([&](StoreSession& s) { return s.get_operator_session("t200"); }).has_value());
  EXPECT_EQ(value([&](StoreSession& s) { return s.purge_operator_sessions(200); }), 0);
  EXPECT_EQ(value([&](StoreSession& s) { return s.purge_operator_sessions(1000); }), 2);
}

// ---- login throttling -------------------------------------------------------------------------

TEST_P(ConsoleContract, LoginFailuresCountInTheWindowAndRestartAfterIt) {
  const std::string key = "account:amy@example.kr";
  constexpr TimeMs kWindow = 100;
  EXPECT_EQ(value([&](StoreSession& s) { return s.login_failures(key, 1000, kWindow); }), 0);
  EXPECT_EQ(value([&](StoreSession& s) { return s.add_login_failure(key, 1000, kWindow); }), 1);
  EXPECT_EQ(value([&](StoreSession& s) { return s.add_login_failure(key, 1050, kWindow); }), 2);
  EXPECT_EQ(value([&](StoreSession& s) { return s.add_login_failure(key, 1099, kWindow); }), 3);
  EXPECT_EQ(value([&](StoreSession& s) { return s.login_failures(key, 1099, kWindow); }), 3);
  // The window (started at the first failure) has passed: nothing counts any more, and the next
  // failure starts a new window.
  EXPECT_EQ(value([&](StoreSession& s) { return s.login_failures(key, 1100, kWindow); }), 0);
  EXPECT_EQ(value([&](StoreSession& s) { return s.add_login_failure(key, 1100, kWindow); }), 1);
  EXPECT_EQ(value([&](StoreSession& s) { return s.add_login_failure(key, 1150, kWindow); }), 2);
  EXPECT_EQ(value([&](StoreSession& s) { return s.login_failures(key, 1199, kWindow); }), 2);
  EXPECT_EQ(value([&](StoreSession& s) { return s.login_failures(key, 1200, kWindow); }), 0);

  // Keys count apart, and clearing one leaves the other.
  EXPECT_EQ(value([&](StoreSession& s) { return s.add_login_failure("ip:203.0.113.7", 1150, kWindow); }), 1);
  ASSERT_TRUE(run([&](StoreSession& s) { return s.clear_login_failures(key); }));
  EXPECT_EQ(value([&](StoreSession& s) { return s.login_failures(key, 1160, kWindow); }), 0);
  EXPECT_EQ(value([&](StoreSession& s) { return s.login_failures("ip:203.0.113.7", 1160, kWindow); }), 1);
  EXPECT_EQ(value([&](StoreSession& s) { return s.add_login_failure(key, 1160, kWindow); }), 1);
  ASSERT_TRUE(run([&](StoreSession& s) { return s.clear_login_failures("never-failed"); }));
}

// ---- audit log --------------------------------------------------------------------------------

TEST_P(ConsoleContract, AuditAssignsIncreasingIdsAndPagesNewestFirst) {
  std::vector<std::int64_t> ids;
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    for (int i = 0; i < 5; ++i) {
      AuditRecord r;
      r.at_ms = 100 + i;
      r.actor_id = "op_a";
      r.actor_email = "amy@example.kr";
      r.action = "provider.drain";
      r.target = "solapi-" + std::to_string(i);
      r.detail_json = R"({"reason":"점검"})";
      r.remote_address = "203.0.113.7";
      if (auto st = s.insert_audit(r); !st) return st;
      ids.push_back(r.id);
    }
    return {};
  }));
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_GT(ids[0], 0);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());

  auto first = value([&](StoreSession& s) { return s.list_audit(0, "", 2); });
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].id, ids[4]);
  EXPECT_EQ(first[1].id, ids[3]);
  EXPECT_EQ(first[0].at_ms, 104);
  EXPECT_EQ(first[0].actor_id, "op_a");
  EXPECT_EQ(first[0].actor_email, "amy@example.kr");
  EXPECT_EQ(first[0].action, "provider.drain");
  EXPECT_EQ(first[0].target, "solapi-4");
  EXPECT_EQ(first[0].detail_json, R"({"reason":"점검"})");
  EXPECT_EQ(first[0].remote_address, "203.0.113.7");
  auto second = value([&](StoreSession& s) { return s.list_audit(first.back().id, "", 2); });
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].id, ids[2]);
  EXPECT_EQ(second[1].id, ids[1]);
  auto last = value([&](StoreSession& s) { return s.list_audit(second.back().id, "", 2); });
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].id, ids[0]);
  EXPECT_TRUE(value([&](StoreSession& s) { return s.list_audit(ids[0], "", 2); }).empty());
}

TEST_P(ConsoleContract, AuditActionPrefixIsExactAndCaseSensitive) {
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    for (const char* action : {"provider.drain", "login.failed", "provider.enable", "providers", "operator.create",
                               "provider.disable", "Provider.drain", "공지.create", "공지사항", "a_b", "axb"}) {
      AuditRecord r;
      r.action = action;
      r.actor_id = "cli";
      if (auto st = s.insert_audit(r); !st) return st;
    }
    return {};
  }));
  EXPECT_EQ(audit_actions(0, "provider.", 10),
            (std::vector<std::string>{"provider.disable", "provider.enable", "provider.drain"}));
  EXPECT_EQ(audit_actions(0, "provider", 10),
            (std::vector<std::string>{"provider.disable", "providers", "provider.enable", "provider.drain"}));
  EXPECT_EQ(audit_actions(0, "login", 10), std::vector<std::string>{"login.failed"});
  EXPECT_TRUE(audit_actions(0, "PROVIDER.", 10).empty());
  EXPECT_EQ(audit_actions(0, "Provider.", 10), std::vector<std::string>{"Provider.drain"});
  // A prefix ending in a multi-byte character, and one with LIKE's wildcards, taken literally.
  EXPECT_EQ(audit_actions(0, "공지", 10), (std::vector<std::string>{"공지사항", "공지.create"}));
  EXPECT_EQ(audit_actions(0, "공지.", 10), std::vector<std::string>{"공지.create"});
  EXPECT_EQ(audit_actions(0, "a_", 10), std::vector<std::string>{"a_b"});
  EXPECT_TRUE(audit_actions(0, "a%", 10).empty());
  EXPECT_EQ(audit_actions(0, "provider.drain", 10), std::vector<std::string>{"provider.drain"});
  // Paging within a prefix.
  auto page = value([&](StoreSession& s) { return s.list_audit(0, "provider.", 2); });
  ASSERT_EQ(page.size(), 2u);
  auto rest = value([&](StoreSession& s) { return s.list_audit(page.back().id, "provider.", 2); });
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].action, "provider.drain");
}

// ---- status notices ---------------------------------------------------------------------------

TEST_P(ConsoleContract, OneUnresolvedAutomaticNoticePerChannel) {
  ASSERT_TRUE(run([&](StoreSession& s) { return s.insert_status_notice(notice("ntc_1", "auto", "alimtalk", 100)); }));
  Status second = run([&](StoreSession& s) { return s.insert_status_notice(notice("ntc_2", "auto", "alimtalk", 200)); });
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "conflict");
  // Another channel, and manual notices (about the same channel too), are not limited; and the
  // transaction goes on after the conflict.
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    Status again = s.insert_status_notice(notice("ntc_3", "auto", "alimtalk", 250));
    EXPECT_FALSE(again.ok());
    if (auto st = s.insert_status_notice(notice("ntc_4", "auto", "sms", 300)); !st) return st;
    if (auto st = s.insert_status_notice(notice("ntc_5", "manual", "alimtalk", 300)); !st) return st;
    return s.insert_status_notice(notice("ntc_6", "manual", "alimtalk", 310));
  }));
  Status same_id = run([&](StoreSession& s) { return s.insert_status_notice(notice("ntc_5", "manual", "", 1)); });
  ASSERT_FALSE(same_id.ok());
  EXPECT_EQ(same_id.error().code, "conflict");

  // Resolved, the channel may have a new automatic notice.
  auto first = value([&](StoreSession& s) { return s.get_status_notice("ntc_1"); });
  ASSERT_TRUE(first.has_value());
  first->resolved_ms = first->updated_ms = 400;
  ASSERT_TRUE(run([&](StoreSession& s) { return s.update_status_notice(*first); }));
  ASSERT_TRUE(run([&](StoreSession& s) { return s.insert_status_notice(notice("ntc_7", "auto", "alimtalk", 500)); }));
  // Reopening the resolved one now would make two.
  first->resolved_ms = 0;
  Status reopen = run([&](StoreSession& s) { return s.update_status_notice(*first); });
  ASSERT_FALSE(reopen.ok());
  EXPECT_EQ(reopen.error().code, "conflict");
}

TEST_P(ConsoleContract, NoticesRoundTripAndUpdateOfAMissingOneIsNotFound) {
  StatusNoticeRecord n = notice("ntc_1", "manual", "", 100);
  n.severity = "info";
  ASSERT_TRUE(run([&](StoreSession& s) { return s.insert_status_notice(n); }));
  auto got = value([&](StoreSession& s) { return s.get_status_notice("ntc_1"); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->kind, "manual");
  EXPECT_EQ(got->channel, "");
  EXPECT_EQ(got->severity, "info");
  EXPECT_EQ(got->title_ko, "알림톡 지연");
  EXPECT_EQ(got->title_en, "AlimTalk delayed");
  EXPECT_EQ(got->body_ko, "문자로 안내드리고 있습니다");
  EXPECT_EQ(got->body_en, "We reach you by SMS meanwhile");
  EXPECT_EQ(got->created_ms, 100);
  EXPECT_EQ(got->updated_ms, 100);
  EXPECT_EQ(got->resolved_ms, 0);
  EXPECT_EQ(got->created_by, "system");
  got->title_en = "Delayed";
  got->severity = "degraded";
  got->updated_ms = 150;
  ASSERT_TRUE(run([&](StoreSession& s) { return s.update_status_notice(*got); }));
  auto again = value([&](StoreSession& s) { return s.get_status_notice("ntc_1"); });
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->title_en, "Delayed");
  EXPECT_EQ(again->severity, "degraded");
  EXPECT_EQ(again->updated_ms, 150);
  EXPECT_FALSE(value([&](StoreSession& s) { return s.get_status_notice("ntc_missing"); }).has_value());
  Status missing = run([&](StoreSession& s) { return s.update_status_notice(notice("ntc_missing", "manual", "", 1)); });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "not_found");
}

TEST_P(ConsoleContract, NoticeListHasOpenAndRecentlyResolvedNewestFirst) {
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    auto add = [&](const std::string& id, TimeMs created, TimeMs resolved) {
      StatusNoticeRecord n = notice(id, "manual", "", created);
      n.resolved_ms = resolved;
      return s.insert_status_notice(n);
    };
    if (auto st = add("ntc_old_resolved", 100, 200); !st) return st;
    if (auto st = add("ntc_open_old", 150, 0); !st) return st;
    if (auto st = add("ntc_recent_resolved", 300, 1000); !st) return st;
    if (auto st = add("ntc_b", 400, 0); !st) return st;
    return add("ntc_a", 400, 0);  // same time as ntc_b
  }));
  auto ids = [&](TimeMs after, int limit) {
    std::vector<std::string> out;
    for (auto& n : value([&](StoreSession& s) { return s.list_status_notices(after, limit); })) out.push_back(n.id);
    return out;
  };
  EXPECT_EQ(ids(1000, 10), (std::vector<std::string>{"ntc_b", "ntc_a", "ntc_recent_resolved", "ntc_open_old"}));
  EXPECT_EQ(ids(1001, 10), (std::vector<std::string>{"ntc_b", "ntc_a", "ntc_open_old"}));
  EXPECT_EQ(ids(0, 10).size(), 5u);
  EXPECT_EQ(ids(0, 2), (std::vector<std::string>{"ntc_b", "ntc_a"}));
}

// ---- staff alerts -----------------------------------------------------------------------------

TEST_P(ConsoleContract, StaffAlertWithATakenDedupKeyIsNotInserted) {
  StaffAlertRecord a = alert("breaker_open", "solapi", "breaker_open:solapi:1000", 1000);
  EXPECT_TRUE(value([&](StoreSession& s) { return s.insert_staff_alert(a, 0); }));
  EXPECT_GT(a.id, 0);
  // The same event seen by another node: another kind or time changes nothing, the key decides.
  StaffAlertRecord again = alert("queue_backlog", "sms", "breaker_open:solapi:1000", 999999);
  EXPECT_FALSE(value([&](StoreSession& s) { return s.insert_staff_alert(again, 0); }));
  EXPECT_EQ(again.id, 0);
  // A "not inserted" leaves the transaction usable.
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    StaffAlertRecord dup = a;
    auto r = s.insert_staff_alert(dup, 0);
    if (!r) return r.error();
    EXPECT_FALSE(*r);
    StaffAlertRecord other = alert("spending_cap", "sms", "spending_cap:sms:day1", 2000);
    auto o = s.insert_staff_alert(other, 0);
    if (!o) return o.error();
    EXPECT_TRUE(*o);
    return {};
  }));
  EXPECT_EQ(value([&](StoreSession& s) { return s.list_staff_alerts(0, 10); }).size(), 2u);
}

TEST_P(ConsoleContract, StaffAlertQuietPeriodPerKindAndSubject) {
  constexpr TimeMs kQuiet = 1000;
  auto insert = [&](const std::string& kind, const std::string& subject, TimeMs at) {
    StaffAlertRecord a = alert(kind, subject, kind + ":" + subject + ":" + std::to_string(at), at);
    return value([&](StoreSession& s) { return s.insert_staff_alert(a, kQuiet); });
  };
  EXPECT_TRUE(insert("breaker_open", "solapi", 10000));
  EXPECT_FALSE(insert("breaker_open", "solapi", 10500));  // within the quiet period
  EXPECT_FALSE(insert("breaker_open", "solapi", 10999));
  EXPECT_TRUE(insert("breaker_open", "nhn", 10500));      // another subject
  EXPECT_TRUE(insert("breaker_closed", "solapi", 10500));  // another kind
  EXPECT_TRUE(insert("breaker_open", "solapi", 11000));   // 10000 is not after 11000 - 1000
  EXPECT_FALSE(insert("breaker_open", "solapi", 11500));
  EXPECT_EQ(value([&](StoreSession& s) { return s.list_staff_alerts(0, 100); }).size(), 4u);
}

TEST_P(ConsoleContract, StaffAlertsUpdateAndPageNewestFirst) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 4; ++i) {
    StaffAlertRecord a = alert("queue_backlog", "sms", "backlog:" + std::to_string(i), 100 + i);
    ASSERT_TRUE(value([&](StoreSession& s) { return s.insert_staff_alert(a, 0); }));
    ids.push_back(a.id);
  }
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  auto page = value([&](StoreSession& s) { return s.list_staff_alerts(0, 3); });
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].id, ids[3]);
  EXPECT_EQ(page[2].id, ids[1]);
  EXPECT_EQ(page[0].kind, "queue_backlog");
  EXPECT_EQ(page[0].subject, "sms");
  EXPECT_EQ(page[0].dedup_key, "backlog:3");
  EXPECT_EQ(page[0].severity, "critical");
  EXPECT_EQ(page[0].text_ko, "solapi 차단기 열림");
  EXPECT_EQ(page[0].text_en, "solapi breaker open");
  EXPECT_EQ(page[0].detail_json, R"({"failures":12})");
  EXPECT_EQ(page[0].delivery_json, "[]");
  EXPECT_EQ(page[0].created_ms, 103);
  EXPECT_EQ(page[0].acknowledged_by, "");
  EXPECT_EQ(page[0].acknowledged_ms, 0);
  auto rest = value([&](StoreSession& s) { return s.list_staff_alerts(page.back().id, 3); });
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].id, ids[0]);

  StaffAlertRecord acked = page[0];
  acked.delivery_json = R"([{"operator":"op_a","via":"email","message_id":"msg_1"}])";
  acked.acknowledged_by = "op_a";
  acked.acknowledged_ms = 500;
  acked.created_ms = 1;  // the event's time stays as raised
  ASSERT_TRUE(run([&](StoreSession& s) { return s.update_staff_alert(acked); }));
  auto now = value([&](StoreSession& s) { return s.list_staff_alerts(0, 1); });
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].delivery_json, acked.delivery_json);
  EXPECT_EQ(now[0].acknowledged_by, "op_a");
  EXPECT_EQ(now[0].acknowledged_ms, 500);
  EXPECT_EQ(now[0].created_ms, 103);
  StaffAlertRecord missing = acked;
  missing.id = ids.back() + 100;
  Status st = run([&](StoreSession& s) { return s.update_staff_alert(missing); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "not_found");
}

// ---- settings ---------------------------------------------------------------------------------

TEST_P(ConsoleContract, SettingsReplaceAndListByPrefixInKeyOrder) {
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    for (auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"provider.solapi", R"({"enabled":true,"drained":false})"},
             {"provider.nhn", R"({"enabled":false})"},
             {"chain.sms", R"(["nhn","solapi"])"},
             {"providers", "{}"},
             {"status.templates", R"({"down_ko":"{channel} 지연"})"}}) {
      if (auto st = s.put_setting(SettingRecord{key, value, 100, "op_a"}); !st) return st;
    }
    return {};
  }));
  ASSERT_TRUE(run([&](StoreSession& s) {
    return s.put_setting(SettingRecord{"provider.nhn", R"({"enabled":true,"drained":true,"reason":"점검"})", 200, "op_b"});
  }));
  auto nhn = value([&](StoreSession& s) { return s.get_setting("provider.nhn"); });
  ASSERT_TRUE(nhn.has_value());
  EXPECT_EQ(nhn->value_json, R"({"enabled":true,"drained":true,"reason":"점검"})");
  EXPECT_EQ(nhn->updated_ms, 200);
  EXPECT_EQ(nhn->updated_by, "op_b");
  EXPECT_FALSE(value([&](StoreSession& s) { return s.get_setting("chain.alimtalk"); }).has_value());

  auto keys = [&](const std::string& prefix) {
    std::vector<std::string> out;
    for (auto& r : value([&](StoreSession& s) { return s.list_settings(prefix); })) out.push_back(r.key);
    return out;
  };
  EXPECT_EQ(keys("provider."), (std::vector<std::string>{"provider.nhn", "provider.solapi"}));
  EXPECT_EQ(keys(""),
            (std::vector<std::string>{"chain.sms", "provider.nhn", "provider.solapi", "providers", "status.templates"}));
  EXPECT_EQ(keys("status.templates"), std::vector<std::string>{"status.templates"});
  EXPECT_TRUE(keys("chain.alimtalk").empty());
}

// Console rows survive closing and opening the store again (migrations find nothing to do).
TEST_P(ConsoleContract, RowsSurviveReopening) {
  ASSERT_TRUE(run([&](StoreSession& s) -> Status {
    if (auto st = s.insert_operator(op("op_a", "amy@example.kr", "owner")); !st) return st;
    if (auto st = s.put_setting(SettingRecord{"chain.sms", "[]", 1, "cli"}); !st) return st;
    return s.insert_status_notice(notice("ntc_1", "auto", "sms", 1));
  }));
  reopen();
  ASSERT_TRUE(store_);
  EXPECT_EQ(value([&](StoreSession& s) { return s.count_operators(); }), 1);
  EXPECT_TRUE(value([&](StoreSession& s) { return s.get_setting("chain.sms"); }).has_value());
  Status dup = run([&](StoreSession& s) { return s.insert_status_notice(notice("ntc_2", "auto", "sms", 2)); });
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "conflict");
}

}  // namespace
}  // namespace jarip::store
