#include <gtest/gtest.h>

#include <unordered_map>

#include "sim/solapi_auth.hpp"
#include "sim_test_util.hpp"

namespace jarip::sim {
namespace {

using test::kT0;

class SolapiAuth : public ::testing::Test {
 protected:
  SimConfig cfg = default_config();
  std::unordered_map<std::string, std::int64_t> seen;
  std::optional<AuthFailure> verify(const std::string& header, std::int64_t now = kT0) {
    return verify_solapi_auth(header, cfg.solapi.api_key, cfg.solapi.api_secret, now, &seen);
  }
};

TEST_F(SolapiAuth, AcceptsAFreshSignature) {
  EXPECT_FALSE(verify(test::solapi_authorization(cfg, kT0, "0123456789abcdef")));
}

TEST_F(SolapiAuth, AcceptsOffsetDatesAsTheSdkFormatsThem) {
  // date-fns formatISO: local time with offset, seconds precision.
  const std::string date = "2024-05-01T10:00:00+09:00";
  const std::string salt = "jqsba2jxjnrjor0123";
  std::string sig = crypto::to_hex(crypto::hmac_sha256(cfg.solapi.api_secret, date + salt));
  EXPECT_FALSE(verify("HMAC-SHA256 apiKey=" + cfg.solapi.api_key + ", date=" + date + ", salt=" + salt + ", signature=" + sig));
}

TEST_F(SolapiAuth, RejectsUnknownKey) {
  auto h = test::solapi_authorization(cfg, kT0, "0123456789abcdef");
  cfg.solapi.api_key = "NCSOTHERKEY00000";
  auto f = verify(h);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->error_code, "InvalidAPIKey");
  EXPECT_EQ(f->http_status, 403);
}

TEST_F(SolapiAuth, RejectsBadSignature) {
  auto h = test::solapi_authorization(cfg, kT0, "0123456789abcdef");
  h.back() = h.back() == '0' ? '1' : '0';
  auto f = verify(h);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->error_code, "SignatureDoesNotMatch");
}

TEST_F(SolapiAuth, RejectsStaleAndFutureDatesBeyondFifteenMinutes) {
  auto stale = verify(test::solapi_authorization(cfg, kT0 - 15 * 60 * 1000 - 1000, "stale0123456789"));
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->error_code, "RequestTimeTooSkewed");
  auto future = verify(test::solapi_authorization(cfg, kT0 + 15 * 60 * 1000 + 1000, "future0123456789"));
  ASSERT_TRUE(future);
  EXPECT_EQ(future->error_code, "RequestTimeTooSkewed");
  EXPECT_FALSE(verify(test::solapi_authorization(cfg, kT0 - 14 * 60 * 1000, "inside0123456789")));
}

TEST_F(SolapiAuth, RejectsAReusedSignatureWithinFifteenMinutes) {
  auto h = test::solapi_authorization(cfg, kT0, "0123456789abcdef");
  EXPECT_FALSE(verify(h));
  auto again = verify(h, kT0 + 1000);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->error_code, "DuplicatedSignature");
}

TEST_F(SolapiAuth, MalformedHeadersAreUnauthorizedNotCrashes) {
  for (const char* h : {"", "HMAC-SHA256", "Bearer abc", "HMAC-SHA256 apiKey=", "HMAC-SHA256 apiKey=a, date=b, salt=c",
                        "HMAC-SHA256 ,,,,=,=", "HMAC-SHA256 apiKey=x, date=not-a-date, salt=s, signature=00"}) {
    auto f = verify(h);
    ASSERT_TRUE(f) << h;
  }
}

}  // namespace
}  // namespace jarip::sim
