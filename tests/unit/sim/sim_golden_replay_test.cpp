// Replays every tests/golden/<provider>/*.json that states "expect": "accept" | "reject" through the
// simulator's validator: requests taken from the providers' docs and SDK must be judged as stated.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/golden_replay.hpp"

namespace jarip::sim {
namespace {

namespace fs = std::filesystem;

TEST(GoldenReplay, EveryGoldenRequestIsJudgedAsExpected) {
  int replayed = 0;
  for (const char* provider : {"solapi", "nhn"}) {
    fs::path dir = fs::path(JARIP_SOURCE_DIR) / "tests" / "golden" / provider;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".json") continue;
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      GoldenOutcome g = replay_golden(text.str(), provider);
      if (!g.has_expectation) continue;
      const std::string name = entry.path().filename().string();
      ASSERT_TRUE(g.readable) << name << ": " << g.detail;
      ++replayed;
      if (g.expect == "accept") {
        EXPECT_TRUE(g.accepted) << name << " was rejected with " << g.error_code << "\n" << g.response_body;
      } else {
        EXPECT_FALSE(g.accepted) << name << " was accepted\n" << g.response_body;
        if (!g.expect_error_code.empty())
          EXPECT_EQ(g.error_code, g.expect_error_code) << name << "\n" << g.response_body;
      }
    }
  }
  EXPECT_GE(replayed, 20);
}

}  // namespace
}  // namespace jarip::sim
