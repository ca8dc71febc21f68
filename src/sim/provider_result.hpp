// What a provider handler did with one request: the answer and the messages it recorded.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/http_types.hpp"

namespace jarip::sim {

struct ProviderResult {
  HttpOut out;
  std::vector<std::uint32_t> messages;  // indices into Store::messages()
  std::string provider_request_id;
};

// The request body parsed once; nullopt when it is not JSON.
using ParsedBody = std::optional<boost::json::value>;
ParsedBody parse_body(const std::string& body);

}  // namespace jarip::sim
