// Solapi message objects as the message list API and the delivery-report webhook carry them
// (fields of the SDK's storedMessage schema). The webhook body is a JSON array of these.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/store.hpp"

namespace jarip::sim {

inline constexpr const char* kSolapiAccountId = "20240101000000SIMACCT";

std::string solapi_message_json(const MessageRecord& m, const RequestRecord& request, std::string_view pf_id);
std::string solapi_report_body(const Store& store, const std::vector<std::uint32_t>& messages, std::string_view pf_id);

}  // namespace jarip::sim
