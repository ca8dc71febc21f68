// Consent changes a customer makes on their own pages: withdrawal and two-yearly renewal, with
// their history and the §50⑧ confirmation notice, against a real SQLite store.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "customers/directory.hpp"
#include "notify/consent_ops.hpp"
#include "notify/recipients.hpp"
#include "text/kst.hpp"

namespace jarip::notify {
namespace {

constexpr TimeMs kNow = 1'790'000'000'000;  // 2026-09-21T23:13:20+09:00

class ConsentOps : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = std::filesystem::temp_directory_path() / ("jarip-consentops-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    path_ = (dir / (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".db")).string();
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
    auto s = store::open_sqlite_store({path_});
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    notices_.sender_name = "자립상점";
    notices_.compose = [this](const std::string& customer_id, const std::string& text) -> Result<store::MessageRecord> {
      store::MessageRecord m;
      m.id = "notice-" + std::to_string(++composed_);
      m.api_key_id = "";
      m.created_ms = m.updated_ms = m.due_ms = kNow;
      m.recipient_json = R"({"customer_id":")" + customer_id + R"("})";  // addresses filled from the directory
      m.rendered_json = R"({"sms":{"text":"notice","subject":"","kind":"lms"}})";
      m.chain_json = R"(["sms@nhn"])";
      m.metadata_json = "{}";
      texts_.push_back(text);
      return m;
    };
    customers::Customer c;
    c.id = "c-1";
    c.name = "김민수";
    c.locale = "ko";
    c.phones = {"01012345678"};
    c.consents = {{"sms", "ad", true, "2024-09-01T10:00:00+09:00", "web_signup", "form #17"},
                  {"*", "ad_night", true, "2024-09-01T10:00:00+09:00", "web_signup", ""},
                  {"email", "ad", true, "2025-01-05T10:00:00+09:00", "", ""},
                  {"alimtalk", "ad", false, "2025-01-05T10:00:00+09:00", "", ""},
                  {"sms", "info", true, "2024-09-01T10:00:00+09:00", "", ""}};
    put(c);
  }

  void put(const customers::Customer& c) {
    ASSERT_TRUE(store_->run_now([&](store::StoreSession& s) { return s.put_customer(customer_record(c, 1)); }));
  }

  template <class F>
  ConsentChangeOutcome change(F f) {
    ConsentChangeOutcome out;
    Status st = store_->run_now([&](store::StoreSession& s) -> Status {
      auto r = f(s);
      if (!r) return r.error();
      out = *r;
      return {};
    });
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
    return out;
  }

  customers::Customer customer(const std::string& id = "c-1") {
    customers::Customer out;
    EXPECT_TRUE(store_->run_now([&](store::StoreSession& s) -> Status {
      auto c = load_customer(s, id);
      if (!c) return c.error();
      if (*c) out = **c;
      return {};
    }));
    return out;
  }

  std::vector<store::ConsentEventRecord> events() {
    std::vector<store::ConsentEventRecord> out;
    EXPECT_TRUE(store_->run_now([&](store::StoreSession& s) -> Status {
      auto r = s.list_consent_events("c-1", 100);
      if (!r) return r.error();
      out = *r;
      return {};
    }));
    return out;
  }

  const customers::Consent* find(const customers::Customer& c, const std::string& channel, const std::string& purpose) {
    for (auto& k : c.consents) {
      if (k.channel == channel && k.purpose == purpose) return &k;
    }
    return nullptr;
  }

