#include "channels/email/address.hpp"

#include "customers/customer.hpp"

namespace jarip::channels::email {

Result<std::string> normalize_address(std::string_view value, std::string_view field) {
  auto address = customers::normalize_email(value);
  if (!address.ok()) {
    Error error = address.error();
    error.field = std::string(field);
    return error;
  }
  return std::move(address).value();
}

std::string_view domain_of(std::string_view address) {
  const std::size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

bool needs_smtputf8(std::string_view address) {
  for (char c : address) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

}  // namespace jarip::channels::email
