// Customers from CSV files as Korean spreadsheets write them, and back. Pure: bytes in, customers
// and per-row problems out; no I/O, no storage. The format, every column name and alias, the values
// and every error code are in docs/customers-import.md; in short:
//
//  - Encoding: UTF-8 with or without BOM ("CSV UTF-8"), else CP949 (Korean Excel's plain "CSV");
//    bytes invalid in both are a whole-file error naming the byte offset. UTF-16 is refused.
//  - CSV: RFC 4180 (quoted fields, "" escapes, line breaks inside quotes, CRLF/LF/CR) plus Excel's
//    "sep=;" first line and tab-separated files (a header with tabs and no commas).
//  - Row 1 is the header; columns are matched by name, English or Korean, ignoring case, blanks,
//    '_', '-', '.', brackets: id|고객번호|고객ID, name|이름|성명, locale|언어, phone|휴대폰|휴대전화|
//    전화번호 (repeatable), email|이메일 (repeatable), consent.<channel>.<purpose> or SMS광고수신동의
//    …, consent_at|동의일시, consent_source|동의경로, consent_evidence|동의증빙.
//  - Every rejected row lists all its problems, with the spreadsheet row number (header = row 1),
//    the column and a stable code; the valid rows are imported regardless.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "customers/customer.hpp"

namespace jarip::customers {

inline constexpr std::size_t kMaxCsvBytes = 64 * 1024 * 1024;  // the whole file, as uploaded
inline constexpr std::size_t kMaxCsvRows = 1'000'000;          // rows after the header (blank ones too)
inline constexpr std::size_t kMaxCsvFieldBytes = 4096;         // one value, UTF-8 (see below)
inline constexpr std::size_t kMaxCsvColumns = 1000;            // header cells

enum class CsvEncoding { detect, utf8, cp949 };

// "auto" or "" → detect; "utf-8", "utf8" → utf8; "cp949", "euc-kr", "ms949", "uhc",
// "ks_c_5601-1987" → cp949 (any case). Error{"unsupported_encoding", …, "encoding"}.
Result<CsvEncoding> parse_csv_encoding(std::string_view name);

struct CsvImportOptions {
  CsvEncoding encoding = CsvEncoding::detect;
  // The limits; smaller values are for tests and callers with tighter budgets. The field limit is on
  // a cell's value as the import reads it: UTF-8, unquoted, surrounding blanks and a formula-escape
  // apostrophe removed.
  std::size_t max_bytes = kMaxCsvBytes;
  std::size_t max_rows = kMaxCsvRows;
  std::size_t max_field_bytes = kMaxCsvFieldBytes;
  std::size_t max_columns = kMaxCsvColumns;
};

// One problem, located as a spreadsheet shows it.
struct ImportIssue {
  std::size_t row = 0;      // 1 = the header, 2 = the first customer (records, not text lines)
  std::size_t column = 0;   // 1 = column A; 0 when about the whole row
  std::string column_name;  // the header cell as written ("휴대폰"); empty when column is 0
  std::string code;         // stable snake_case, docs/customers-import.md
  std::string message;      // English, for people; never the full phone number

  bool operator==(const ImportIssue&) const = default;
};

// "row 7, column C (휴대폰): invalid_phone: …", for logs and command-line tools.
std::string describe(const ImportIssue& issue);

// Spreadsheet column letters: 1 → "A", 26 → "Z", 27 → "AA". REQUIRES: column ≥ 1.
std::string column_letters(std::size_t column);

// An imported customer: phones and e-mails in column order without repeats, consents in canonical
// order (kConsentChannels, then kConsentPurposes), whatever the column order.
struct ImportedCustomer {
  std::size_t row = 0;  // where it was in the file
  Customer customer;
};

struct CsvImport {
  std::string encoding;  // what the file was read as: "utf-8" or "cp949"
  bool bom = false;      // it began with a UTF-8 byte-order mark
  char separator = ',';  // ',', '\t', or the "sep=" line's character
  std::size_t data_rows = 0;   // rows after the header, blank ones included
  std::size_t blank_rows = 0;  // rows whose cells are all empty: skipped, not errors
  std::vector<ImportedCustomer> customers;  // the valid rows, in file order
  std::vector<ImportIssue> rejections;      // every problem of every rejected row, by row then column
  std::vector<ImportIssue> warnings;        // nothing rejected: unknown columns, repaired values

  // Rows with at least one rejection.
  std::size_t rejected_rows() const;
};

// Reads a customer file. Whole-file problems are the Error (code, and a message with the row or the
// byte offset): file_too_large, unsupported_encoding, invalid_encoding, missing_header,
// too_many_columns, field_too_long (in the header), duplicate_column, invalid_consent_column,
// missing_id_column, unterminated_quote, too_many_rows. Problems of one row are its rejections:
// ragged_row, field_too_long, invalid_quotes, missing_id, invalid_id, duplicate_id, invalid_name,
// invalid_locale, invalid_phone, invalid_email, invalid_consent_value, invalid_date, invalid_text.
Result<CsvImport> import_customers_csv(std::string_view bytes, const CsvImportOptions& options = {});

// The same, streaming: each valid row is handed to `on_customer` as soon as it is read instead of
// being kept (CsvImport::customers stays empty), so that a caller storing a million rows does not
// hold them all (as Customer objects, about 1 KB each). Rows already handed over are provisional: a
// whole-file error found later (unterminated_quote, too_many_rows) still makes the Result an Error,
// and the caller must then discard them (e.g. roll back its transaction).
Result<CsvImport> import_customers_csv(std::string_view bytes, const CsvImportOptions& options,
                                       const std::function<void(ImportedCustomer&&)>& on_customer);

// The inverse: UTF-8 with a BOM (so that Excel opens it as UTF-8), CRLF line ends, the canonical
// English header "id,name,locale,phone,email", one "consent.<channel>.<purpose>" column per pair
// that any customer has (canonical order: kConsentChannels × kConsentPurposes), then consent_at,
// consent_source, consent_evidence. Several phones or e-mails share one cell, "; "-separated (more
// cells, "phone2", "email2" …, only past the field limit); phones are written hyphenated
// (010-1234-5678) so that Excel keeps the leading 0. When one
// customer's consents differ in at/source/evidence, per-consent columns
// "consent.<channel>.<purpose>.at" (…source, …evidence) carry the difference. A cell that a
// spreadsheet would run as a formula (starting with = + - @, after any apostrophes) gets one more
// leading apostrophe, which the import removes again.
// Round trip: import_customers_csv(to_csv(c)) gives back c for any customers the import can
// produce (valid trimmed fields, unique ids, consents in canonical order, one per pair; for a
// duplicated pair the last record is written).
std::string to_csv(const std::vector<Customer>& customers);

}  // namespace jarip::customers
