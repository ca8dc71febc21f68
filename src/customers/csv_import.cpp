#include "customers/csv_import.hpp"

#include "customers/directory.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>
#include <optional>
#include <unordered_map>
#include <utility>

#include "text/cp949.hpp"
#include "text/hangul.hpp"
#include "text/phone.hpp"
#include "text/utf8.hpp"

namespace jarip::customers {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string with_commas(std::size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string hex_byte(unsigned char b) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "0x%02X", b);
  return buffer;
}

// ---- encoding ---------------------------------------------------------------------------------

struct Decoded {
  std::string converted;   // the UTF-8 text, when the file was CP949
  std::string_view input;  // else the input itself, without its BOM
  bool is_converted = false;
  std::string encoding;
  bool bom = false;

  std::string_view text() const { return is_converted ? std::string_view(converted) : input; }
};

// Offset of the first invalid UTF-8 sequence, with the reason; nullopt when valid.
std::optional<std::pair<std::size_t, const char*>> first_invalid_utf8(std::string_view bytes) {
  for (std::size_t offset = 0; offset < bytes.size();) {
    const text::Utf8Step step = text::decode_utf8_step(bytes, offset);
    if (step.reason) return std::make_pair(offset, step.reason);
    offset += step.length;
  }
  return std::nullopt;
}

// CP949 → UTF-8, or the offset and reason of the first invalid sequence.
Result<std::string> cp949_to_utf8(std::string_view bytes, std::size_t& bad_offset, const char*& reason) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 2);
  for (std::size_t offset = 0; offset < bytes.size();) {
    const text::Cp949Step step = text::decode_cp949_step(bytes, offset);
    if (step.reason) {
      bad_offset = offset;
      reason = step.reason;
      return make_error("invalid_cp949", reason);
    }
    text::append_utf8(out, step.code_point);
    offset += step.length;
  }
  return out;
}

std::string at_byte(std::size_t offset, std::string_view bytes, const char* reason) {
  return "byte " + with_commas(offset) + " (" + hex_byte(static_cast<unsigned char>(bytes[offset])) + "): " + reason;
}

Result<Decoded> decode_file(std::string_view bytes, CsvEncoding encoding) {
  if (bytes.size() >= 2 && ((bytes[0] == '\xFF' && bytes[1] == '\xFE') || (bytes[0] == '\xFE' && bytes[1] == '\xFF'))) {
    return make_error("unsupported_encoding",
                      "the file is UTF-16 (Excel's \"Unicode text\"): save it as \"CSV UTF-8\" or \"CSV\" instead");
  }
  Decoded d;
  d.bom = bytes.substr(0, 3) == "\xEF\xBB\xBF";
  if (d.bom && encoding == CsvEncoding::cp949) {
    return make_error("invalid_encoding", "the file starts with a UTF-8 byte-order mark, but CP949 was requested");
  }
  if (encoding != CsvEncoding::cp949) {
    const std::string_view body = d.bom ? bytes.substr(3) : bytes;
    const auto invalid = first_invalid_utf8(body);
    if (!invalid) {
      d.input = body;
      d.encoding = "utf-8";
      return d;
    }
    const std::size_t offset = invalid->first + (d.bom ? 3 : 0);
    if (d.bom) {
      return make_error("invalid_encoding", "the file starts with a UTF-8 byte-order mark but is not valid UTF-8 at " +
                                                at_byte(offset, bytes, invalid->second));
    }
    if (encoding == CsvEncoding::utf8) {
      return make_error("invalid_encoding", "the file is not valid UTF-8 at " + at_byte(offset, bytes, invalid->second));
    }
    std::size_t bad = 0;
    const char* reason = nullptr;
    auto converted = cp949_to_utf8(bytes, bad, reason);
    if (!converted) {
      return make_error("invalid_encoding", "the file is neither UTF-8 (invalid at " +
                                                at_byte(offset, bytes, invalid->second) + ") nor CP949 (invalid at " +
                                                at_byte(bad, bytes, reason) + ")");
    }
    d.converted = std::move(converted).value();
  } else {
    std::size_t bad = 0;
    const char* reason = nullptr;
    auto converted = cp949_to_utf8(bytes, bad, reason);
    if (!converted) return make_error("invalid_encoding", "the file is not valid CP949 at " + at_byte(bad, bytes, reason));
    d.converted = std::move(converted).value();
  }
  d.is_converted = true;
  d.encoding = "cp949";
  return d;
}

// ---- CSV records ------------------------------------------------------------------------------

struct Cell {
  std::string value;        // unquoted; a record's cells together are never larger than the file
  bool bad_quotes = false;  // text after a closing quote (kept, as Excel does)
};

class CsvReader {
 public:
  CsvReader(std::string_view text, char separator, std::size_t max_cells)
      : text_(text), sep_(separator), max_cells_(max_cells) {}

  enum class Next { record, end, unterminated };

