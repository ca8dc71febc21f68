#include "channel_test_support.hpp"

namespace jarip::channels::testing {
namespace {

TEST(ChannelRegistry, KnowsEveryProviderType) {
  EXPECT_EQ(adapter_types(), (std::vector<std::string>{"solapi", "nhn", "inbox", "smtp", "webpush"}));
  EXPECT_EQ(make_or_die(solapi_settings())->name(), "solapi");
  auto nhn = nhn_settings();
  nhn.name = "nhn-backup";
  EXPECT_EQ(make_or_die(nhn)->name(), "nhn-backup");
}

TEST(ChannelRegistry, UnknownTypeIsAConfigError) {
  auto settings = solapi_settings();
  settings.name = "kakao-direct";
  settings.type = "bizm";
  auto adapter = make_adapter(settings);
  ASSERT_FALSE(adapter.ok());
  EXPECT_EQ(adapter.error().code, "config_invalid");
  EXPECT_EQ(adapter.error().field, "providers.kakao-direct.type");
}

}  // namespace
}  // namespace jarip::channels::testing
