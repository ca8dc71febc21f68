// The fields of a form POST to the customer's pages. Internal to portal/.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "http/message.hpp"

namespace jarip::portal {

using FormFields = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::size_t kMaxFormBytes = 64 * 1024;
inline constexpr std::size_t kMaxFormFields = 200;

// application/x-www-form-urlencoded (also when the request has no Content-Type, as some one-click
// unsubscribe clients send it) or multipart/form-data (RFC 7578; the parts' text as it is).
// Error "bad_request": another content type, a body over kMaxFormBytes, more than kMaxFormFields
// fields, or malformed multipart.
Result<FormFields> parse_form_body(const http::Request& request);

// The first value of `name` (exact, case-sensitive); empty when absent.
std::string form_value(const FormFields& fields, std::string_view name);
bool has_field(const FormFields& fields, std::string_view name);
std::vector<std::string> form_values(const FormFields& fields, std::string_view name);

// Whether the request's Content-Type is JSON (application/json or +json).
bool is_json_request(const http::Request& request);

}  // namespace jarip::portal
