// Solapi v4 message API: POST /messages/v4/send-many/detail (validation and answer exactly shaped
// as Solapi's) and GET /messages/v4/list (status query, as the official SDK calls it).
#pragma once

#include <cstdint>

#include "sim/context.hpp"
#include "sim/faults.hpp"
#include "sim/provider_result.hpp"

namespace jarip::sim {

ProviderResult solapi_handle(SimContext& ctx, const HttpIn& in, const ParsedBody& body, std::uint32_t request_index);

// Which channels a send request touches (ATA → alimtalk, anything else → sms); both for GETs and
// unreadable bodies.
std::vector<Channel> solapi_channels(const HttpIn& in, const ParsedBody& body);

}  // namespace jarip::sim