  // The next record: its first min(count, max_cells) cells in `cells`, its field count in `count`.
  // `unterminated` when a quoted field runs to the end of the text (column in unterminated_column).
  Next next(std::vector<Cell>& cells, std::size_t& count) {
    if (pos_ >= text_.size()) return Next::end;
    cells.clear();
    count = 0;
    for (;;) {
      // Cells past max_cells (a ragged row, or a header over the column limit) are read and dropped.
      Cell* cell = &discard_;
      if (count < max_cells_) {
        cells.emplace_back();
        cell = &cells.back();
      } else {
        discard_ = Cell{};
      }
      ++count;
      if (pos_ < text_.size() && text_[pos_] == '"') {
        ++pos_;
        for (;;) {
          if (pos_ >= text_.size()) {
            unterminated_column = count;
            return Next::unterminated;
          }
          const char c = text_[pos_++];
          if (c == '"') {
            if (pos_ < text_.size() && text_[pos_] == '"') {
              ++pos_;
              append(*cell, '"');
            } else {
              break;
            }
          } else if (c == '\r') {
            // A line break inside a cell is LF, whichever way the file ends its lines.
            if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
            append(*cell, '\n');
          } else {
            append(*cell, c);
          }
        }
        if (pos_ < text_.size() && !at_field_end()) cell->bad_quotes = true;
      }
      while (pos_ < text_.size() && !at_field_end()) append(*cell, text_[pos_++]);
      if (pos_ >= text_.size()) return Next::record;
      const char c = text_[pos_++];
      if (c == sep_) continue;
      if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
      return Next::record;
    }
  }

  std::size_t unterminated_column = 0;

 private:
  bool at_field_end() const {
    const char c = text_[pos_];
    return c == sep_ || c == '\n' || c == '\r';
  }
  static void append(Cell& cell, char c) { cell.value.push_back(c); }

  std::string_view text_;
  std::size_t pos_ = 0;
  char sep_;
  std::size_t max_cells_;
  Cell discard_;
};

// The "sep=X" line Excel writes and reads (X one character), at the very start.
std::optional<char> sep_directive(std::string_view text, std::size_t& line_length) {
  if (text.size() < 5) return std::nullopt;
  if (lower(text[0]) != 's' || lower(text[1]) != 'e' || lower(text[2]) != 'p' || text[3] != '=') return std::nullopt;
  const char sep = text[4];
  if (sep == '"' || sep == '\r' || sep == '\n' || static_cast<unsigned char>(sep) >= 0x80) return std::nullopt;
  std::size_t end = 5;
  if (end == text.size()) {
    line_length = end;
  } else if (text[end] == '\n') {
    line_length = end + 1;
  } else if (text[end] == '\r') {
    line_length = end + 1 < text.size() && text[end + 1] == '\n' ? end + 2 : end + 1;
  } else {
    return std::nullopt;
  }
  return sep;
}

// Tab when the header line has tabs and no commas (outside quotes), else comma.
char detect_separator(std::string_view text) {
  std::size_t tabs = 0, commas = 0;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') {
      quoted = !quoted;
    } else if (!quoted) {
      if (c == '\n' || c == '\r') break;
      if (c == '\t') ++tabs;
      if (c == ',') ++commas;
    }
  }
  return tabs > 0 && commas == 0 ? '\t' : ',';
}

// ---- header -----------------------------------------------------------------------------------

enum class Role { ignored, id, name, locale, phone, email, consent, consent_at, consent_source, consent_evidence, consent_meta };
enum class Meta { at, source, evidence };

struct Column {
  Role role = Role::ignored;
  std::string name;  // the header cell as written, trimmed
  int pair = -1;     // consent and consent_meta: channel index * 3 + purpose index
  Meta meta = Meta::at;
};

constexpr int kPairCount = static_cast<int>(kConsentChannels.size() * kConsentPurposes.size());

int pair_index(std::string_view channel, std::string_view purpose) {
  for (std::size_t c = 0; c < kConsentChannels.size(); ++c) {
    for (std::size_t p = 0; p < kConsentPurposes.size(); ++p) {
      if (kConsentChannels[c] == channel && kConsentPurposes[p] == purpose) {
        return static_cast<int>(c * kConsentPurposes.size() + p);
      }
    }
  }
  return -1;
}
std::string_view pair_channel(int pair) { return kConsentChannels[static_cast<std::size_t>(pair) / kConsentPurposes.size()]; }
std::string_view pair_purpose(int pair) { return kConsentPurposes[static_cast<std::size_t>(pair) % kConsentPurposes.size()]; }
std::string pair_column(int pair) {
  return "consent." + std::string(pair_channel(pair)) + "." + std::string(pair_purpose(pair));
}

bool is_header_separator(char32_t cp) {
  return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0xA0 || cp == 0x3000 || cp == '_' || cp == '-' ||
         cp == '.' || cp == '(' || cp == ')' || cp == '[' || cp == ']';
}

