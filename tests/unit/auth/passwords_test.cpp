#include "auth/passwords.hpp"

#include <gtest/gtest.h>

namespace jarip::auth {
namespace {

TEST(Passwords, HashIsArgon2idAtLeastOwaspStrengthAndVerifies) {
  auto hash = hash_password("올바른 말 배터리 스테이플");
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(hash->rfind("$argon2id$v=19$", 0), 0u) << *hash;
  // m in KiB, t iterations: OWASP asks m >= 19456 with t = 2.
  auto m = hash->find("m=");
  auto t = hash->find(",t=");
  ASSERT_NE(m, std::string::npos);
  ASSERT_NE(t, std::string::npos);
  EXPECT_GE(std::stol(hash->substr(m + 2)), 19456);
  EXPECT_GE(std::stol(hash->substr(t + 3)), 2);
  EXPECT_TRUE(verify_password("올바른 말 배터리 스테이플", *hash));
  EXPECT_FALSE(verify_password("올바른 말 배터리 스테이플 ", *hash));
  EXPECT_FALSE(verify_password("", *hash));
  EXPECT_FALSE(needs_rehash(*hash));
}

TEST(Passwords, SaltedSoEqualPasswordsHashDifferently) {
  auto a = hash_password("correct horse battery");
  auto b = hash_password("correct horse battery");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(Passwords, MalformedOrWeakHashes) {
  EXPECT_FALSE(verify_password("x", ""));
  EXPECT_FALSE(verify_password("x", "$argon2id$v=19$garbage"));
  EXPECT_FALSE(verify_password("x", std::string(500, 'a')));
  EXPECT_TRUE(needs_rehash("$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"));
  EXPECT_TRUE(needs_rehash("not a hash"));
}

TEST(Passwords, Policy) {
  EXPECT_TRUE(check_password_policy("abcdefghij").ok());
  EXPECT_EQ(check_password_policy("abcdefghi").error().code, "invalid_password");
  EXPECT_TRUE(check_password_policy("가나다라마바사아자차").ok());  // 10 characters, 30 bytes
  EXPECT_EQ(check_password_policy("가나다라마바사아자").error().code, "invalid_password");
  EXPECT_EQ(check_password_policy(std::string(257, 'a')).error().code, "invalid_password");
  EXPECT_EQ(check_password_policy(std::string("abcdefghij\xff", 11)).error().code, "invalid_password");
}

}  // namespace
}  // namespace jarip::auth
