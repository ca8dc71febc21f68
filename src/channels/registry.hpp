// Which adapter type builds which provider: the one place a new provider is registered.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "channels/provider.hpp"

namespace jarip::channels {

// Builds the adapter named by settings.type ("solapi", "nhn"). Errors: "config_invalid" (field
// providers.NAME.type) for an unknown type; otherwise whatever the adapter's own validation reports
// ("config_missing", "config_invalid").
Result<std::unique_ptr<ProviderAdapter>> make_adapter(const ProviderSettings& settings);

// The registered adapter types, in registration order.
std::vector<std::string> adapter_types();

}  // namespace jarip::channels
