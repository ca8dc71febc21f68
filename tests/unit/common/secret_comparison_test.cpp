// Every comparison of a secret or token (API key secrets, signatures, MACs, CSRF tokens, session and
// TOTP codes) goes through crypto::constant_time_equals, so that response timing never tells an
// attacker how much of a guess matched. The helper is tested here, and the source tree is scanned
// for a plain ==, !=, compare, memcmp or strcmp on anything named like a secret.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "common/crypto.hpp"

namespace jarip {
namespace {

TEST(ConstantTimeEquals, ComparesWholeStrings) {
  EXPECT_TRUE(crypto::constant_time_equals("", ""));
  EXPECT_TRUE(crypto::constant_time_equals("abc123", "abc123"));
  EXPECT_FALSE(crypto::constant_time_equals("abc123", "Abc123"));  // first byte
  EXPECT_FALSE(crypto::constant_time_equals("abc123", "abc124"));  // last byte
  EXPECT_FALSE(crypto::constant_time_equals("abc123", "abc12"));   // a prefix is not equal
  EXPECT_FALSE(crypto::constant_time_equals("", "a"));
  std::string with_nul("a\0b", 3);
  EXPECT_FALSE(crypto::constant_time_equals(with_nul, std::string("a\0c", 3)));
  EXPECT_TRUE(crypto::constant_time_equals(with_nul, std::string("a\0b", 3)));
}

// Names that hold secrets or values derived from them.
const std::regex kSecretName(R"((secret|token|csrf|signature|password|hmac|digest|_hash\b|\bmac\b|totp|otp_code))",
                             std::regex::icase);
// a == b / a != b, with the operands as written (identifiers, members, calls).
const std::regex kEquality(R"(([A-Za-z_][\w\.\->\*\[\]]*(\(\))?)\s*(==|!=)\s*([A-Za-z_"'][\w\.\->\*\[\]]*(\(\))?))");
const std::regex kByteCompare(R"(\b(memcmp|strcmp|strncmp)\s*\(|\.compare\s*\()");

// Comparisons about a secret's presence or shape, not its value.
bool about_shape(const std::string& operand) {
  static const std::regex shape(R"(((\.|->)(size|length|empty)\(\)|npos|nullptr|errno|^\d|^["']))");
  return std::regex_search(operand, shape);
}

std::vector<std::string> suspicious_lines(const std::filesystem::path& file) {
  std::vector<std::string> found;
  std::ifstream in(file);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string code = line.substr(0, line.find("//"));
    // A name inside a string literal ("/password", "api_secret") is text, not a secret.
    static const std::regex literal(R"("([^"\\]|\\.)*")");
    std::string names_only = std::regex_replace(code, literal, "\"\"");
    for (auto it = std::sregex_iterator(code.begin(), code.end(), kEquality); it != std::sregex_iterator(); ++it) {
      std::string a = (*it)[1], b = (*it)[4];
      if (!std::regex_search(a, kSecretName) && !std::regex_search(b, kSecretName)) continue;
      if (about_shape(a) || about_shape(b)) continue;
      found.push_back(file.string() + ":" + std::to_string(number) + ": " + line);
    }
    if (std::regex_search(code, kByteCompare) && std::regex_search(names_only, kSecretName)) {
      found.push_back(file.string() + ":" + std::to_string(number) + ": " + line);
    }
  }
  return found;
}

TEST(ConstantTimeEquals, NoOtherComparisonOfSecretsInTheSource) {
  std::filesystem::path src = std::filesystem::path(JARIP_SOURCE_DIR) / "src";
  ASSERT_TRUE(std::filesystem::is_directory(src));
  std::vector<std::string> found;
  int files = 0;
  for (auto& entry : std::filesystem::recursive_directory_iterator(src)) {
    auto ext = entry.path().extension();
    if (ext != ".cpp" && ext != ".hpp") continue;
    auto relative = std::filesystem::relative(entry.path(), src).generic_string();
    // The helper itself, and the provider simulator (it stands in for Kakao's and the carriers'
    // servers in tests; it is not part of what a merchant runs).
    if (relative == "common/crypto.cpp" || relative.rfind("sim/", 0) == 0) continue;
    ++files;
    for (auto& line : suspicious_lines(entry.path())) found.push_back(line);
  }
  EXPECT_GT(files, 100);
  std::ostringstream list;
  for (auto& f : found) list << "\n  " << f;
  EXPECT_TRUE(found.empty()) << "compare secrets with crypto::constant_time_equals:" << list.str();
}

TEST(ConstantTimeEquals, TheScanFindsAPlainComparison) {
  // The scan itself must be able to fail: a file with a plain comparison of a token is reported.
  auto dir = std::filesystem::temp_directory_path() / ("jarip-scan-" + crypto::random_hex(4));
  std::filesystem::create_directories(dir);
  auto file = dir / "bad.cpp";
  {
    std::ofstream out(file);
    out << "bool ok = session.csrf_token == given;\n"
        << "if (token.size() != 32) return false;  // shape, fine\n"
        << "if (memcmp(sig.data(), expected_signature.data(), 32) == 0) {}\n"
        << "if (name == \"api_secret\") {}\n";
  }
  auto found = suspicious_lines(file);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_NE(found[0].find(":1:"), std::string::npos);
  EXPECT_NE(found[1].find(":3:"), std::string::npos);
}

}  // namespace
}  // namespace jarip
