#include "customers/csv_import.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "text/cp949.hpp"
#include "text/utf8.hpp"

namespace jarip::customers {
namespace {

// CP949 bytes of UTF-8 test text, by the table-driven encoder.
std::string cp949(std::string_view utf8) {
  auto bytes = text::encode_cp949(utf8);
  EXPECT_TRUE(bytes.ok()) << bytes.error().message;
  return bytes.ok() ? *bytes : std::string();
}

const std::string kBom = "\xEF\xBB\xBF";

CsvImport import_ok(std::string_view bytes, const CsvImportOptions& options = {}) {
  auto imported = import_customers_csv(bytes, options);
  EXPECT_TRUE(imported.ok()) << imported.error().code << ": " << imported.error().message;
  return imported.ok() ? *imported : CsvImport{};
}

Error import_error(std::string_view bytes, const CsvImportOptions& options = {}) {
  auto imported = import_customers_csv(bytes, options);
  EXPECT_FALSE(imported.ok());
  return imported.ok() ? Error{} : imported.error();
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

std::string all_issues(const std::vector<ImportIssue>& issues) {
  std::string out;
  for (const ImportIssue& issue : issues) out += describe(issue) + "\n";
  return out;
}

Consent consent(std::string channel, std::string purpose, bool granted, std::string at = "", std::string source = "",
                std::string evidence = "") {
  return Consent{std::move(channel), std::move(purpose), granted, std::move(at), std::move(source), std::move(evidence)};
}

// ---- field rules ------------------------------------------------------------------------------

TEST(CustomerFields, Email) {
  EXPECT_EQ(*normalize_email(" Hong.Gildong+news@Example.CO.KR "), "Hong.Gildong+news@example.co.kr");
  EXPECT_EQ(*normalize_email("o'brien_1@mail.example.com"), "o'brien_1@mail.example.com");
  EXPECT_EQ(*normalize_email("user@한국.kr"), "user@한국.kr");  // IDN domains as typed
  for (std::string_view bad : {"", "plain", "a@b", "a@@b.com", "a@b@c.com", "@example.com", "a@", ".a@b.com",
                               "a.@b.com", "a..b@c.com", "a b@c.com", "\"a\"@b.com", "홍@b.com", "a@-b.com",
                               "a@b-.com", "a@b..com", "a@.b.com", "a@b.com.", "a@[1.2.3.4]", "a@1.2.3.4",
                               "a@b_c.com", "a,b@c.com", "a@b.c om"}) {
    auto email = normalize_email(bad);
    ASSERT_FALSE(email.ok()) << bad;
    EXPECT_EQ(email.error().code, "invalid_email") << bad;
  }
  EXPECT_FALSE(normalize_email(std::string(65, 'a') + "@example.com").ok());
  EXPECT_TRUE(normalize_email(std::string(64, 'a') + "@example.com").ok());
  EXPECT_FALSE(normalize_email("a@" + std::string(64, 'b') + ".com").ok());
  EXPECT_FALSE(normalize_email("a@" + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                               std::string(63, 'd') + "." + std::string(63, 'e') + ".com")
                   .ok());  // 261 bytes
  EXPECT_TRUE(normalize_email("a@" + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                              std::string(63, 'd') + "." + std::string(56, 'e') + ".com")
                  .ok());  // 254 bytes
}

TEST(CustomerFields, ConsentTime) {
  struct Case {
    std::string_view in, out;
  };
  for (const Case& c : {
           Case{"2024-03-05T14:30:00+09:00", "2024-03-05T14:30:00+09:00"},
           Case{"2024-03-05T05:30:00Z", "2024-03-05T14:30:00+09:00"},
           Case{"2024-03-05t05:30:00z", "2024-03-05T14:30:00+09:00"},
           Case{"2024-03-04T20:30:00-09:00", "2024-03-05T14:30:00+09:00"},
           Case{"2024-03-05T14:30:00.5+09:00", "2024-03-05T14:30:00.500+09:00"},
           Case{"2024-03-05T14:30:00.123456789+09:00", "2024-03-05T14:30:00.123+09:00"},
           Case{"2024-03-05 14:30", "2024-03-05T14:30:00+09:00"},
           Case{"2024-03-05 14:30:07", "2024-03-05T14:30:07+09:00"},
           Case{"2024-03-05 14:30:07Z", "2024-03-05T23:30:07+09:00"},
           Case{"2024-03-05", "2024-03-05T00:00:00+09:00"},
           Case{"2024.03.05", "2024-03-05T00:00:00+09:00"},
           Case{"2024. 3. 5.", "2024-03-05T00:00:00+09:00"},
           Case{"2024.3.5 9:05", "2024-03-05T09:05:00+09:00"},
           Case{"2024/03/05 09:05:30", "2024-03-05T09:05:30+09:00"},
           Case{"2024-03-05 오후 2:30", "2024-03-05T14:30:00+09:00"},
           Case{"2024-03-05 오전 12:10", "2024-03-05T00:10:00+09:00"},
           Case{"2024-03-05 12:10 PM", "2024-03-05T12:10:00+09:00"},
           Case{"2024-03-05 2:30:15 pm", "2024-03-05T14:30:15+09:00"},
           Case{"2024-02-29", "2024-02-29T00:00:00+09:00"},
           Case{" 2000-01-01 ", "2000-01-01T00:00:00+09:00"},
       }) {
    auto at = normalize_consent_time(c.in);
    ASSERT_TRUE(at.ok()) << c.in << ": " << at.error().message;
    EXPECT_EQ(*at, c.out) << c.in;
    EXPECT_EQ(*normalize_consent_time(*at), *at) << "canonical form is a fixed point";
  }
  for (std::string_view bad :
       {"", "2024", "24-03-05", "2024-13-01", "2024-00-10", "2023-02-29", "2024-04-31", "2024-03-05 24:00",
        "2024-03-05 14:60", "2024-03-05 14:30:60", "2024-03-05 14", "2024-03-05T14:30:00+9:00",
        "2024-03-05T14:30:00+24:00", "2024-03-05 14:30 +09:00", "2024-03-05x", "2024.03-05", "1899-12-31",
        "2024-03-05 오후 13:00", "2024-03-05 0:10 AM", "2024-03-05T14:30:00.+09:00", "2024년 3월 5일",
        "10000-01-01", "2024-03-05 14:30:00.1234567890"}) {
    auto at = normalize_consent_time(bad);
    ASSERT_FALSE(at.ok()) << bad << " gave " << *at;
    EXPECT_EQ(at.error().code, "invalid_date");
  }
}

TEST(CustomerFields, ConsentValueAndLocale) {
  for (std::string_view yes : {"Y", "y", "YES", "1", "true", "TRUE", "O", "o", "○", "동의", "예", "수신", " Y "}) {
    EXPECT_EQ(*parse_consent_value(yes), std::optional<bool>(true)) << yes;
  }
  for (std::string_view no : {"N", "no", "0", "False", "X", "x", "×", "거부", "아니오", "아니요", "미동의", "비동의", "수신거부"}) {
    EXPECT_EQ(*parse_consent_value(no), std::optional<bool>(false)) << no;
  }
  EXPECT_EQ(*parse_consent_value(""), std::optional<bool>());
  EXPECT_EQ(*parse_consent_value("   "), std::optional<bool>());
  for (std::string_view bad : {"maybe", "2", "YY", "동의함?"}) {
    EXPECT_EQ(parse_consent_value(bad).error().code, "invalid_consent_value") << bad;
  }
  for (std::string_view ko : {"ko", "KO", "ko-KR", "ko_kr", "Korean", "한국어", "kor"}) EXPECT_EQ(*normalize_locale(ko), "ko");
  for (std::string_view en : {"en", "EN-us", "en_GB", "English", "영어", "eng"}) EXPECT_EQ(*normalize_locale(en), "en");
  for (std::string_view bad : {"", "jp", "k", "korea-n"}) EXPECT_EQ(normalize_locale(bad).error().code, "invalid_locale");
}

TEST(CustomerFields, ColumnLettersAndDescribe) {
  EXPECT_EQ(column_letters(1), "A");
  EXPECT_EQ(column_letters(26), "Z");
  EXPECT_EQ(column_letters(27), "AA");
  EXPECT_EQ(column_letters(702), "ZZ");
  EXPECT_EQ(column_letters(703), "AAA");
  EXPECT_EQ(describe(ImportIssue{7, 3, "휴대폰", "invalid_phone", "bad"}), "row 7, column C (휴대폰): invalid_phone: bad");
  EXPECT_EQ(describe(ImportIssue{4, 0, "", "ragged_row", "x"}), "row 4: ragged_row: x");
  EXPECT_EQ(*parse_csv_encoding("AUTO"), CsvEncoding::detect);
  EXPECT_EQ(*parse_csv_encoding("UTF-8"), CsvEncoding::utf8);
  EXPECT_EQ(*parse_csv_encoding("euc-kr"), CsvEncoding::cp949);
  EXPECT_EQ(*parse_csv_encoding("CP949"), CsvEncoding::cp949);
  EXPECT_EQ(parse_csv_encoding("latin1").error().code, "unsupported_encoding");
}

// ---- encodings --------------------------------------------------------------------------------

// What Korean Excel writes for "CSV (쉼표로 분리)": CP949, CRLF. Written out byte by byte, so that
// the test does not depend on the encoder it also checks.
TEST(CustomerCsvEncoding, Cp949FromExcelHexLiteral) {
  const std::string bytes =
      // 고객번호,이름,휴대폰,SMS광고수신동의\r\n
      "\xB0\xED\xB0\xB4\xB9\xF8\xC8\xA3,\xC0\xCC\xB8\xA7,\xC8\xDE\xB4\xEB\xC6\xF9,SMS\xB1\xA4\xB0\xED\xBC\xF6"
      "\xBD\xC5\xB5\xBF\xC0\xC7\r\n"
      // C001,홍길동,010-1234-5678,동의\r\n
      "C001,\xC8\xAB\xB1\xE6\xB5\xBF,010-1234-5678,\xB5\xBF\xC0\xC7\r\n"
      // C002,김똠햏,01098765432,거부\r\n   (똠 8C63 and 햏 C164: UHC extension syllables)
      "C002,\xB1\xE8\x8C\x63\xC1\x64,01098765432,\xB0\xC5\xBA\xCE\r\n";
  const CsvImport imported = import_ok(bytes);
  EXPECT_EQ(imported.encoding, "cp949");
  EXPECT_FALSE(imported.bom);
  ASSERT_EQ(imported.customers.size(), 2u) << all_issues(imported.rejections);
  EXPECT_TRUE(imported.warnings.empty()) << all_issues(imported.warnings);
  const Customer& hong = imported.customers[0].customer;
  EXPECT_EQ(hong.id, "C001");
  EXPECT_EQ(hong.name, "홍길동");
  EXPECT_EQ(hong.locale, "ko");
  EXPECT_EQ(hong.phones, std::vector<std::string>{"01012345678"});
  EXPECT_EQ(hong.consents, std::vector<Consent>{consent("sms", "ad", true)});
  const Customer& kim = imported.customers[1].customer;
  EXPECT_EQ(imported.customers[1].row, 3u);
  EXPECT_EQ(kim.name, "김똠햏");
  EXPECT_EQ(kim.consents, std::vector<Consent>{consent("sms", "ad", false)});
}

TEST(CustomerCsvEncoding, Cp949ByEncoderWithEveryKindOfCharacter) {
  // Every one of the 11,172 Hangul syllables goes through, KS X 1001 or not, 50 to a name.
  std::string names;
  std::string csv = "고객번호,이름\r\n";
  int row = 0;
  for (char32_t cp = 0xAC00; cp <= 0xD7A3; cp += 50, ++row) {
    std::string name;
    for (char32_t k = 0; k < 50 && cp + k <= 0xD7A3; ++k) text::append_utf8(name, cp + k);
    csv += "C" + std::to_string(row) + "," + name + "\r\n";
    names += name + "|";
  }
  csv += "H1,漢字 ㈜ ★ € ®\r\n";
  const CsvImport imported = import_ok(cp949(csv));
  EXPECT_EQ(imported.encoding, "cp949");
  ASSERT_TRUE(imported.rejections.empty()) << all_issues(imported.rejections);
  std::string got;
  for (std::size_t i = 0; i + 1 < imported.customers.size(); ++i) got += imported.customers[i].customer.name + "|";
  EXPECT_EQ(got, names);
  EXPECT_EQ(imported.customers.back().customer.name, "漢字 ㈜ ★ € ®");
}

TEST(CustomerCsvEncoding, Utf8WithAndWithoutBom) {
  const std::string csv = "id,이름,이메일\r\nC1,홍길동,HONG@Example.com\r\n";
  const CsvImport with_bom = import_ok(kBom + csv);
  EXPECT_EQ(with_bom.encoding, "utf-8");
  EXPECT_TRUE(with_bom.bom);
  ASSERT_EQ(with_bom.customers.size(), 1u);
  EXPECT_EQ(with_bom.customers[0].customer.name, "홍길동");
  EXPECT_EQ(with_bom.customers[0].customer.emails, std::vector<std::string>{"HONG@example.com"});

  const CsvImport without = import_ok(csv);
  EXPECT_EQ(without.encoding, "utf-8");
  EXPECT_FALSE(without.bom);
  EXPECT_EQ(without.customers[0].customer, with_bom.customers[0].customer);
  // The same text in CP949 gives the same customer.
  const CsvImport legacy = import_ok(cp949(csv));
  EXPECT_EQ(legacy.encoding, "cp949");
  EXPECT_EQ(legacy.customers[0].customer, with_bom.customers[0].customer);
}

TEST(CustomerCsvEncoding, ForcedEncoding) {
  const std::string korean = cp949("id,name\nC1,홍길동\n");
  CsvImportOptions utf8;
  utf8.encoding = CsvEncoding::utf8;
  Error error = import_error(korean, utf8);
  EXPECT_EQ(error.code, "invalid_encoding");
  // 홍 is C8 AB in CP949, which happens to be valid UTF-8 (U+022B); 길 (B1 E6) is not.
  EXPECT_TRUE(contains(error.message, "not valid UTF-8 at byte 13 (0xB1): unexpected continuation byte"))
      << error.message;

  CsvImportOptions legacy;
  legacy.encoding = CsvEncoding::cp949;
  EXPECT_EQ(import_ok(korean, legacy).customers[0].customer.name, "홍길동");
  // ASCII is the same in both; forcing CP949 on it is harmless.
  EXPECT_EQ(import_ok("id\nC1\n", legacy).encoding, "cp949");
  EXPECT_EQ(import_error(kBom + "id\nC1\n", legacy).code, "invalid_encoding");
  // Valid UTF-8 forced to CP949 is decoded as CP949 when it happens to be valid CP949 too, else refused.
  error = import_error("id,name\nC1,\xED\x99\x8D\n", legacy);
  EXPECT_EQ(error.code, "invalid_encoding");
  EXPECT_TRUE(contains(error.message, "not valid CP949 at byte 11 (0xED): unmapped sequence")) << error.message;
}

TEST(CustomerCsvEncoding, InvalidInBothIsAWholeFileErrorWithTheOffset) {
  Error error = import_error("id,name\nC1,ab\xFF\n");
  EXPECT_EQ(error.code, "invalid_encoding");
  EXPECT_TRUE(contains(error.message, "neither UTF-8 (invalid at byte 13 (0xFF)")) << error.message;
  EXPECT_TRUE(contains(error.message, "nor CP949 (invalid at byte 13 (0xFF): 0xFF is not a CP949 byte)")) << error.message;

  // UTF-8 fails first at the CP949 text, CP949 fails later at a stray byte.
  error = import_error(cp949("id,name\nC1,홍길동\n") + "C2,\x80\n");
  EXPECT_TRUE(contains(error.message, "UTF-8 (invalid at byte 13")) << error.message;
  EXPECT_TRUE(contains(error.message, "CP949 (invalid at byte 21 (0x80)")) << error.message;

  // A BOM promises UTF-8.
  error = import_error(kBom + "id,name\nC1," + cp949("홍길동") + "\n");
  EXPECT_EQ(error.code, "invalid_encoding");
  EXPECT_TRUE(contains(error.message, "byte-order mark but is not valid UTF-8 at byte 16")) << error.message;

  EXPECT_EQ(import_error(std::string("\xFF\xFEi\0d\0", 6)).code, "unsupported_encoding");
}

// ---- CSV syntax -------------------------------------------------------------------------------

TEST(CustomerCsvSyntax, QuotedCommasQuotesAndLineBreaks) {
  const std::string csv =
      "id,name,phone,consent.sms.ad,consent_source,consent_evidence\r\n"
      "C1,\"홍, 길동\",\"010-1111-2222\n010-3333-4444\",Y,\"매장 \"\"본점\"\"\",\"종이 신청서\r\n2024-03 보관함\"\r\n"
      "\"C2\",\"\",\"\",\"\",\"\",\"\"\r\n"
      "C3,이영희,,N,,\r\n";
  const CsvImport imported = import_ok(csv);
  ASSERT_EQ(imported.customers.size(), 3u) << all_issues(imported.rejections);
  const Customer& c1 = imported.customers[0].customer;
  EXPECT_EQ(c1.name, "홍, 길동");
  EXPECT_EQ(c1.phones, (std::vector<std::string>{"01011112222", "01033334444"}));
  ASSERT_EQ(c1.consents.size(), 1u);
  EXPECT_EQ(c1.consents[0].source, "매장 \"본점\"");
  EXPECT_EQ(c1.consents[0].evidence, "종이 신청서\n2024-03 보관함");  // CRLF inside a cell → LF
  // A record with line breaks inside quotes is still one spreadsheet row.
  EXPECT_EQ(imported.customers[1].row, 3u);
  EXPECT_EQ(imported.customers[1].customer.id, "C2");
  EXPECT_TRUE(imported.customers[1].customer.consents.empty());
  EXPECT_EQ(imported.customers[2].row, 4u);
}

TEST(CustomerCsvSyntax, LineEndings) {
  for (std::string_view csv : {"id,name\nC1,a\nC2,b\n", "id,name\r\nC1,a\r\nC2,b\r\n", "id,name\rC1,a\rC2,b\r",
                               "id,name\nC1,a\nC2,b", "id,name\r\nC1,a\nC2,b\r\n"}) {
    const CsvImport imported = import_ok(csv);
    ASSERT_EQ(imported.customers.size(), 2u) << csv;
    EXPECT_EQ(imported.customers[1].customer.name, "b");
    EXPECT_EQ(imported.data_rows, 2u);
    EXPECT_EQ(imported.blank_rows, 0u);
  }
  // Blank rows (Excel writes ",,"; editors leave empty lines) are skipped but keep their number.
  const CsvImport blanks = import_ok("id,name\n,\n\nC3,c\n  ,  \n\n");
  EXPECT_EQ(blanks.data_rows, 5u);
  EXPECT_EQ(blanks.blank_rows, 4u);
  ASSERT_EQ(blanks.customers.size(), 1u);
  EXPECT_EQ(blanks.customers[0].row, 4u);
  // A header alone is an empty import, not an error.
  EXPECT_TRUE(import_ok("id,name\r\n").customers.empty());
}

TEST(CustomerCsvSyntax, SepLineAndTabs) {
  const CsvImport semicolons = import_ok(kBom + "sep=;\r\nid;name;phone\r\nC1;홍, 길동;010-1234-5678\r\n");
  EXPECT_EQ(semicolons.separator, ';');
  ASSERT_EQ(semicolons.customers.size(), 1u);
  EXPECT_EQ(semicolons.customers[0].customer.name, "홍, 길동");
  EXPECT_EQ(semicolons.customers[0].row, 2u);  // the sep= line is not a row: Excel does not show it

  const CsvImport tabs = import_ok("id\tname\t\"memo, a\"\nC1\t홍길동\tx,y\n");
  EXPECT_EQ(tabs.separator, '\t');
  ASSERT_EQ(tabs.customers.size(), 1u);
  EXPECT_EQ(tabs.customers[0].customer.name, "홍길동");
  // Tabs and commas in the header: commas win (a tab is then just a blank in a name).
  EXPECT_EQ(import_ok("id,name\tx\nC1,a\tb\n").separator, ',');
  EXPECT_EQ(import_ok("SEP=|\nid|name\nC1|a\n").separator, '|');
}

TEST(CustomerCsvSyntax, RaggedRowsAndBadQuotes) {
  const CsvImport imported = import_ok("id,name,phone\nC1,a\nC2,b,,extra\nC3,\"c\"d,\nC4,e\"f,\nC5,g,\n");
  EXPECT_EQ(all_issues(imported.rejections),
            "row 2: ragged_row: the row has 2 cells but the header has 3 (a missing or extra separator, or an unquoted comma)\n"
            "row 3: ragged_row: the row has 4 cells but the header has 3 (a missing or extra separator, or an unquoted comma)\n"
            "row 4, column B (name): invalid_quotes: text after the closing quote of a quoted cell (write \"\" for a quote inside one)\n");
  ASSERT_EQ(imported.customers.size(), 2u);
  EXPECT_EQ(imported.customers[0].customer.name, "e\"f");  // a quote inside an unquoted cell is text
  EXPECT_EQ(imported.rejected_rows(), 3u);

  Error error = import_error("id,name\nC1,a\nC2,\"never closed\nC3,c\n");
  EXPECT_EQ(error.code, "unterminated_quote");
  EXPECT_EQ(error.message, "row 3, column B (name): a quoted cell is never closed, so the rest of the file would be inside it");
}

// ---- the header -------------------------------------------------------------------------------

TEST(CustomerCsvHeader, KoreanNamesMapToTheScheme) {
  const std::string csv =
      "고객 ID,성명,언어,휴대전화,전화번호2,E-Mail,SMS광고동의,이메일 광고 동의,야간광고동의,광고수신동의여부(알림톡),"
      "문자 정보 수신 동의,푸시마케팅수신동의,동의일시,동의경로,동의증빙\r\n"
      "C1,홍길동,영어,010-1234-5678,+82 10 9876 5432,hong@example.com,Y,N,,O,동의,X,2024.03.05,매장,신청서 17번\r\n";
  const CsvImport imported = import_ok(cp949(csv));
  EXPECT_TRUE(imported.warnings.empty()) << all_issues(imported.warnings);
  ASSERT_EQ(imported.customers.size(), 1u) << all_issues(imported.rejections);
  const Customer& c = imported.customers[0].customer;
  EXPECT_EQ(c.id, "C1");
  EXPECT_EQ(c.name, "홍길동");
  EXPECT_EQ(c.locale, "en");
  EXPECT_EQ(c.phones, (std::vector<std::string>{"01012345678", "01098765432"}));
  EXPECT_EQ(c.emails, std::vector<std::string>{"hong@example.com"});
  const std::string at = "2024-03-05T00:00:00+09:00";
  // Canonical order (channel *, sms, alimtalk, email, push; purpose info, ad, ad_night), whatever
  // the column order; an empty cell is no record.
  EXPECT_EQ(c.consents, (std::vector<Consent>{
                            consent("sms", "info", true, at, "매장", "신청서 17번"),
                            consent("sms", "ad", true, at, "매장", "신청서 17번"),
                            consent("alimtalk", "ad", true, at, "매장", "신청서 17번"),
                            consent("email", "ad", false, at, "매장", "신청서 17번"),
                            consent("push", "ad", false, at, "매장", "신청서 17번"),
                        }));
}

TEST(CustomerCsvHeader, EnglishConsentSpellings) {
  const CsvImport imported = import_ok(
      "ID,Name,consent_sms_ad,Consent.Email.Info,consent.*.ad_night,CONSENT ALL AD,consent-push-ad-night,"
      "consent.alimtalk.info\n"
      "C1,a,1,true,y,0,FALSE,no\n");
  ASSERT_EQ(imported.customers.size(), 1u) << all_issues(imported.rejections);
  EXPECT_EQ(imported.customers[0].customer.consents,
            (std::vector<Consent>{consent("*", "ad", false), consent("*", "ad_night", true), consent("sms", "ad", true),
                                  consent("alimtalk", "info", false), consent("email", "info", true),
                                  consent("push", "ad_night", false)}));
}

TEST(CustomerCsvHeader, DecomposedHangulHeaderIsMatched) {
  // "이름" as conjoining jamo (NFD, as some macOS tools write it).
  const CsvImport imported = import_ok("id,\xE1\x84\x8B\xE1\x85\xB5\xE1\x84\x85\xE1\x85\xB3\xE1\x86\xB7\nC1,홍길동\n");
  EXPECT_TRUE(imported.warnings.empty()) << all_issues(imported.warnings);
  EXPECT_EQ(imported.customers[0].customer.name, "홍길동");
}

TEST(CustomerCsvHeader, UnknownColumnsAreWarnings) {
  const CsvImport imported = import_ok("id,name,메모,,SMS수신동의,개인정보수집동의\nC1,a,VIP,x,Y,Y\n");
  ASSERT_EQ(imported.customers.size(), 1u);
  EXPECT_TRUE(imported.customers[0].customer.consents.empty());
  ASSERT_EQ(imported.warnings.size(), 4u);
  EXPECT_EQ(describe(imported.warnings[0]), "row 1, column C (메모): unknown_column: unknown column \"메모\": its cells are ignored");
  EXPECT_EQ(imported.warnings[1].code, "unnamed_column");
  EXPECT_EQ(imported.warnings[1].column, 4u);
  EXPECT_EQ(imported.warnings[2].column_name, "SMS수신동의");
  EXPECT_TRUE(contains(imported.warnings[2].message, "needs a purpose")) << imported.warnings[2].message;
  EXPECT_EQ(imported.warnings[3].code, "unknown_column");
}

TEST(CustomerCsvHeader, WholeFileErrors) {
  Error error = import_error("name,phone\n홍길동,010-1234-5678\n");
  EXPECT_EQ(error.code, "missing_id_column");
  EXPECT_EQ(import_error("").code, "missing_header");
  EXPECT_EQ(import_error(kBom).code, "missing_header");
  EXPECT_EQ(import_error(",,\nC1,a,b\n").code, "missing_header");

  error = import_error("id,name,고객번호\n");
  EXPECT_EQ(error.code, "duplicate_column");
  EXPECT_EQ(error.message, "row 1: columns A (id) and C (고객번호) are both id");
  error = import_error("id,consent.sms.ad,SMS 광고 수신 동의\n");
  EXPECT_EQ(error.code, "duplicate_column");
  EXPECT_TRUE(contains(error.message, "are both consent.sms.ad")) << error.message;
  EXPECT_EQ(import_error("id,동의일시,consent_at\n").code, "duplicate_column");

  for (std::string_view bad : {"id,consent.fax.ad\n", "id,consent.sms.promo\n", "id,consentsmsad\n", "id,consent\n",
                               "id,consent.sms\n", "id,consent.sms.ad.when\n"}) {
    error = import_error(bad);
    EXPECT_EQ(error.code, "invalid_consent_column") << bad;
    EXPECT_TRUE(contains(error.message, "row 1, column B: header \"")) << error.message;
  }
  error = import_error("id,consent.sms.ad.at\n");
  EXPECT_EQ(error.code, "invalid_consent_column");
  EXPECT_TRUE(contains(error.message, "needs a consent.sms.ad column")) << error.message;
}

// ---- per-row validation -----------------------------------------------------------------------

TEST(CustomerCsvRows, EveryRejectionCode) {
  CsvImportOptions options;
  options.max_field_bytes = 40;
  const std::string csv =
      "id,name,locale,phone,email,consent.sms.ad,consent_at,consent_source\n"
      "C1,홍길동,ko,010-1234-5678,hong@example.com,Y,2024-03-05 14:30,web\n"      // row 2: fine
      ",이름없음,,,,,,\n"                                                          // row 3: missing_id
      "C1,중복,,,,,,\n"                                                            // row 4: duplicate_id
      "C5,\"줄\n바꿈\",jp,010-12,not-an-email,maybe,2024-02-30,\"a\x01\"\n"          // row 5: six problems
      "C6\x02,x,,,,,,\n"                                                           // row 6: invalid_id
      "C7,,,,,,," + std::string(41, 'z') + "\n"                                    // row 7: field_too_long
      "C8,\"q\"x,,,,,,\n"                                                          // row 8: invalid_quotes
      "C9,a,b\n"                                                                   // row 9: ragged_row
      "C10,ok,en,,,,,\n";                                                          // row 10: fine
  const CsvImport imported = import_ok(csv, options);
  ASSERT_EQ(imported.customers.size(), 2u);
  EXPECT_EQ(imported.customers[0].row, 2u);
  EXPECT_EQ(imported.customers[1].row, 10u);
  EXPECT_EQ(imported.customers[1].customer.locale, "en");
  EXPECT_EQ(imported.rejected_rows(), 7u);

  std::vector<std::string> codes;
  for (const ImportIssue& issue : imported.rejections) {
    codes.push_back(std::to_string(issue.row) + ":" + column_letters(std::max<std::size_t>(issue.column, 1)) + ":" + issue.code);
  }
  EXPECT_EQ(codes, (std::vector<std::string>{
                       "3:A:missing_id", "4:A:duplicate_id", "5:B:invalid_name", "5:C:invalid_locale",
                       "5:D:invalid_phone", "5:E:invalid_email", "5:F:invalid_consent_value", "5:G:invalid_date",
                       "5:H:invalid_text", "6:A:invalid_id", "7:H:field_too_long", "8:B:invalid_quotes",
                       "9:A:ragged_row"}))
      << all_issues(imported.rejections);
  EXPECT_EQ(imported.rejections[1].message, "the id \"C1\" is already used in row 2");
  EXPECT_EQ(imported.rejections[1].column_name, "id");
  EXPECT_EQ(imported.rejections[12].column, 0u);
  EXPECT_EQ(imported.rejections[10].message, "the cell is 41 bytes; the limit is 40");
  EXPECT_TRUE(contains(imported.rejections[4].message, "too short")) << imported.rejections[4].message;
  for (const ImportIssue& issue : imported.rejections) EXPECT_FALSE(issue.message.empty());
}

TEST(CustomerCsvRows, DuplicateIdAgainstARejectedRowAndCaseSensitivity) {
  const CsvImport imported = import_ok("id,phone\nA1,bad\nA1,010-1234-5678\na1,010-1234-5678\n");
  ASSERT_EQ(imported.customers.size(), 1u);
  EXPECT_EQ(imported.customers[0].customer.id, "a1");
  ASSERT_EQ(imported.rejections.size(), 2u);
  EXPECT_EQ(imported.rejections[1].code, "duplicate_id");
  EXPECT_EQ(imported.rejections[1].row, 3u);
}

TEST(CustomerCsvRows, Phones) {
  const CsvImport imported = import_ok(
      "id,phone,phone,휴대폰3\n"
      "C1,010-1234-5678; +82 10-2222-3333,01012345678,\"(011) 123-4567\n0082-10-4444-5555\"\n"
      "C2,1012345678,,\n"
      "C3,010-1234-567;02-123-4567;010-1234-5678,,\n");
  ASSERT_EQ(imported.customers.size(), 2u) << all_issues(imported.rejections);
  EXPECT_EQ(imported.customers[0].customer.phones,
            (std::vector<std::string>{"01012345678", "01022223333", "0111234567", "01044445555"}));
  // Excel turned 01012345678 into the number 1012345678: the 0 comes back, with a warning.
  EXPECT_EQ(imported.customers[1].customer.phones, std::vector<std::string>{"01012345678"});
  ASSERT_EQ(imported.warnings.size(), 1u);
  EXPECT_EQ(imported.warnings[0].code, "phone_leading_zero_restored");
  EXPECT_EQ(imported.warnings[0].row, 3u);
  // Each bad value is its own rejection, and the message never repeats the whole number.
  ASSERT_EQ(imported.rejections.size(), 2u);
  EXPECT_EQ(imported.rejections[0].message,
            "value 1 of 3: \"****4567\": invalid phone number: too short: 010 numbers have 11 digits "
            "(separate several numbers with ';')");
  EXPECT_TRUE(contains(imported.rejections[1].message, "value 2 of 3: \"02-***-4567\": invalid phone number: bad prefix"))
      << imported.rejections[1].message;
  for (const ImportIssue& issue : imported.rejections) EXPECT_FALSE(contains(issue.message, "1234567"));
}

TEST(CustomerCsvRows, Emails) {
  const CsvImport imported = import_ok(
      "id,email,이메일2\n"
      "C1,\"A@Example.com, b@EXAMPLE.com\",A@example.COM\n"
      "C2,a@example.com;bad@;c@example.com,\n");
  ASSERT_EQ(imported.customers.size(), 1u);
  EXPECT_EQ(imported.customers[0].customer.emails, (std::vector<std::string>{"A@example.com", "b@example.com"}));
  ASSERT_EQ(imported.rejections.size(), 1u);
  EXPECT_EQ(imported.rejections[0].message, "value 2 of 3: invalid e-mail address: nothing after the @");
}

TEST(CustomerCsvRows, ConsentMetadata) {
  const CsvImport imported = import_ok(
      "id,consent.sms.ad,consent.email.ad,consent.sms.ad_night,consent_at,consent_source,consent.email.ad.at,"
      "consent.email.ad.source,consent.email.ad.evidence\n"
      "C1,Y,N,Y,2024-03-05 14:30,web,2023-01-02T03:04:05Z,,call-778\n"
      "C2,Y,,,,,,,\n");
  ASSERT_EQ(imported.customers.size(), 2u) << all_issues(imported.rejections);
  EXPECT_EQ(imported.customers[0].customer.consents,
            (std::vector<Consent>{consent("sms", "ad", true, "2024-03-05T14:30:00+09:00", "web"),
                                  consent("sms", "ad_night", true, "2024-03-05T14:30:00+09:00", "web"),
                                  consent("email", "ad", false, "2023-01-02T12:04:05+09:00", "web", "call-778")}));
  // A consent with no date is kept with an empty "at" (unknown).
  EXPECT_EQ(imported.customers[1].customer.consents, std::vector<Consent>{consent("sms", "ad", true)});
}

TEST(CustomerCsvRows, FormulaEscapesAreRemoved) {
  const CsvImport imported = import_ok("id,name\nC1,'=SUM(A1)\nC2,''+1\nC3,'plain\nC4,=raw\n");
  ASSERT_EQ(imported.customers.size(), 4u);
  EXPECT_EQ(imported.customers[0].customer.name, "=SUM(A1)");
  EXPECT_EQ(imported.customers[1].customer.name, "'+1");
  EXPECT_EQ(imported.customers[2].customer.name, "'plain");
  EXPECT_EQ(imported.customers[3].customer.name, "=raw");
}

TEST(CustomerCsvRows, Streaming) {
  const std::string csv = "id,phone\nC1,010-1234-5678\nC2,bad\nC3,\n";
  std::vector<ImportedCustomer> streamed;
  auto imported = import_customers_csv(csv, {}, [&](ImportedCustomer&& c) { streamed.push_back(std::move(c)); });
  ASSERT_TRUE(imported.ok());
  EXPECT_TRUE(imported->customers.empty());
  const CsvImport kept = import_ok(csv);
  ASSERT_EQ(streamed.size(), 2u);
  EXPECT_EQ(streamed[0].customer, kept.customers[0].customer);
  EXPECT_EQ(streamed[1].row, 4u);
  EXPECT_EQ(imported->rejections, kept.rejections);
  // A whole-file error after rows were handed over: the Result is the error all the same.
  streamed.clear();
  auto broken = import_customers_csv(csv + "C4,\"010", {}, [&](ImportedCustomer&& c) { streamed.push_back(std::move(c)); });
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, "unterminated_quote");
  EXPECT_EQ(streamed.size(), 2u);
}

// ---- limits -----------------------------------------------------------------------------------

TEST(CustomerCsvLimits, FileSize) {
  EXPECT_EQ(kMaxCsvBytes, 64u * 1024 * 1024);
  std::string big(kMaxCsvBytes + 1, ' ');
  Error error = import_error(big);
  EXPECT_EQ(error.code, "file_too_large");
  EXPECT_EQ(error.message, "the file is 67,108,865 bytes; the limit is 67,108,864");

  CsvImportOptions options;
  options.max_bytes = 12;
  EXPECT_TRUE(import_customers_csv("id\nC1\nC2\nC3\n", options).ok());  // exactly 12
  EXPECT_EQ(import_error("id\nC1\nC2\nC34\n", options).code, "file_too_large");
}

TEST(CustomerCsvLimits, Rows) {
  EXPECT_EQ(kMaxCsvRows, 1'000'000u);
  // Blank rows count (they have row numbers), which keeps this test fast at the real limit.
  const CsvImport at_limit = import_ok("id\n" + std::string(kMaxCsvRows, '\n'));
  EXPECT_EQ(at_limit.data_rows, kMaxCsvRows);
  Error error = import_error("id\n" + std::string(kMaxCsvRows + 1, '\n'));
  EXPECT_EQ(error.code, "too_many_rows");
  EXPECT_EQ(error.message, "row 1,000,002: the file has more than 1,000,000 customer rows; split it");

  CsvImportOptions options;
  options.max_rows = 2;
  EXPECT_EQ(import_ok("id\nC1\nC2\n", options).customers.size(), 2u);
  EXPECT_EQ(import_error("id\nC1\nC2\nC3\n", options).message,
            "row 4: the file has more than 2 customer rows; split it");
}

TEST(CustomerCsvLimits, FieldSize) {
  EXPECT_EQ(kMaxCsvFieldBytes, 4096u);
  const std::string at_limit(4096, 'n');
  const std::string over(4097, 'n');
  // 1,365 Hangul syllables are 4,095 UTF-8 bytes (2,730 in CP949): the limit is on UTF-8.
  std::string hangul;
  for (int i = 0; i < 1365; ++i) hangul += "가";
  const CsvImport imported = import_ok("id,name\nC1," + at_limit + "\nC2,\"" + over + "\"\nC3," + hangul + "\nC4," +
                                       hangul + "가\n");
  ASSERT_EQ(imported.customers.size(), 2u);
  EXPECT_EQ(imported.customers[0].customer.name, at_limit);
  EXPECT_EQ(imported.customers[1].customer.name, hangul);
  ASSERT_EQ(imported.rejections.size(), 2u);
  EXPECT_EQ(describe(imported.rejections[0]),
            "row 3, column B (name): field_too_long: the cell is 4,097 bytes; the limit is 4,096");
  EXPECT_EQ(imported.rejections[1].row, 5u);

  // The limit is on the value: blanks around it and a formula-escape apostrophe do not count.
  const std::string formula = "=" + std::string(4095, 'f');
  const CsvImport escaped = import_ok("id,name\nC1,  '" + formula + "  \n");
  ASSERT_EQ(escaped.customers.size(), 1u) << all_issues(escaped.rejections);
  EXPECT_EQ(escaped.customers[0].customer.name, formula);

  Error error = import_error("id," + over + "\n");
  EXPECT_EQ(error.code, "field_too_long");
  EXPECT_EQ(error.message, "row 1, column B: the header cell is 4,097 bytes; the limit is 4,096");
}

TEST(CustomerCsvLimits, Columns) {
  std::string header = "id";
  for (std::size_t i = 1; i < kMaxCsvColumns; ++i) header += ",x" + std::to_string(i);
  const CsvImport imported = import_ok(header + "\nC1" + std::string(kMaxCsvColumns - 1, ',') + "\n");
  EXPECT_EQ(imported.customers.size(), 1u);
  EXPECT_EQ(imported.warnings.size(), kMaxCsvColumns - 1);
  EXPECT_EQ(import_error(header + ",extra\n").code, "too_many_columns");
  // A data row with far more cells than the header is one ragged_row, not a memory problem.
  const CsvImport ragged = import_ok("id\nC1" + std::string(100000, ',') + "\n");
  ASSERT_EQ(ragged.rejections.size(), 1u);
  EXPECT_EQ(ragged.rejections[0].message,
            "the row has 100,001 cells but the header has 1 (a missing or extra separator, or an unquoted comma)");
}

TEST(CustomerCsvExport, ManyPhonesSpillIntoMoreColumnsAndRoundTrip) {
  // 400 numbers are 6,000 bytes written out: more than one cell may hold.
  Customer customer{"C1", std::string(4095, 'n'), "ko", {}, {}, {}};
  for (int i = 0; i < 400; ++i) customer.phones.push_back("0101000" + std::to_string(1000 + i));
  customer.name = "=" + customer.name;  // 4,096 bytes, escaped to 4,097 in the file
  const std::string csv = to_csv({customer});
  EXPECT_TRUE(contains(csv, "id,name,locale,phone,phone2,email,consent_at")) << csv.substr(0, 80);
  const CsvImport imported = import_ok(csv);
  EXPECT_TRUE(imported.rejections.empty()) << all_issues(imported.rejections);
  ASSERT_EQ(imported.customers.size(), 1u);
  EXPECT_EQ(imported.customers[0].customer, customer);
}

// ---- export and the round trip ----------------------------------------------------------------

std::vector<Customer> imported_customers(const CsvImport& imported) {
  std::vector<Customer> out;
  for (const ImportedCustomer& c : imported.customers) out.push_back(c.customer);
  return out;
}

TEST(CustomerCsvExport, Format) {
  std::vector<Customer> customers(2);
  customers[0] = Customer{"C1", "홍길동", "ko", {"01012345678", "0111234567"}, {"hong@example.com"},
                          {consent("sms", "ad", true, "2024-03-05T14:30:00+09:00", "web")}};
  customers[1] = Customer{"C2", "Kim, \"Jr\"", "en", {}, {}, {}};
  EXPECT_EQ(to_csv(customers),
            "\xEF\xBB\xBF"
            "id,name,locale,phone,email,consent.sms.ad,consent_at,consent_source,consent_evidence\r\n"
            "C1,홍길동,ko,010-1234-5678; 011-123-4567,hong@example.com,Y,2024-03-05T14:30:00+09:00,web,\r\n"
            "C2,\"Kim, \"\"Jr\"\"\",en,,,,,,\r\n");
  EXPECT_EQ(to_csv({}), "\xEF\xBB\xBFid,name,locale,phone,email,consent_at,consent_source,consent_evidence\r\n");
}

TEST(CustomerCsvExport, RoundTrip) {
  std::vector<Customer> customers;
  customers.push_back(Customer{"C001", "홍길동", "ko", {"01012345678", "01098765432"}, {"hong@example.com", "h@example.kr"},
                               {consent("*", "ad_night", false, "2024-03-05T14:30:00+09:00", "web", "form-1"),
                                consent("sms", "info", true, "2024-03-05T14:30:00+09:00", "web", "form-1"),
                                consent("sms", "ad", true, "2024-03-05T14:30:00+09:00", "web", "form-1")}});
  // Consents that differ in at/source/evidence need the per-consent columns.
  customers.push_back(Customer{"C002", "김똠햏, \"주니어\"", "en", {"0111234567"}, {},
                               {consent("alimtalk", "ad", true, "2023-01-02T12:04:05.250+09:00", "매장\n본점", ""),
                                consent("email", "ad", false, "", "call", "rec-9"),
                                consent("push", "info", true, "2024-03-05T00:00:00+09:00", "app", "")}});
  // Cells a spreadsheet would run as formulas; apostrophes; nothing at all.
  customers.push_back(Customer{"-1", "-홍", "ko", {}, {"-x@example.com", "=y@example.com"}, {}});
  customers.push_back(Customer{"@SUM", "'=already", "ko", {}, {"'=z@example.com"}, {}});
  customers.push_back(Customer{"@82", "", "ko", {}, {}, {consent("email", "info", false)}});

  const std::string csv = to_csv(customers);
  EXPECT_EQ(csv.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_TRUE(contains(csv, "consent.alimtalk.ad.at")) << csv;
  EXPECT_TRUE(contains(csv, "\r\n'-1,'-홍,")) << csv;
  const CsvImport imported = import_ok(csv);
  EXPECT_TRUE(imported.rejections.empty()) << all_issues(imported.rejections);
  EXPECT_TRUE(imported.warnings.empty()) << all_issues(imported.warnings);
  EXPECT_EQ(imported.encoding, "utf-8");
  EXPECT_TRUE(imported.bom);
  EXPECT_EQ(imported_customers(imported), customers);
  // …and exporting again gives the same bytes.
  EXPECT_EQ(to_csv(imported_customers(imported)), csv);
}

TEST(CustomerCsvImport, IdsFollowTheApisRuleSoEveryCustomerCanBeAddressed) {
  const CsvImport imported = import_ok("id,name\r\n고객 1,a\r\nimport,b\r\nC/1,c\r\nok-1,d\r\n");
  ASSERT_EQ(imported.rejections.size(), 3u) << all_issues(imported.rejections);
  for (const auto& r : imported.rejections) EXPECT_EQ(r.code, "invalid_id") << all_issues(imported.rejections);
  ASSERT_EQ(imported.customers.size(), 1u);
  EXPECT_EQ(imported.customers[0].customer.id, "ok-1");
}

TEST(CustomerCsvExport, RoundTripFromAKoreanExcelFile) {
  const std::string korean =
      "고객번호,이름,휴대폰,이메일,SMS광고수신동의,야간광고동의,알림톡정보수신동의,동의일시,동의경로\r\n"
      "A-1,홍길동,010 1234 5678,hong@Example.com,동의,거부,O,2024. 3. 5. 14:30,매장\r\n"
      "A-2,\"이, 영희\",\"010-2222-3333;+82 10 4444 5555\",,N,,,2024-03-05 오후 2:30,\r\n"
      "A-3,박철수,,,,,,,\r\n";
  const CsvImport first = import_ok(cp949(korean));
  EXPECT_EQ(first.encoding, "cp949");
  ASSERT_EQ(first.customers.size(), 3u) << all_issues(first.rejections);
  const CsvImport second = import_ok(to_csv(imported_customers(first)));
  EXPECT_EQ(imported_customers(second), imported_customers(first));
  EXPECT_EQ(first.customers[0].customer.consents,
            (std::vector<Consent>{consent("*", "ad_night", false, "2024-03-05T14:30:00+09:00", "매장"),
                                  consent("sms", "ad", true, "2024-03-05T14:30:00+09:00", "매장"),
                                  consent("alimtalk", "info", true, "2024-03-05T14:30:00+09:00", "매장")}));
}

}  // namespace
}  // namespace jarip::customers
