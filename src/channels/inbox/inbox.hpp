// The inbox channel: the last resort that depends on no one. The message row jarip already holds is
// the inbox entry, shown on the customer's page (reached by a signed link); "sending" to the inbox
// only checks that there is a customer whose page can show it.
#pragma once

#include <memory>

#include "channels/provider.hpp"
#include "channels/transport.hpp"

namespace jarip::channels::inbox {

Result<std::unique_ptr<ProviderAdapter>> make_inbox_adapter(const ProviderSettings& settings);
Result<std::shared_ptr<Transport>> make_inbox_transport(const ProviderSettings& settings, const TransportEnv& env);

}  // namespace jarip::channels::inbox
