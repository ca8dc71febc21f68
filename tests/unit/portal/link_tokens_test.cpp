#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "portal/link_tokens.hpp"

namespace jarip::portal {
namespace {

constexpr TimeMs kNow = 1'790'000'000'000;  // 2026-09-21
const std::string kSecret(kLinkSecretBytes, 'k');

TEST(LinkTokens, RoundTripsEachPurpose) {
  LinkSigner signer(kSecret);
  for (auto [purpose, subject] : {std::pair{kInboxPurpose, std::string_view("c-1")},
                                  std::pair{kUnsubscribePurpose, std::string_view("shop:user@example.kr|sms")},
                                  std::pair{kReconfirmPurpose, std::string_view("C_0001.a")}}) {
    std::string token = signer.make(purpose, subject, kNow + 60'000);
    for (char c : token) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << token;
    }
    auto got = signer.verify(purpose, token, kNow);
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(*got, subject);
  }
  // Compact enough for an SMS: 1 + 5 + 3 + 16 bytes → 34 characters.
  EXPECT_EQ(signer.make(kInboxPurpose, "c-1", kNow).size(), 34u);
}

TEST(LinkTokens, AnyChangedCharacterIsRefused) {
  LinkSigner signer(kSecret);
  std::string token = signer.make(kInboxPurpose, "c-1", kNow + 60'000);
  for (std::size_t i = 0; i < token.size(); ++i) {
    for (char replacement : {'A', 'q', '9', '-', '_'}) {
      if (token[i] == replacement) continue;
      std::string tampered = token;
      tampered[i] = replacement;
      auto got = signer.verify(kInboxPurpose, tampered, kNow);
      ASSERT_FALSE(got.ok()) << "position " << i << ": " << tampered;
      EXPECT_EQ(got.error().code, "invalid_link");
    }
  }
  EXPECT_FALSE(signer.verify(kInboxPurpose, token + "A", kNow).ok());
  EXPECT_FALSE(signer.verify(kInboxPurpose, token.substr(0, token.size() - 1), kNow).ok());
}

TEST(LinkTokens, ThePurposeIsBoundIntoTheMac) {
  LinkSigner signer(kSecret);
  std::string inbox = signer.make(kInboxPurpose, "c-1|*", kNow + 60'000);
  auto got = signer.verify(kUnsubscribePurpose, inbox, kNow);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, "invalid_link");
  EXPECT_FALSE(signer.verify(kReconfirmPurpose, inbox, kNow).ok());
}

TEST(LinkTokens, AnotherSecretIsRefused) {
  std::string token = LinkSigner(kSecret).make(kInboxPurpose, "c-1", kNow + 60'000);
  auto got = LinkSigner(std::string(kLinkSecretBytes, 'x')).verify(kInboxPurpose, token, kNow);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, "invalid_link");
}

TEST(LinkTokens, ExpiresAtItsTimeRoundedUpToTheSecond) {
  LinkSigner signer(kSecret);
  std::string token = signer.make(kInboxPurpose, "c-1", kNow + 1500);  // → kNow + 2000
  EXPECT_TRUE(signer.verify(kInboxPurpose, token, kNow + 1999).ok());
  auto expired = signer.verify(kInboxPurpose, token, kNow + 2000);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, "link_expired");
  // A forged token is invalid, never "expired": nothing in it is believed before the MAC.
  std::string forged = token;
  forged[3] = forged[3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(signer.verify(kInboxPurpose, forged, kNow + 10'000).error().code, "invalid_link");
}

TEST(LinkTokens, GarbageIsInvalid) {
  LinkSigner signer(kSecret);
  for (const std::string& bad : std::vector<std::string>{"", "a", "abcd", "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", "c-1",
                                                        "AAAA=", std::string(kMaxTokenChars + 4, 'A'),
                                                        std::string("AAAA\0AAAA", 9)}) {
    auto got = signer.verify(kInboxPurpose, bad, kNow);
    ASSERT_FALSE(got.ok()) << bad;
    EXPECT_EQ(got.error().code, "invalid_link");
  }
}

// The MAC comparison must not leak how much of it matched: verify uses crypto::constant_time_equals
// (CRYPTO_memcmp), and no ordinary comparison of the MAC.
TEST(LinkTokens, ComparesTheMacInConstantTime) {
  std::ifstream in(std::string(JARIP_SOURCE_DIR) + "/src/portal/link_tokens.cpp");
  ASSERT_TRUE(in) << "source not found";
  std::stringstream text;
  text << in.rdbuf();
  std::string source = text.str();
  auto verify = source.find("Result<std::string> LinkSigner::verify(");
  ASSERT_NE(verify, std::string::npos);
  std::string body = source.substr(verify, source.find("\n}\n", verify) - verify);
  EXPECT_NE(body.find("crypto::constant_time_equals(given, mac(purpose, payload))"), std::string::npos) << body;
  EXPECT_EQ(body.find("given =="), std::string::npos);
  EXPECT_EQ(body.find("memcmp"), std::string::npos);
}

TEST(LinkTokens, SecretFromHexIsSharedAcrossNodes) {
  std::string hex(64, 'a');
  auto a = LinkSigner::from_hex(hex);
  auto b = LinkSigner::from_hex(hex);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*b->verify(kReconfirmPurpose, a->make(kReconfirmPurpose, "c-9", kNow + 1000), kNow), "c-9");
  for (const std::string& bad : {std::string(62, 'a'), std::string(66, 'a'), std::string(64, 'g'), std::string()}) {
    auto r = LinkSigner::from_hex(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "config_invalid");
  }
}

class LinkSecretFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("jarip-link-secret-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / ::testing::UnitTest::GetInstance()->current_test_info()->name()).string();
    std::filesystem::remove(path_);
  }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(LinkSecretFile, IsCreatedPrivateAndReadBack) {
  auto first = load_or_create_link_secret(path_);
  ASSERT_TRUE(first.ok()) << first.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  auto second = load_or_create_link_secret(path_);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(*second->verify(kInboxPurpose, first->make(kInboxPurpose, "c-1", kNow + 1000), kNow), "c-1");
  // Nothing left behind from the creation.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir_)) files += e.path().string().rfind(path_, 0) == 0;
  EXPECT_EQ(files, 1);
}

TEST_F(LinkSecretFile, RefusesAFileOthersCanRead) {
  ASSERT_TRUE(load_or_create_link_secret(path_).ok());
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  auto r = load_or_create_link_secret(path_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "config_invalid");
  EXPECT_NE(r.error().message.find("0644"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("chmod 600"), std::string::npos) << r.error().message;
  ASSERT_EQ(::chmod(path_.c_str(), 0640), 0);
  EXPECT_FALSE(load_or_create_link_secret(path_).ok());
}

TEST_F(LinkSecretFile, RefusesAFileOfTheWrongSize) {
  {
    std::ofstream out(path_);
    out << "too short";
  }
  ASSERT_EQ(::chmod(path_.c_str(), 0600), 0);
  auto r = load_or_create_link_secret(path_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "config_invalid");
  EXPECT_NE(r.error().message.find("9 bytes"), std::string::npos) << r.error().message;
  EXPECT_EQ(std::filesystem::file_size(path_), 9u);  // left as it was
}

}  // namespace
}  // namespace jarip::portal
