// Writing JSON text by hand where the simulator emits large listings (100k+ records), plus small
// readers over Boost.JSON values that never throw on unexpected types.
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace jarip::sim {

void append_json_string(std::string& out, std::string_view text);  // with quotes, escaped
std::string json_quote(std::string_view text);

// Field readers: nullopt when absent or of another JSON type.
const boost::json::value* find_field(const boost::json::value& v, std::string_view key);
std::optional<std::string> get_string(const boost::json::value& v, std::string_view key);
std::optional<bool> get_bool(const boost::json::value& v, std::string_view key);
std::optional<long long> get_int(const boost::json::value& v, std::string_view key);
std::string to_std(boost::json::string_view s);

}  // namespace jarip::sim