// The header cell's words: NFC Hangul, ASCII lower case, split at blanks and _ - . ( ) [ ].
std::vector<std::string> header_words(std::string_view cell) {
  std::vector<std::string> words(1);
  auto decoded = text::decode_utf8(cell);  // the whole text was validated already
  if (!decoded) return {};
  for (char32_t cp : text::compose_hangul_jamo(decoded.value())) {
    if (is_header_separator(cp)) {
      if (!words.back().empty()) words.emplace_back();
    } else {
      text::append_utf8(words.back(), cp < 0x80 ? static_cast<char32_t>(lower(static_cast<char>(cp))) : cp);
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

std::string join(const std::vector<std::string>& words, std::size_t from, std::string_view glue) {
  std::string out;
  for (std::size_t i = from; i < words.size(); ++i) {
    if (i > from) out += glue;
    out += words[i];
  }
  return out;
}

bool one_of(std::string_view key, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names) {
    if (key == n) return true;
  }
  return false;
}

std::string_view strip_trailing_digits(std::string_view key) {
  while (!key.empty() && is_digit(key.back())) key.remove_suffix(1);
  return key;
}

// Korean consent headers: [channel] purpose [수신]동의[여부] [channel], e.g. "SMS 광고 수신 동의",
// "광고수신동의(SMS)", "야간광고동의" (no channel: every channel). -1 when the key is not one.
int korean_consent_pair(std::string_view key) {
  static constexpr std::pair<std::string_view, std::string_view> kChannels[] = {
      {"문자메시지", "sms"}, {"문자", "sms"}, {"sms", "sms"},
      {"카카오알림톡", "alimtalk"}, {"알림톡", "alimtalk"}, {"alimtalk", "alimtalk"},
      {"이메일", "email"}, {"메일", "email"}, {"email", "email"},
      {"앱푸시", "push"}, {"푸시", "push"}, {"push", "push"},
      {"전체", "*"}};
  static constexpr std::pair<std::string_view, std::string_view> kPurposes[] = {
      {"야간광고성정보", "ad_night"}, {"야간광고", "ad_night"}, {"야간마케팅", "ad_night"},
      {"광고성정보", "ad"}, {"광고성", "ad"}, {"광고", "ad"}, {"마케팅정보", "ad"}, {"마케팅", "ad"},
      {"정보성", "info"}, {"정보", "info"}};
  static constexpr std::string_view kBodies[] = {"수신동의여부", "수신동의", "동의여부", "동의", "수신여부"};

  std::string_view rest = key;
  std::string_view channel = "*";
  bool found = false;
  for (const auto& [name, value] : kChannels) {
    if (rest.substr(0, name.size()) == name) {
      rest.remove_prefix(name.size());
      channel = value;
      found = true;
      break;
    }
  }
  if (!found) {
    for (const auto& [name, value] : kChannels) {
      if (rest.size() > name.size() && rest.substr(rest.size() - name.size()) == name) {
        rest.remove_suffix(name.size());
        channel = value;
        break;
      }
    }
  }
  for (const auto& [purpose_name, purpose] : kPurposes) {
    if (rest.substr(0, purpose_name.size()) != purpose_name) continue;
    const std::string_view body = rest.substr(purpose_name.size());
    for (std::string_view b : kBodies) {
      if (body == b) return pair_index(channel, purpose);
    }
  }
  return -1;
}

struct HeaderIssue {
  Error error;      // set when the whole file must be refused
  bool fatal = false;
  std::string warning_code;
  std::string warning;
};

// What one header cell means, or why it is refused or ignored.
Column classify(std::string_view cell, HeaderIssue& issue) {
  Column column;
  column.name = std::string(trim_blanks(cell));
  const std::vector<std::string> words = header_words(column.name);
  const std::string key = join(words, 0, "");
  if (key.empty()) {
    issue.warning_code = "unnamed_column";
    issue.warning = "the column has no name in the header: its cells are ignored";
    return column;
  }
  if (one_of(key, {"id", "customerid", "고객번호", "고객id", "회원번호", "회원id"})) {
    column.role = Role::id;
  } else if (one_of(key, {"name", "customername", "이름", "성명", "고객명", "회원명"})) {
    column.role = Role::name;
  } else if (one_of(key, {"locale", "language", "lang", "언어"})) {
    column.role = Role::locale;
  } else if (one_of(strip_trailing_digits(key), {"phone", "mobile", "phonenumber", "휴대폰", "휴대전화", "전화번호",
                                                 "핸드폰", "휴대폰번호", "휴대전화번호", "핸드폰번호", "연락처"})) {
    column.role = Role::phone;
  } else if (one_of(strip_trailing_digits(key), {"email", "emailaddress", "이메일", "이메일주소", "메일", "전자우편"})) {
    column.role = Role::email;
  } else if (one_of(key, {"consentat", "동의일시", "동의일자", "동의날짜", "동의시각"})) {
    column.role = Role::consent_at;
  } else if (one_of(key, {"consentsource", "동의경로", "수집경로", "동의출처"})) {
    column.role = Role::consent_source;
  } else if (one_of(key, {"consentevidence", "동의증빙", "동의근거"})) {
    column.role = Role::consent_evidence;
  } else if (key.rfind("consent", 0) == 0) {
    // The English scheme: consent.<channel>.<purpose>[.at|.source|.evidence]. A column that starts
    // with "consent" but does not follow it is refused: ignoring it would silently lose consents.
    std::vector<std::string> w = words;
    std::optional<Meta> meta;
    if (w.size() >= 4 && w[0] == "consent") {
      if (w.back() == "at") meta = Meta::at;
      if (w.back() == "source") meta = Meta::source;
      if (w.back() == "evidence") meta = Meta::evidence;
      if (meta) w.pop_back();
    }
    std::string channel = w.size() >= 2 ? w[1] : "";
    if (channel == "all") channel = "*";
    const std::string purpose = join(w, 2, "_");
    const int pair = w.size() >= 3 && w[0] == "consent" ? pair_index(channel, purpose) : -1;
    if (pair < 0) {
      issue.fatal = true;
      issue.error = make_error("invalid_consent_column",
                               "header \"" + column.name +
                                   "\" is not a consent column: write consent.<channel>.<purpose>, channel sms, "
                                   "alimtalk, email, push or * (all), purpose info, ad or ad_night, e.g. "
                                   "consent.sms.ad",
                               column.name);
      return column;
    }
    column.role = meta ? Role::consent_meta : Role::consent;
    column.pair = pair;
    if (meta) column.meta = *meta;
  } else if (const int pair = korean_consent_pair(key); pair >= 0) {
    column.role = Role::consent;
    column.pair = pair;
  } else {
    issue.warning_code = "unknown_column";
    issue.warning = "unknown column \"" + column.name + "\": its cells are ignored";
    if (key.find("동의") != std::string::npos || key.find("수신") != std::string::npos) {
      issue.warning += " (a consent column needs a purpose, e.g. SMS광고수신동의, 이메일정보수신동의, 야간광고수신동의, "
                       "or consent.sms.ad)";
    }
  }
  return column;
}

std::string role_name(const Column& c) {
  switch (c.role) {
    case Role::id: return "id";
    case Role::name: return "name";
    case Role::locale: return "locale";
    case Role::consent: return pair_column(c.pair);
    case Role::consent_at: return "consent_at";
    case Role::consent_source: return "consent_source";
    case Role::consent_evidence: return "consent_evidence";
    case Role::consent_meta:
      return pair_column(c.pair) + (c.meta == Meta::at ? ".at" : c.meta == Meta::source ? ".source" : ".evidence");
    default: return "";
  }
}

// ---- rows -------------------------------------------------------------------------------------

// A cell that a spreadsheet would run as a formula is written with one more leading apostrophe
// (to_csv); this takes it off again. Bijective: x ↔ "'" + x exactly when x matches '*[=+\-@].
bool formula_like(std::string_view v) {
  while (!v.empty() && v.front() == '\'') v.remove_prefix(1);
  return !v.empty() && (v.front() == '=' || v.front() == '+' || v.front() == '-' || v.front() == '@');
}
std::string_view unescape_formula(std::string_view v) {
  if (!v.empty() && v.front() == '\'' && formula_like(v)) v.remove_prefix(1);
  return v;
}

// C0 controls and DEL; `allow_breaks` lets tab and line feed through (free text).
bool has_control(std::string_view v, bool allow_breaks) {
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (allow_breaks && (c == '\n' || c == '\t')) continue;
    if (u < 0x20 || u == 0x7F) return true;
  }
  return false;
}

// Several values in one cell: separated by ';', ',' or line breaks.
std::vector<std::string_view> split_values(std::string_view cell) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= cell.size(); ++i) {
    if (i == cell.size() || cell[i] == ';' || cell[i] == ',' || cell[i] == '\n' || cell[i] == '\r') {
      const std::string_view v = trim_blanks(cell.substr(start, i - start));
      if (!v.empty()) out.push_back(v);
      start = i + 1;
    }
  }
  return out;
}

