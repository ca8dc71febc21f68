// libFuzzer target: arbitrary bytes into the solapi adapter's parsers (see adapter_fuzz.hpp).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "adapter_fuzz.hpp"
#include "channels/solapi/solapi_adapter.hpp"

namespace {

using namespace jarip::channels;

const ProviderAdapter& adapter() {
  static const std::unique_ptr<ProviderAdapter> instance = [] {
    ProviderSettings s;
  s.name = "fuzz";
  s.type = "solapi";
  s.values = {{"api_key", "fuzz-key"}, {"api_secret", "fuzz-secret"}, {"sender", "0299990000"},
              {"pf_id", "fuzz-pf"}, {"report_token", "fuzz-report-token-0123456789"}};
    auto made = solapi::make_solapi_adapter(s);
    if (!made) std::abort();
    return std::move(made).value();
  }();
  return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return jarip::fuzz::fuzz_adapter_parsers(adapter(), "/v1/providers/solapi/reports", data, size);
}
