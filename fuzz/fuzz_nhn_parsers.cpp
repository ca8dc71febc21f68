// libFuzzer target: arbitrary bytes into the nhn adapter's parsers (see adapter_fuzz.hpp).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "adapter_fuzz.hpp"
#include "channels/nhn/nhn_adapter.hpp"

namespace {

using namespace jarip::channels;

const ProviderAdapter& adapter() {
  static const std::unique_ptr<ProviderAdapter> instance = [] {
    ProviderSettings s;
  s.name = "fuzz";
  s.type = "nhn";
  s.values = {{"alimtalk_appkey", "fuzz-at"}, {"sms_appkey", "fuzz-sms"}, {"secret_key", "fuzz-secret"},
              {"sender_key", "fuzz-sender-key"}, {"sender", "15446859"}, {"webhook_signature", "fuzz-signature-0123456789"}};
    auto made = nhn::make_nhn_adapter(s);
    if (!made) std::abort();
    return std::move(made).value();
  }();
  return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return jarip::fuzz::fuzz_adapter_parsers(adapter(), "/v1/providers/nhn/reports", data, size);
}