void add(std::vector<ImportIssue>& to, std::size_t row, std::size_t column, const std::string& column_name,
         std::string code, std::string message) {
  to.push_back(ImportIssue{row, column, column_name, std::move(code), std::move(message)});
}

std::string nth(std::size_t index, std::size_t count) {
  return count > 1 ? "value " + std::to_string(index + 1) + " of " + std::to_string(count) + ": " : "";
}

}  // namespace

Result<CsvEncoding> parse_csv_encoding(std::string_view name) {
  std::string n(trim_blanks(name));
  for (char& c : n) c = lower(c);
  if (n.empty() || n == "auto") return CsvEncoding::detect;
  if (n == "utf-8" || n == "utf8") return CsvEncoding::utf8;
  if (n == "cp949" || n == "euc-kr" || n == "euckr" || n == "ms949" || n == "uhc" || n == "ks_c_5601-1987") {
    return CsvEncoding::cp949;
  }
  return make_error("unsupported_encoding", "unknown encoding: use auto, utf-8 or cp949", "encoding");
}

std::string column_letters(std::size_t column) {
  std::string out;
  while (column > 0) {
    --column;
    out.insert(out.begin(), static_cast<char>('A' + column % 26));
    column /= 26;
  }
  return out;
}

std::string describe(const ImportIssue& issue) {
  std::string out = "row " + std::to_string(issue.row);
  if (issue.column > 0) {
    out += ", column " + column_letters(issue.column);
    if (!issue.column_name.empty()) out += " (" + issue.column_name + ")";
  }
  return out + ": " + issue.code + ": " + issue.message;
}

