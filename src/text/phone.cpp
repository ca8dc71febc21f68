#include "text/phone.hpp"

#include <array>
#include <optional>
#include <string>

namespace jarip::text {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_separator(char c) { return c == ' ' || c == '\t' || c == '-' || c == '.' || c == '(' || c == ')'; }
bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

Error invalid(std::string_view field, std::string why) {
  return make_error("invalid_phone", "invalid phone number: " + why, std::string(field));
}

// Domestic digits from any accepted spelling; only the syntax and the country code are checked here.
Result<std::string> domestic_digits(std::string_view input, std::string_view field) {
  while (!input.empty() && (input.front() == ' ' || input.front() == '\t')) input.remove_prefix(1);
  while (!input.empty() && (input.back() == ' ' || input.back() == '\t')) input.remove_suffix(1);
  if (input.empty()) return invalid(field, "empty");

  const bool plus = input.front() == '+';
  if (plus) input.remove_prefix(1);
  std::string digits;
  for (char c : input) {
    if (is_digit(c)) {
      digits.push_back(c);
    } else if (is_letter(c)) {
      return invalid(field, "contains letters");
    } else if (!is_separator(c)) {
      return invalid(field, "invalid character (only digits, spaces, hyphens, dots, parentheses and a leading + are allowed)");
    }
    // Longer than any number could be even with a country code: stop before copying a whole body.
    if (digits.size() > 20) return invalid(field, "too long");
  }
  if (digits.empty()) return invalid(field, "no digits");

  std::string_view national;  // the national significant number, without the trunk 0
  if (plus) {
    if (!starts_with(digits, "82")) {
      return invalid(field, "foreign country code: only +82 (Korea) numbers can be reached");
    }
    national = std::string_view(digits).substr(2);
  } else if (starts_with(digits, "0082")) {
    national = std::string_view(digits).substr(4);
  } else if (starts_with(digits, "00")) {
    return invalid(field, "foreign country code: only 0082 (Korea) numbers can be reached");
  } else if (starts_with(digits, "82")) {
    // No domestic number starts with 8 (they start with 0 or 1), so a leading 82 is Korea's code.
    national = std::string_view(digits).substr(2);
  } else {
    return digits;  // already domestic
  }
  if (starts_with(national, "0")) national.remove_prefix(1);  // "+82 (0)10-…": a redundant trunk 0
  if (national.empty()) return invalid(field, "too short");
  // Representative numbers (15xx-xxxx, 16xx-xxxx, 18xx-xxxx) are dialled without a trunk 0;
  // everything else has one. Their length tells them apart from the 016/018 mobile numbers, whose
  // national part also starts with 16/18 but has 9 or 10 digits.
  if (national.size() == 8 &&
      (starts_with(national, "15") || starts_with(national, "16") || starts_with(national, "18"))) {
    return std::string(national);
  }
  return "0" + std::string(national);
}

struct Plan {
  PhoneKind kind;
  std::size_t min_digits;
  std::size_t max_digits;
  std::string_view rule;  // for the error message
};

std::optional<Plan> mobile_plan(std::string_view d) {
  if (starts_with(d, "010")) return Plan{PhoneKind::mobile, 11, 11, "010 numbers have 11 digits"};
  for (std::string_view prefix : {"011", "016", "017", "018", "019"}) {
    if (starts_with(d, prefix)) return Plan{PhoneKind::mobile, 10, 11, "011/016–019 numbers have 10 or 11 digits"};
  }
  return std::nullopt;
}

std::optional<Plan> sender_plan(std::string_view d) {
  if (auto plan = mobile_plan(d)) return plan;
  if (starts_with(d, "02")) return Plan{PhoneKind::seoul, 9, 10, "02 numbers have 9 or 10 digits"};
  static constexpr std::array<std::string_view, 16> kAreaCodes = {
      "031", "032", "033", "041", "042", "043", "044", "051",
      "052", "053", "054", "055", "061", "062", "063", "064"};
  for (std::string_view code : kAreaCodes) {
    if (starts_with(d, code)) return Plan{PhoneKind::area, 10, 11, "area-code numbers have 10 or 11 digits"};
  }
  if (starts_with(d, "070")) return Plan{PhoneKind::internet, 11, 11, "070 numbers have 11 digits"};
  if (d.size() >= 4 && starts_with(d, "050") && d[3] >= '2' && d[3] <= '8') {
    return Plan{PhoneKind::personal, 11, 12, "050x numbers have 11 or 12 digits"};
  }
  if (starts_with(d, "080")) return Plan{PhoneKind::toll_free, 10, 11, "080 numbers have 10 or 11 digits"};
  if (starts_with(d, "15") || starts_with(d, "16") || starts_with(d, "18")) {
    return Plan{PhoneKind::representative, 8, 8, "15xx/16xx/18xx numbers have 8 digits"};
  }
  return std::nullopt;
}

Result<PhoneNumber> normalize(std::string_view input, std::string_view field, bool sender) {
  auto digits = domestic_digits(input, field);
  if (!digits) return digits.error();
  const std::string& d = *digits;
  const std::optional<Plan> plan = sender ? sender_plan(d) : mobile_plan(d);
  if (!plan) {
    return invalid(field, sender ? "bad prefix: not a Korean mobile, landline, 070, 050x, 080 or 15xx/16xx/18xx number"
                                 : "bad prefix: mobile numbers start with 010, 011, 016, 017, 018 or 019");
  }
  if (d.size() < plan->min_digits) return invalid(field, "too short: " + std::string(plan->rule));
  if (d.size() > plan->max_digits) return invalid(field, "too long: " + std::string(plan->rule));
  PhoneNumber number;
  number.domestic = d;
  number.e164 = "+82" + (d.front() == '0' ? d.substr(1) : d);
  number.kind = plan->kind;
  return number;
}

// Digits of the prefix that format_phone() sets apart: "02", "0505", "1588", else 3.
std::size_t prefix_length(const PhoneNumber& number) {
  switch (number.kind) {
    case PhoneKind::seoul: return 2;
    case PhoneKind::personal:
    case PhoneKind::representative: return 4;
    default: return 3;
  }
}

}  // namespace

