// The SSRF guard for a resolved address, for callers that use Boost.Asio (they link jarip_asio):
// check every endpoint the resolver returns before connecting to it, because a host name that
// passed parse_subscription can still resolve to 127.0.0.1 or 10.x.
#pragma once

#include <boost/asio/ip/address.hpp>

#include "channels/webpush/subscription.hpp"

namespace jarip::channels::webpush {

inline bool is_public_address(const boost::asio::ip::address& address) {
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    return is_public_address(std::span<const std::uint8_t>(bytes.data(), bytes.size()));
  }
  const auto bytes = address.to_v6().to_bytes();
  return is_public_address(std::span<const std::uint8_t>(bytes.data(), bytes.size()));
}

}  // namespace jarip::channels::webpush
