// libFuzzer target for src/customers' CSV import (customer files uploaded by merchants) and export.
// Build: cmake -DJARIP_FUZZ=ON with clang (scripts/fuzz.sh).
// Each input is used as:
//  1. a whole file, encoding detected: the import must not crash or hit undefined behaviour, and
//     when it succeeds its result must be consistent:
//     - customers in file order, rows between 2 and data_rows + 1, rejections in row order, never on
//       an imported row; ids non-empty and unique; phones normalised mobile numbers; e-mails and
//       consent times fixed points of their rules; locale ko/en; consents valid, one per
//       (channel, purpose), in canonical order;
//     - round trip: to_csv(customers) imports back to the same customers with no rejection and no
//       warning, and exporting those gives the same bytes again;
//  2. when it is valid UTF-8 that CP949 can encode in full: the same text encoded in CP949 and
//     imported with encoding forced to cp949 gives exactly what the UTF-8 import (forced) gives;
//  3. a single field value for the field rules: normalize_email / normalize_consent_time results are
//     fixed points.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "customers/csv_import.hpp"
#include "text/cp949.hpp"
#include "text/phone.hpp"
#include "text/utf8.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace jarip::customers;

int pair_rank(const Consent& c) {
  int channel = -1, purpose = -1;
  for (std::size_t i = 0; i < kConsentChannels.size(); ++i) {
    if (kConsentChannels[i] == c.channel) channel = static_cast<int>(i);
  }
  for (std::size_t i = 0; i < kConsentPurposes.size(); ++i) {
    if (kConsentPurposes[i] == c.purpose) purpose = static_cast<int>(i);
  }
  check(channel >= 0 && purpose >= 0);
  return channel * static_cast<int>(kConsentPurposes.size()) + purpose;
}

void check_consistent(const CsvImport& imported) {
  check(imported.encoding == "utf-8" || imported.encoding == "cp949");
  check(imported.blank_rows <= imported.data_rows);
  std::unordered_set<std::string> ids;
  std::unordered_set<std::size_t> rows;
  std::size_t previous_row = 1;
  for (const ImportedCustomer& ic : imported.customers) {
    check(ic.row > previous_row && ic.row <= imported.data_rows + 1);
    previous_row = ic.row;
    rows.insert(ic.row);
    const Customer& c = ic.customer;
    check(!c.id.empty() && ids.insert(c.id).second);
    check(c.locale == "ko" || c.locale == "en");
    for (const std::string& phone : c.phones) {
      auto number = jarip::text::normalize_mobile(phone);
      check(number.ok() && number->domestic == phone);
    }
    for (const std::string& email : c.emails) {
      auto again = normalize_email(email);
      check(again.ok() && *again == email);
    }
    int previous_rank = -1;
    for (const Consent& consent : c.consents) {
      const int rank = pair_rank(consent);
      check(rank > previous_rank);
      previous_rank = rank;
      if (!consent.at.empty()) {
        auto again = normalize_consent_time(consent.at);
        check(again.ok() && *again == consent.at);
      }
    }
  }
  previous_row = 1;
  for (const ImportIssue& issue : imported.rejections) {
    check(issue.row >= previous_row && issue.row >= 2 && issue.row <= imported.data_rows + 1);
    check(rows.count(issue.row) == 0);
    check(!issue.code.empty() && !issue.message.empty());
    if (issue.column == 0) check(issue.column_name.empty());
    previous_row = issue.row;
  }
}

std::vector<Customer> customers_of(const CsvImport& imported) {
  std::vector<Customer> out;
  for (const ImportedCustomer& ic : imported.customers) out.push_back(ic.customer);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // 1. The whole file.
  auto imported = import_customers_csv(input);
  if (imported.ok()) {
    check_consistent(*imported);
    const std::vector<Customer> customers = customers_of(*imported);
    const std::string csv = to_csv(customers);
    auto again = import_customers_csv(csv);
    check(again.ok());
    check(again->rejections.empty() && again->warnings.empty());
    check(customers_of(*again) == customers);
    check(to_csv(customers_of(*again)) == csv);
  } else {
    check(!imported.error().code.empty() && !imported.error().message.empty());
  }

  // 2. The same text in CP949.
  if (jarip::text::is_valid_utf8(input)) {
    auto legacy_bytes = jarip::text::encode_cp949(input);
    if (legacy_bytes.ok()) {
      CsvImportOptions utf8;
      utf8.encoding = CsvEncoding::utf8;
      CsvImportOptions cp949;
      cp949.encoding = CsvEncoding::cp949;
      auto a = import_customers_csv(input, utf8);
      auto b = import_customers_csv(*legacy_bytes, cp949);
      check(a.ok() == b.ok());
      if (a.ok()) {
        check(a->encoding == "utf-8" && b->encoding == "cp949");
        check(customers_of(*a) == customers_of(*b));
        check(a->rejections == b->rejections && a->warnings == b->warnings);
        check(a->data_rows == b->data_rows && a->separator == b->separator);
      } else {
        check(a.error().code == b.error().code);
      }
    }
  }

  // 3. One field value.
  if (auto email = normalize_email(input); email.ok()) {
    auto again = normalize_email(*email);
    check(again.ok() && *again == *email);
  }
  if (auto at = normalize_consent_time(input); at.ok()) {
    auto again = normalize_consent_time(*at);
    check(again.ok() && *again == *at);
  }
  return 0;
}
