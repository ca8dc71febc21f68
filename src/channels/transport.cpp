#include "channels/transport.hpp"

#include <array>
#include <string_view>

#include "channels/email/email_provider.hpp"
#include "channels/inbox/inbox.hpp"
#include "channels/webpush/push_provider.hpp"

namespace jarip::channels {

namespace {

using TransportFactory = Result<std::shared_ptr<Transport>> (*)(const ProviderSettings&, const TransportEnv&);

struct TransportRegistration {
  std::string_view type;
  TransportFactory factory;
};

// Adapter types that send through a transport; the others send one HTTP request per batch.
constexpr std::array kTransports{
    TransportRegistration{"inbox", &inbox::make_inbox_transport},
    TransportRegistration{"smtp", &email::make_smtp_transport},
    TransportRegistration{"webpush", &webpush::make_push_transport},
};

}  // namespace

Result<std::shared_ptr<Transport>> make_transport(const ProviderSettings& settings, const TransportEnv& env) {
  for (const TransportRegistration& r : kTransports) {
    if (r.type == settings.type) return r.factory(settings, env);
  }
  return std::shared_ptr<Transport>();
}

}  // namespace jarip::channels