std::size_t CsvImport::rejected_rows() const {
  std::size_t rows = 0, last = 0;
  for (const ImportIssue& issue : rejections) {
    if (issue.row != last) ++rows;
    last = issue.row;
  }
  return rows;
}

namespace {

// Both forms of import_customers_csv: each valid row goes to `on_customer` when there is one, else
// into result.customers.
Status import_into(std::string_view bytes, const CsvImportOptions& options, CsvImport& result,
                   const std::function<void(ImportedCustomer&&)>* on_customer) {
  if (bytes.size() > options.max_bytes) {
    return make_error("file_too_large", "the file is " + with_commas(bytes.size()) + " bytes; the limit is " +
                                            with_commas(options.max_bytes));
  }
  auto decoded = decode_file(bytes, options.encoding);
  if (!decoded) return decoded.error();
  result.encoding = decoded->encoding;
  result.bom = decoded->bom;
  std::string_view text = decoded->text();

  std::size_t directive_length = 0;
  if (auto sep = sep_directive(text, directive_length)) {
    result.separator = *sep;
    text.remove_prefix(directive_length);
  } else {
    result.separator = detect_separator(text);
  }

  // The header. Cells beyond max_columns are counted, not kept.
  CsvReader reader(text, result.separator, options.max_columns);
  std::vector<Cell> cells;
  std::size_t count = 0;
  auto next = reader.next(cells, count);
  if (next == CsvReader::Next::unterminated) {
    return make_error("unterminated_quote", "row 1, column " + column_letters(reader.unterminated_column) +
                                                ": a quoted header cell is never closed");
  }
  bool header_blank = true;
  for (const Cell& c : cells) header_blank = header_blank && trim_blanks(c.value).empty();
  if (next == CsvReader::Next::end || header_blank) {
    return make_error("missing_header", "row 1 must be the header, with column names such as id, name, phone");
  }
  if (count > options.max_columns) {
    return make_error("too_many_columns", "the header has " + with_commas(count) + " columns; the limit is " +
                                              with_commas(options.max_columns));
  }

  std::vector<Column> columns;
  columns.reserve(count);
  int id_column = -1;
  std::vector<int> role_seen(static_cast<int>(Role::consent_meta) + 1, -1);
  std::vector<int> pair_column_of(kPairCount, -1);
  std::vector<std::array<int, 3>> meta_column_of(kPairCount, std::array<int, 3>{-1, -1, -1});
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t number = i + 1;
    const std::size_t length = trim_blanks(cells[i].value).size();
    if (length > options.max_field_bytes) {
      return make_error("field_too_long", "row 1, column " + column_letters(number) + ": the header cell is " +
                                              with_commas(length) + " bytes; the limit is " +
                                              with_commas(options.max_field_bytes));
    }
    HeaderIssue issue;
    Column column = classify(cells[i].value, issue);
    if (issue.fatal) {
      issue.error.message = "row 1, column " + column_letters(number) + ": " + issue.error.message;
      return issue.error;
    }
    if (!issue.warning_code.empty()) {
      add(result.warnings, 1, number, column.name, issue.warning_code, issue.warning);
    }
    // One column per meaning, except phone and email, which may repeat.
    int* seen = nullptr;
    switch (column.role) {
      case Role::ignored:
      case Role::phone:
      case Role::email: break;
      case Role::consent: seen = &pair_column_of[column.pair]; break;
      case Role::consent_meta: seen = &meta_column_of[column.pair][static_cast<int>(column.meta)]; break;
      default: seen = &role_seen[static_cast<int>(column.role)]; break;
    }
    if (seen != nullptr) {
      if (*seen >= 0) {
        return make_error("duplicate_column",
                          "row 1: columns " + column_letters(static_cast<std::size_t>(*seen) + 1) + " (" +
                              columns[*seen].name + ") and " + column_letters(number) + " (" + column.name +
                              ") are both " + role_name(column),
                          column.name);
      }
      *seen = static_cast<int>(i);
    }
    if (column.role == Role::id) id_column = static_cast<int>(i);
    columns.push_back(std::move(column));
  }
  if (id_column < 0) {
    return make_error("missing_id_column",
                      "the header has no id column: add one named id, 고객번호 or 고객ID (each customer needs a unique id)");
  }
  for (int pair = 0; pair < kPairCount; ++pair) {
    for (int m = 0; m < 3; ++m) {
      const int c = meta_column_of[pair][m];
      if (c >= 0 && pair_column_of[pair] < 0) {
        return make_error("invalid_consent_column",
                          "row 1, column " + column_letters(static_cast<std::size_t>(c) + 1) + ": \"" + columns[c].name +
                              "\" needs a " + pair_column(pair) + " column beside it",
                          columns[c].name);
      }
    }
  }