std::string_view to_string(PhoneKind kind) {
  switch (kind) {
    case PhoneKind::mobile: return "mobile";
    case PhoneKind::seoul: return "seoul";
    case PhoneKind::area: return "area";
    case PhoneKind::representative: return "representative";
    case PhoneKind::internet: return "internet";
    case PhoneKind::personal: return "personal";
    case PhoneKind::toll_free: return "toll_free";
  }
  return "unknown";
}

Result<PhoneNumber> normalize_mobile(std::string_view input, std::string_view field) {
  return normalize(input, field, /*sender=*/false);
}

Result<PhoneNumber> normalize_sender(std::string_view input, std::string_view field) {
  return normalize(input, field, /*sender=*/true);
}

std::string format_phone(const PhoneNumber& number) {
  const std::string& d = number.domestic;
  const std::size_t prefix = prefix_length(number);
  if (d.size() < prefix + 4) return d;  // not produced by normalize_*; kept unchanged
  std::string out = d.substr(0, prefix);
  if (d.size() > prefix + 4) out += "-" + d.substr(prefix, d.size() - prefix - 4);
  return out + "-" + d.substr(d.size() - 4);
}

std::string mask_phone(std::string_view input) {
  if (auto number = normalize_sender(input)) {
    const std::string& d = number->domestic;
    const std::size_t prefix = prefix_length(*number);
    if (d.size() == prefix + 4) return "****-" + d.substr(prefix);  // prefix + last 4 is all of it
    return d.substr(0, prefix) + "-" + std::string(d.size() - prefix - 4, '*') + "-" + d.substr(d.size() - 4);
  }
  std::string last_four;
  std::size_t digit_count = 0;
  for (char c : input) {
    if (!is_digit(c)) continue;
    ++digit_count;
    last_four.push_back(c);
    if (last_four.size() > 4) last_four.erase(0, 1);
  }
  // Fewer than 8 digits: the last 4 would be half the number or more, so show none.
  return digit_count >= 8 ? "****" + last_four : "****";
}

}  // namespace jarip::text
