#include "common/standard_webhooks.hpp"

#include <gtest/gtest.h>

#include "common/crypto.hpp"

namespace jarip::standard_webhooks {
namespace {

// The test vector of standard-webhooks' own libraries (libraries/python/tests/test_webhooks.py,
// test_sign_function; the same values appear in the other language libraries' tests).
constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view kMsgId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t kTimestamp = 1614265330;
constexpr std::string_view kBody = R"({"test": 2432232314})";
constexpr std::string_view kSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

TEST(StandardWebhooks, SignMatchesPublishedVector) {
  Result<std::string> signature = sign(kSecret, kMsgId, kTimestamp, kBody);
  ASSERT_TRUE(signature.ok()) << signature.error().message;
  EXPECT_EQ(*signature, kSignature);
}

TEST(StandardWebhooks, SecretPrefixIsOptional) {
  Result<std::string> signature = sign(kSecret.substr(6), kMsgId, kTimestamp, kBody);
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(*signature, kSignature);
}

TEST(StandardWebhooks, VerifyPublishedVector) {
  EXPECT_TRUE(verify(kSecret, kMsgId, "1614265330", kBody, kSignature, kTimestamp).ok());
}

TEST(StandardWebhooks, VerifyRejectsAlteredParts) {
  auto code = [](Status status) { return status.ok() ? std::string("ok") : status.error().code; };
  // The library's own "invalid signature" case: the last base64 character differs.
  EXPECT_EQ(code(verify(kSecret, kMsgId, "1614265330", kBody, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=",
                        kTimestamp)),
            "webhook_signature_mismatch");
  EXPECT_EQ(code(verify(kSecret, "msg_other", "1614265330", kBody, kSignature, kTimestamp)),
            "webhook_signature_mismatch");
  EXPECT_EQ(code(verify(kSecret, kMsgId, "1614265331", kBody, kSignature, kTimestamp)), "webhook_signature_mismatch");
  EXPECT_EQ(code(verify(kSecret, kMsgId, "1614265330", R"({"test": 2432232315})", kSignature, kTimestamp)),
            "webhook_signature_mismatch");
  EXPECT_EQ(code(verify(generate_secret(), kMsgId, "1614265330", kBody, kSignature, kTimestamp)),
            "webhook_signature_mismatch");
  EXPECT_EQ(code(verify(kSecret, kMsgId, "1614265330", kBody, "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
                        kTimestamp)),
            "webhook_signature_mismatch")
      << "only v1 is a symmetric signature";
  EXPECT_EQ(code(verify(kSecret, kMsgId, "1614265330", kBody, "v1,not base64!", kTimestamp)),
            "webhook_signature_mismatch");
}

TEST(StandardWebhooks, VerifyAcceptsOneMatchAmongSeveral) {
  std::string header = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= " +
                       std::string(kSignature) + " v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
  EXPECT_TRUE(verify(kSecret, kMsgId, "1614265330", kBody, header, kTimestamp).ok());
  EXPECT_TRUE(verify(kSecret, kMsgId, "1614265330", kBody, "  " + std::string(kSignature) + " ", kTimestamp).ok());
}

TEST(StandardWebhooks, TimestampToleranceIsInclusive) {
  auto check = [](std::int64_t now_s) { return verify(kSecret, kMsgId, "1614265330", kBody, kSignature, now_s); };
  EXPECT_TRUE(check(kTimestamp + 300).ok());
  EXPECT_TRUE(check(kTimestamp - 300).ok());
  Status too_old = check(kTimestamp + 301);
  ASSERT_FALSE(too_old.ok());
  EXPECT_EQ(too_old.error().code, "webhook_timestamp_too_old");
  EXPECT_EQ(too_old.error().field, "webhook-timestamp");
  Status too_new = check(kTimestamp - 301);
  ASSERT_FALSE(too_new.ok());
  EXPECT_EQ(too_new.error().code, "webhook_timestamp_too_new");
  EXPECT_TRUE(verify(kSecret, kMsgId, "1614265330", kBody, kSignature, kTimestamp + 3'600, 3'600).ok());
}

TEST(StandardWebhooks, MalformedHeaders) {
  struct Case {
    std::string_view msg_id, timestamp, signature, code, field;
  };
  const Case cases[] = {
      {"", "1614265330", kSignature, "webhook_header_missing", "webhook-id"},
      {kMsgId, "", kSignature, "webhook_header_missing", "webhook-timestamp"},
      {kMsgId, "1614265330", "", "webhook_header_missing", "webhook-signature"},
      {kMsgId, "hello", kSignature, "webhook_timestamp_invalid", "webhook-timestamp"},
      {kMsgId, "-1614265330", kSignature, "webhook_timestamp_invalid", "webhook-timestamp"},
      {kMsgId, "1614265330.0", kSignature, "webhook_timestamp_invalid", "webhook-timestamp"},
      {kMsgId, "99999999999999999999999", kSignature, "webhook_timestamp_invalid", "webhook-timestamp"},
  };
  for (const Case& c : cases) {
    Status status = verify(kSecret, c.msg_id, c.timestamp, kBody, c.signature, kTimestamp);
    ASSERT_FALSE(status.ok()) << c.timestamp;
    EXPECT_EQ(status.error().code, c.code) << c.timestamp;
    EXPECT_EQ(status.error().field, c.field) << c.timestamp;
  }
}

TEST(StandardWebhooks, InvalidSecrets) {
  for (std::string_view secret : {"whsec_", "", "whsec_!!!!", "whsec_a"}) {
    Result<std::string> signature = sign(secret, kMsgId, kTimestamp, kBody);
    ASSERT_FALSE(signature.ok()) << secret;
    EXPECT_EQ(signature.error().code, "webhook_secret_invalid");
    Status status = verify(secret, kMsgId, "1614265330", kBody, kSignature, kTimestamp);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().code, "webhook_secret_invalid");
  }
}

TEST(StandardWebhooks, UnpaddedSecretIsAccepted) {
  std::string key = crypto::random_bytes(31);  // base64 with one '='
  std::string padded = crypto::base64_encode(key);
  ASSERT_EQ(padded.back(), '=');
  std::string unpadded = padded.substr(0, padded.size() - 1);
  Result<std::string> a = sign("whsec_" + padded, kMsgId, kTimestamp, kBody);
  Result<std::string> b = sign("whsec_" + unpadded, kMsgId, kTimestamp, kBody);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(StandardWebhooks, GeneratedSecretsRoundTrip) {
  std::string secret = generate_secret();
  EXPECT_TRUE(secret.starts_with("whsec_"));
  Result<std::string> key = decode_secret(secret);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->size(), 32u);
  EXPECT_NE(secret, generate_secret());
  Result<std::string> signature = sign(secret, "msg_1", 1'700'000'000, "{}");
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(verify(secret, "msg_1", "1700000000", "{}", *signature, 1'700'000'010).ok());
}

}  // namespace
}  // namespace jarip::standard_webhooks
