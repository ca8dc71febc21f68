#include "auth/totp.hpp"

#include <gtest/gtest.h>

namespace jarip::auth {
namespace {

const std::string kRfcSecret = "12345678901234567890";

TEST(Hotp, Rfc4226AppendixDVectors) {
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (int i = 0; i < 10; ++i) EXPECT_EQ(hotp(kRfcSecret, static_cast<std::uint64_t>(i)), expected[i]) << i;
}

TEST(Totp, Rfc6238AppendixBVectorsSha1) {
  struct Vector {
    std::int64_t unix_s;
    const char* code;
  } vectors[] = {{59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
                 {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
  TotpParameters eight{8, 30, 0};
  for (auto& v : vectors) {
    EXPECT_EQ(hotp(kRfcSecret, static_cast<std::uint64_t>(v.unix_s / 30), 8), v.code) << v.unix_s;
    auto step = verify_totp(kRfcSecret, v.code, v.unix_s * 1000, eight);
    ASSERT_TRUE(step.has_value()) << v.unix_s;
    EXPECT_EQ(*step, v.unix_s / 30);
  }
}

TEST(Totp, WindowAcceptsOneStepEitherSideOnly) {
  TimeMs now = 1'700'000'000'000;
  std::int64_t step = now / 1000 / 30;
  EXPECT_TRUE(verify_totp(kRfcSecret, hotp(kRfcSecret, step - 1), now));
  EXPECT_TRUE(verify_totp(kRfcSecret, hotp(kRfcSecret, step + 1), now));
  EXPECT_FALSE(verify_totp(kRfcSecret, hotp(kRfcSecret, step - 2), now));
  EXPECT_FALSE(verify_totp(kRfcSecret, hotp(kRfcSecret, step + 2), now));
  EXPECT_EQ(verify_totp(kRfcSecret, hotp(kRfcSecret, step), now), step);
}

TEST(Totp, RefusesWrongLengthAndWrongCode) {
  TimeMs now = 1'700'000'000'000;
  std::string good = hotp(kRfcSecret, static_cast<std::uint64_t>(now / 1000 / 30));
  EXPECT_FALSE(verify_totp(kRfcSecret, good.substr(1), now));
  EXPECT_FALSE(verify_totp(kRfcSecret, good + "0", now));
  EXPECT_FALSE(verify_totp(kRfcSecret, "", now));
  std::string wrong = good;
  wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
  EXPECT_FALSE(verify_totp(kRfcSecret, wrong, now));
  EXPECT_FALSE(verify_totp("another secret", good, now));
}

TEST(Base32, Rfc4648Vectors) {
  struct Vector {
    const char* plain;
    const char* encoded;
  } vectors[] = {{"", ""},           {"f", "MY"},           {"fo", "MZXQ"},         {"foo", "MZXW6"},
                 {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"}};
  for (auto& v : vectors) {
    EXPECT_EQ(base32_encode(v.plain), v.encoded);
    EXPECT_EQ(base32_decode(v.encoded), std::optional<std::string>(v.plain));
  }
  EXPECT_EQ(base32_decode("mzxw 6ytb oi======"), std::optional<std::string>("foobar"));
  EXPECT_FALSE(base32_decode("MZXW1"));      // 1 is not in the alphabet
  EXPECT_FALSE(base32_decode("MY==MY"));     // data after padding
}

TEST(Totp, NewSecretIs160BitsAndUriCarriesIt) {
  std::string a = new_totp_secret(), b = new_totp_secret();
  EXPECT_EQ(a.size(), 20u);
  EXPECT_NE(a, b);
  std::string uri = totp_uri("자립 상점", "owner@example.kr", "12345678901234567890");
  EXPECT_EQ(uri.rfind("otpauth://totp/", 0), 0u);
  EXPECT_NE(uri.find("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), std::string::npos);
  EXPECT_NE(uri.find("owner@example.kr"), std::string::npos);
  EXPECT_EQ(uri.find(' '), std::string::npos);  // the issuer's space is percent-encoded
}

}  // namespace
}  // namespace jarip::auth
