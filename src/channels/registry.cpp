#include "channels/registry.hpp"

#include <array>
#include <string_view>

#include "channels/email/email_provider.hpp"
#include "channels/inbox/inbox.hpp"
#include "channels/nhn/nhn_adapter.hpp"
#include "channels/solapi/solapi_adapter.hpp"
#include "channels/webpush/push_provider.hpp"

namespace jarip::channels {

namespace {

struct Registration {
  std::string_view type;
  AdapterFactory factory;
};

// A third provider is its own folder under channels/ plus one line here.
constexpr std::array kRegistry{
    Registration{"solapi", &solapi::make_solapi_adapter},
    Registration{"nhn", &nhn::make_nhn_adapter},
    Registration{"inbox", &inbox::make_inbox_adapter},
    Registration{"smtp", &email::make_email_adapter},
    Registration{"webpush", &webpush::make_push_adapter},
};

}  // namespace

Result<std::unique_ptr<ProviderAdapter>> make_adapter(const ProviderSettings& settings) {
  for (const Registration& r : kRegistry) {
    if (r.type == settings.type) return r.factory(settings);
  }
  std::string known;
  for (const Registration& r : kRegistry) {
    if (!known.empty()) known += ", ";
    known += r.type;
  }
  return make_error("config_invalid",
                    "provider '" + settings.name + "' has unknown type '" + settings.type + "' (known: " + known + ")",
                    "providers." + settings.name + ".type");
}

std::vector<std::string> adapter_types() {
  std::vector<std::string> out;
  for (const Registration& r : kRegistry) out.emplace_back(r.type);
  return out;
}

}  // namespace jarip::channels
