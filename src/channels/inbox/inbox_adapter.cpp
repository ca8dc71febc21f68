#include "channels/inbox/inbox.hpp"

#include "channels/transport_adapter.hpp"

namespace jarip::channels::inbox {

Result<std::unique_ptr<ProviderAdapter>> make_inbox_adapter(const ProviderSettings& settings) {
  return std::unique_ptr<ProviderAdapter>(std::make_unique<TransportAdapter>(settings.name, SendKind::inbox));
}

}  // namespace jarip::channels::inbox