  // The rows.
  std::unordered_map<std::string, std::size_t> id_rows;
  std::vector<ImportIssue> issues;
  std::size_t row = 1;
  for (;;) {
    next = reader.next(cells, count);
    if (next == CsvReader::Next::end) break;
    ++row;
    if (next == CsvReader::Next::unterminated) {
      const std::size_t c = reader.unterminated_column;
      return make_error("unterminated_quote",
                        "row " + with_commas(row) + ", column " + column_letters(c) +
                            (c <= columns.size() && !columns[c - 1].name.empty() ? " (" + columns[c - 1].name + ")" : "") +
                            ": a quoted cell is never closed, so the rest of the file would be inside it");
    }
    if (++result.data_rows > options.max_rows) {
      return make_error("too_many_rows", "row " + with_commas(row) + ": the file has more than " +
                                             with_commas(options.max_rows) + " customer rows; split it");
    }
    bool blank = count == cells.size();  // every cell was kept, so every cell is looked at
    for (const Cell& c : cells) blank = blank && trim_blanks(c.value).empty();
    if (blank) {
      ++result.blank_rows;
      continue;
    }

    issues.clear();
    if (count != columns.size()) {
      add(issues, row, 0, "", "ragged_row",
          "the row has " + with_commas(count) + " cells but the header has " + with_commas(columns.size()) +
              " (a missing or extra separator, or an unquoted comma)");
      result.rejections.insert(result.rejections.end(), issues.begin(), issues.end());
      continue;
    }

    Customer customer;
    customer.locale = "ko";
    std::optional<bool> granted[kPairCount];
    std::string row_meta[3];
    std::string pair_meta[kPairCount][3];
    std::size_t restored_zero_column = 0;

    for (std::size_t i = 0; i < columns.size(); ++i) {
      const Column& column = columns[i];
      const std::size_t number = i + 1;
      const Cell& cell = cells[i];
      if (column.role == Role::ignored) continue;
      auto reject = [&](std::string code, std::string message) {
        add(issues, row, number, column.name, std::move(code), std::move(message));
      };
      // The limit is on the value: unquoted, blanks trimmed, without a formula-escape apostrophe.
      const std::string_view value = unescape_formula(trim_blanks(cell.value));
      if (value.size() > options.max_field_bytes) {
        reject("field_too_long", "the cell is " + with_commas(value.size()) + " bytes; the limit is " +
                                     with_commas(options.max_field_bytes));
        continue;
      }
      if (cell.bad_quotes) {
        reject("invalid_quotes", "text after the closing quote of a quoted cell (write \"\" for a quote inside one)");
        continue;
      }
      switch (column.role) {
        case Role::id:
          if (value.empty()) {
            reject("missing_id", "the id is empty: every customer needs one");
          } else if (has_control(value, false)) {
            reject("invalid_id", "the id contains a control character or line break");
          } else if (auto checked = check_customer_id(value); !checked) {
            // The same rule as the API's, so that every imported customer can be addressed.
            reject("invalid_id", checked.error().message);
          } else {
            customer.id = std::string(value);
          }
          break;
        case Role::name:
          if (has_control(value, false)) {
            reject("invalid_name", "the name contains a control character or line break");
          } else {
            customer.name = std::string(value);
          }
          break;
        case Role::locale:
          if (!value.empty()) {
            auto locale = normalize_locale(value);
            if (locale) {
              customer.locale = std::move(locale).value();
            } else {
              reject("invalid_locale", locale.error().message);
            }
          }
          break;
        case Role::phone: {
          const auto values = split_values(value);
          for (std::size_t k = 0; k < values.size(); ++k) {
            auto number_or = text::normalize_mobile(values[k]);
            if (!number_or) {
              // Excel stores 01012345678 as the number 1012345678 unless the cell is text.
              const std::string_view v = values[k];
              const bool digits_only = std::all_of(v.begin(), v.end(), is_digit);
              if (digits_only && v.front() == '1') {
                auto restored = text::normalize_mobile("0" + std::string(v));
                if (restored) {
                  number_or = std::move(restored);
                  restored_zero_column = number;
                }
              }
            }
            if (!number_or) {
              reject("invalid_phone", nth(k, values.size()) + "\"" + text::mask_phone(values[k]) + "\": " +
                                          number_or.error().message + " (separate several numbers with ';')");
              continue;
            }
            std::string digits = number_or->domestic;
            if (std::find(customer.phones.begin(), customer.phones.end(), digits) == customer.phones.end()) {
              customer.phones.push_back(std::move(digits));
            }
          }
          break;
        }
        case Role::email: {
          const auto values = split_values(value);
          for (std::size_t k = 0; k < values.size(); ++k) {
            auto email = normalize_email(values[k]);
            if (!email) {
              reject("invalid_email", nth(k, values.size()) + email.error().message);
              continue;
            }
            if (std::find(customer.emails.begin(), customer.emails.end(), *email) == customer.emails.end()) {
              customer.emails.push_back(std::move(email).value());
            }
          }
          break;
        }
        case Role::consent: {
          auto parsed = parse_consent_value(value);
          if (parsed) {
            granted[column.pair] = *parsed;
          } else {
            reject("invalid_consent_value", parsed.error().message);
          }
          break;
        }
        case Role::consent_at:
        case Role::consent_source:
        case Role::consent_evidence:
        case Role::consent_meta: {
          const Meta meta = column.role == Role::consent_at       ? Meta::at
                            : column.role == Role::consent_source ? Meta::source
                            : column.role == Role::consent_evidence ? Meta::evidence
                                                                    : column.meta;
          std::string& target = column.role == Role::consent_meta ? pair_meta[column.pair][static_cast<int>(meta)]
                                                                  : row_meta[static_cast<int>(meta)];
          if (value.empty()) break;
          if (meta == Meta::at) {
            auto at = normalize_consent_time(value);
            if (at) {
              target = std::move(at).value();
            } else {
              reject("invalid_date", at.error().message);
            }
          } else if (has_control(value, true)) {
            reject("invalid_text", "the text contains a control character");
          } else {
            target = std::string(value);
          }
          break;
        }
        case Role::ignored: break;
      }
    }

    if (!customer.id.empty()) {
      auto [it, inserted] = id_rows.emplace(customer.id, row);
      if (!inserted) {
        add(issues, row, static_cast<std::size_t>(id_column) + 1, columns[id_column].name, "duplicate_id",
            "the id \"" + customer.id + "\" is already used in row " + with_commas(it->second));
      }
    }
    if (!issues.empty()) {
      std::stable_sort(issues.begin(), issues.end(),
                       [](const ImportIssue& a, const ImportIssue& b) { return a.column < b.column; });
      result.rejections.insert(result.rejections.end(), issues.begin(), issues.end());
      continue;
    }

    for (int pair = 0; pair < kPairCount; ++pair) {
      if (!granted[pair]) continue;
      Consent consent;
      consent.channel = std::string(pair_channel(pair));
      consent.purpose = std::string(pair_purpose(pair));
      consent.granted = *granted[pair];
      auto pick = [&](Meta m) {
        const std::string& own = pair_meta[pair][static_cast<int>(m)];
        return own.empty() ? row_meta[static_cast<int>(m)] : own;
      };
      consent.at = pick(Meta::at);
      consent.source = pick(Meta::source);
      consent.evidence = pick(Meta::evidence);
      customer.consents.push_back(std::move(consent));
    }
    if (restored_zero_column != 0) {
      add(result.warnings, row, restored_zero_column, columns[restored_zero_column - 1].name,
          "phone_leading_zero_restored",
          "a mobile number without its leading 0 (a spreadsheet stored it as a number) was read with the 0 added back");
    }
    if (on_customer != nullptr) {
      (*on_customer)(ImportedCustomer{row, std::move(customer)});
    } else {
      result.customers.push_back(ImportedCustomer{row, std::move(customer)});
    }
  }
  return Status::success();
}

}  // namespace