  std::string path_;
  std::unique_ptr<store::Store> store_;
  ConsentNotices notices_;
  int composed_ = 0;
  std::vector<std::string> texts_;
};

TEST_F(ConsentOps, WithdrawingOneChannelRecordsHistoryAndConfirmsIt) {
  auto out = change([&](store::StoreSession& s) {
    return withdraw_ad_consent(s, notices_, "c-1", "sms", "unsubscribe link", "from 203.0.113.7", kNow);
  });
  EXPECT_TRUE(out.customer_found);
  EXPECT_EQ(out.changed, 2);  // sms ad withdrawn; sms ad_night refused (its own record, over "*")
  EXPECT_TRUE(out.notice_stored);
  auto c = customer();
  const std::string now_text = text::format_kst(kNow);
  ASSERT_NE(find(c, "sms", "ad"), nullptr);
  EXPECT_EQ(*find(c, "sms", "ad"), (customers::Consent{"sms", "ad", false, now_text, "unsubscribe link", "from 203.0.113.7"}));
  ASSERT_NE(find(c, "sms", "ad_night"), nullptr);
  EXPECT_FALSE(find(c, "sms", "ad_night")->granted);
  EXPECT_TRUE(find(c, "email", "ad")->granted);     // other channels untouched
  EXPECT_TRUE(find(c, "*", "ad_night")->granted);
  EXPECT_TRUE(find(c, "sms", "info")->granted);     // informational consent untouched
  EXPECT_FALSE(customers::ad_permission(c, "sms", kNow).allowed);
  EXPECT_TRUE(customers::ad_permission(c, "email", kNow).allowed);
  auto history = events();
  ASSERT_EQ(history.size(), 2u);
  for (auto& e : history) {
    EXPECT_EQ(e.channel, "sms");
    EXPECT_FALSE(e.granted);
    EXPECT_EQ(e.source, "unsubscribe link");
    EXPECT_EQ(e.evidence, "from 203.0.113.7");
    EXPECT_EQ(e.at, now_text);
  }
  ASSERT_EQ(texts_.size(), 1u);
  EXPECT_NE(texts_[0].find("[자립상점]"), std::string::npos) << texts_[0];
  EXPECT_NE(texts_[0].find("문자(SMS) 광고성 정보 수신 거부(철회)"), std::string::npos) << texts_[0];
  // The notice is addressed to the customer and in their inbox.
  std::string customer_of_notice;
  ASSERT_TRUE(store_->run_now([&](store::StoreSession& s) -> Status {
    auto m = s.get_message("notice-1");
    if (!m) return m.error();
    if (*m) customer_of_notice = recipient_customer_id(**m);
    return {};
  }));
  EXPECT_EQ(customer_of_notice, "c-1");

  // A repeated withdrawal changes and records nothing, and sends no second notice.
  auto again = change([&](store::StoreSession& s) {
    return withdraw_ad_consent(s, notices_, "c-1", "sms", "unsubscribe link", "again", kNow + 1000);
  });
  EXPECT_TRUE(again.customer_found);
  EXPECT_EQ(again.changed, 0);
  EXPECT_FALSE(again.notice_stored);
  EXPECT_EQ(events().size(), 2u);
  EXPECT_EQ(texts_.size(), 1u);
}

TEST_F(ConsentOps, WithdrawingEveryChannelAlsoWithdrawsChannelsOwnRecords) {
  auto out = change([&](store::StoreSession& s) {
    return withdraw_ad_consent(s, notices_, "c-1", "*", "list-unsubscribe one-click", "", kNow);
  });
  EXPECT_TRUE(out.notice_stored);
  auto c = customer();
  for (std::string channel : {"sms", "alimtalk", "email", "push"}) {
    auto p = customers::ad_permission(c, channel, kNow);
    EXPECT_FALSE(p.allowed) << channel;
    EXPECT_EQ(p.code, "ad_consent_withdrawn") << channel;
  }
  EXPECT_TRUE(find(c, "sms", "info")->granted);
  // "*" ad (new refusal), "*" ad_night, sms ad, email ad; alimtalk's refusal stays as it was.
  EXPECT_EQ(out.changed, 4);
  EXPECT_EQ(find(c, "alimtalk", "ad")->at, "2025-01-05T10:00:00+09:00");
  EXPECT_EQ(events().size(), 4u);
}

TEST_F(ConsentOps, RenewingGivesGrantedAdConsentsANewTimeOnce) {
  auto out = change([&](store::StoreSession& s) {
    return renew_ad_consent(s, notices_, "c-1", "re-confirmation link", "answered yes", kNow);
  });
  EXPECT_TRUE(out.customer_found);
  EXPECT_EQ(out.changed, 3);  // sms ad, * ad_night, email ad
  EXPECT_TRUE(out.notice_stored);
  auto c = customer();
  const std::string now_text = text::format_kst(kNow);
  EXPECT_EQ(*find(c, "sms", "ad"), (customers::Consent{"sms", "ad", true, now_text, "re-confirmation link", "answered yes"}));
  EXPECT_EQ(find(c, "*", "ad_night")->at, now_text);
  EXPECT_EQ(find(c, "email", "ad")->at, now_text);
  EXPECT_FALSE(find(c, "alimtalk", "ad")->granted);  // a refusal is never turned into consent
  EXPECT_EQ(find(c, "alimtalk", "ad")->at, "2025-01-05T10:00:00+09:00");
  EXPECT_EQ(find(c, "sms", "info")->at, "2024-09-01T10:00:00+09:00");
  auto history = events();
  ASSERT_EQ(history.size(), 3u);
  for (auto& e : history) {
    EXPECT_TRUE(e.granted);
    EXPECT_EQ(e.source, "re-confirmation link");
  }
  // Answering yes again the same day records nothing twice.
  auto again = change([&](store::StoreSession& s) {
    return renew_ad_consent(s, notices_, "c-1", "re-confirmation link", "answered yes", kNow + 60'000);
  });
  EXPECT_EQ(again.changed, 0);
  EXPECT_FALSE(again.notice_stored);
  EXPECT_EQ(events().size(), 3u);
}

TEST_F(ConsentOps, AnUnknownCustomerIsNoError) {
  auto out = change([&](store::StoreSession& s) {
    return withdraw_ad_consent(s, notices_, "nobody", "sms", "unsubscribe link", "", kNow);
  });
  EXPECT_FALSE(out.customer_found);
  auto renewed = change([&](store::StoreSession& s) {
    return renew_ad_consent(s, notices_, "nobody", "re-confirmation link", "", kNow);
  });
  EXPECT_FALSE(renewed.customer_found);
  EXPECT_TRUE(texts_.empty());
}

TEST_F(ConsentOps, NoNoticeWithoutAPhoneButTheChangeStands) {
  auto c = customer();
  c.phones.clear();
  put(c);
  auto out = change([&](store::StoreSession& s) {
    return withdraw_ad_consent(s, notices_, "c-1", "email", "unsubscribe link", "", kNow);
  });
  EXPECT_EQ(out.changed, 2);
  EXPECT_FALSE(out.notice_stored);
  EXPECT_FALSE(customers::ad_permission(customer(), "email", kNow).allowed);
}

TEST_F(ConsentOps, RefusesAnUnknownChannel) {
  Status st = store_->run_now([&](store::StoreSession& s) -> Status {
    auto r = withdraw_ad_consent(s, notices_, "c-1", "fax", "unsubscribe link", "", kNow);
    if (!r) return r.error();
    return {};
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "invalid_value");
  EXPECT_TRUE(events().empty());
}

TEST_F(ConsentOps, ChangeFunctionDispatchesAnswers) {
  auto fn = make_consent_change_function(std::make_shared<const ConsentNotices>(notices_));
  AdConsentAnswer no{AdConsentAnswer::Kind::withdraw, "c-1", "*", "re-confirmation link", "answered no"};
  auto out = change([&](store::StoreSession& s) { return fn(s, no, kNow); });
  EXPECT_EQ(out.changed, 4);
  EXPECT_FALSE(customers::ad_permission(customer(), "sms", kNow).allowed);
}

}  // namespace
}  // namespace jarip::notify