Result<CsvImport> import_customers_csv(std::string_view bytes, const CsvImportOptions& options) {
  CsvImport result;
  Status status = import_into(bytes, options, result, nullptr);
  if (!status) return status.error();
  return result;
}

Result<CsvImport> import_customers_csv(std::string_view bytes, const CsvImportOptions& options,
                                       const std::function<void(ImportedCustomer&&)>& on_customer) {
  CsvImport result;
  Status status = import_into(bytes, options, result, &on_customer);
  if (!status) return status.error();
  return result;
}

// ---- export -----------------------------------------------------------------------------------

namespace {

void write_cell(std::string& out, std::string_view value) {
  std::string escaped;
  if (formula_like(value)) {
    escaped = "'" + std::string(value);
    value = escaped;
  }
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += value;
    return;
  }
  out.push_back('"');
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

const std::string& meta_of(const Consent& c, int m) { return m == 0 ? c.at : m == 1 ? c.source : c.evidence; }

// Values joined with "; " into as few cells as the field limit allows (almost always one).
std::vector<std::string> pack(const std::vector<std::string>& values) {
  std::vector<std::string> cells;
  std::string current;
  for (const std::string& v : values) {
    if (!current.empty() && current.size() + 2 + v.size() > kMaxCsvFieldBytes) {
      cells.push_back(std::move(current));
      current.clear();
    }
    if (!current.empty()) current += "; ";
    current += v;
  }
  if (!current.empty()) cells.push_back(std::move(current));
  return cells;
}

void write_header_group(std::string& out, std::string_view name, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    out += ",";
    out += name;
    if (i > 0) out += std::to_string(i + 1);
  }
}

}  // namespace

std::string to_csv(const std::vector<Customer>& customers) {
  // Per customer: its consent per pair (the last record of a pair wins), and the at/source/evidence
  // shared by all its consents (empty when they differ).
  struct Plan {
    const Consent* by_pair[kPairCount] = {};
    std::string shared[3];
    std::vector<std::string> phone_cells, email_cells;
  };
  std::vector<Plan> plans(customers.size());
  bool pair_used[kPairCount] = {};
  bool meta_used[kPairCount][3] = {};
  std::size_t phone_columns = 1, email_columns = 1;
  for (std::size_t i = 0; i < customers.size(); ++i) {
    Plan& plan = plans[i];
    std::vector<std::string> formatted;
    for (const std::string& phone : customers[i].phones) {
      auto number = text::normalize_mobile(phone);
      formatted.push_back(number ? text::format_phone(*number) : phone);
    }
    plan.phone_cells = pack(formatted);
    plan.email_cells = pack(customers[i].emails);
    phone_columns = std::max(phone_columns, plan.phone_cells.size());
    email_columns = std::max(email_columns, plan.email_cells.size());
    for (const Consent& c : customers[i].consents) {
      const int pair = pair_index(c.channel, c.purpose);
      if (pair < 0) continue;  // not a channel/purpose the format knows
      plan.by_pair[pair] = &c;
      pair_used[pair] = true;
    }
    for (int m = 0; m < 3; ++m) {
      bool first = true, same = true;
      for (const Consent* c : plan.by_pair) {
        if (c == nullptr) continue;
        if (first) plan.shared[m] = meta_of(*c, m);
        same = same && (first || meta_of(*c, m) == plan.shared[m]);
        first = false;
      }
      if (!same) plan.shared[m].clear();
      for (int pair = 0; pair < kPairCount; ++pair) {
        const Consent* c = plan.by_pair[pair];
        if (c != nullptr && meta_of(*c, m) != plan.shared[m]) meta_used[pair][m] = true;
      }
    }
  }

  static constexpr const char* kMetaSuffix[3] = {".at", ".source", ".evidence"};
  std::string out = "\xEF\xBB\xBF";
  out += "id,name,locale";
  write_header_group(out, "phone", phone_columns);
  write_header_group(out, "email", email_columns);
  for (int pair = 0; pair < kPairCount; ++pair) {
    if (pair_used[pair]) out += "," + pair_column(pair);
  }
  out += ",consent_at,consent_source,consent_evidence";
  for (int pair = 0; pair < kPairCount; ++pair) {
    for (int m = 0; m < 3; ++m) {
      if (meta_used[pair][m]) out += "," + pair_column(pair) + kMetaSuffix[m];
    }
  }
  out += "\r\n";

  for (std::size_t i = 0; i < customers.size(); ++i) {
    const Customer& customer = customers[i];
    const Plan& plan = plans[i];
    write_cell(out, customer.id);
    out.push_back(',');
    write_cell(out, customer.name);
    out.push_back(',');
    write_cell(out, customer.locale);
    for (std::size_t k = 0; k < phone_columns; ++k) {
      out.push_back(',');
      if (k < plan.phone_cells.size()) write_cell(out, plan.phone_cells[k]);
    }
    for (std::size_t k = 0; k < email_columns; ++k) {
      out.push_back(',');
      if (k < plan.email_cells.size()) write_cell(out, plan.email_cells[k]);
    }
    for (int pair = 0; pair < kPairCount; ++pair) {
      if (!pair_used[pair]) continue;
      out.push_back(',');
      if (const Consent* c = plan.by_pair[pair]) out += c->granted ? "Y" : "N";
    }
    for (int m = 0; m < 3; ++m) {
      out.push_back(',');
      write_cell(out, plan.shared[m]);
    }
    for (int pair = 0; pair < kPairCount; ++pair) {
      for (int m = 0; m < 3; ++m) {
        if (!meta_used[pair][m]) continue;
        out.push_back(',');
        const Consent* c = plan.by_pair[pair];
        if (c != nullptr && meta_of(*c, m) != plan.shared[m]) write_cell(out, meta_of(*c, m));
      }
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace jarip::customers
