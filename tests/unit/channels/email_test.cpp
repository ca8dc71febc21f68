// The Email channel's pure core: addresses, the MIME builder, DKIM (RFC 6376 / RFC 8463 vectors)
// and the SMTP reply parser. The decoders here (base64, RFC 2047, MIME parts) are the test's own,
// not the builder's, and python3-dkim checks signatures independently when it is installed.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "channels/email/address.hpp"
#include "channels/email/dkim.hpp"
#include "channels/email/mime.hpp"
#include "channels/email/smtp.hpp"

#ifndef JARIP_SOURCE_DIR
#define JARIP_SOURCE_DIR "."
#endif

namespace jarip::channels::email {
namespace {

// ---- Test-only helpers -------------------------------------------------------------------------

std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

std::string b64decode(std::string_view s) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : s) {
    if (c == '=' || c == '\r' || c == '\n') continue;
    const std::size_t v = kAlphabet.find(c);
    if (v == std::string_view::npos) {
      ADD_FAILURE() << "not base64: " << c;
      return out;
    }
    buffer = buffer << 6 | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(buffer >> bits & 0xFF);
    }
  }
  return out;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n;
  }
  return true;
}

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find("\r\n", pos);
    if (end == std::string_view::npos) end = text.size();
    out.emplace_back(text.substr(pos, end - pos));
    pos = end + 2;
  }
  return out;
}

std::string_view header_section(std::string_view message) { return message.substr(0, message.find("\r\n\r\n") + 2); }
std::string_view body_of(std::string_view message) { return message.substr(message.find("\r\n\r\n") + 4); }

// The raw (still folded) value of the first header `name`, without the "Name:".
std::string raw_header(std::string_view message, std::string_view name) {
  const std::vector<std::string> lines = lines_of(header_section(message));
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].size() <= name.size() || lines[i][name.size()] != ':') continue;
    if (strncasecmp(lines[i].c_str(), std::string(name).c_str(), name.size()) != 0) continue;
    std::string value = lines[i].substr(name.size() + 1);
    for (std::size_t j = i + 1; j < lines.size() && (lines[j][0] == ' ' || lines[j][0] == '\t'); ++j) {
      value += "\r\n" + lines[j];
    }
    return value;
  }
  ADD_FAILURE() << "no header " << name;
  return {};
}

std::string unfold(std::string_view v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v.substr(i, 2) == "\r\n") {
      ++i;
      continue;
    }
    out += v[i];
  }
  return out;
}

std::vector<std::string> encoded_words(std::string_view value) {
  std::vector<std::string> words;
  for (std::size_t pos = value.find("=?"); pos != std::string_view::npos; pos = value.find("=?", pos)) {
    const std::size_t end = value.find("?=", pos + 10);
    words.emplace_back(value.substr(pos, end + 2 - pos));
    pos = end + 2;
  }
  return words;
}

// RFC 2047 decoding of an unfolded value: B-encoded UTF-8 words; blanks between two encoded-words
// are dropped, other text is kept.
std::string decode_rfc2047(std::string_view value) {
  std::string out, blanks;
  bool after_word = false;
  std::size_t i = 0;
  while (i < value.size()) {
    if (value.substr(i, 10) == "=?UTF-8?B?") {
      const std::size_t end = value.find("?=", i + 10);
      if (!after_word) out += blanks;
      blanks.clear();
      out += b64decode(value.substr(i + 10, end - i - 10));
      after_word = true;
      i = end + 2;
    } else if (value[i] == ' ' || value[i] == '\t') {
      blanks += value[i++];
    } else {
      out += blanks;
      blanks.clear();
      out += value[i++];
      after_word = false;
    }
  }
  return out;
}

std::string decoded_header(std::string_view message, std::string_view name) {
  std::string v = decode_rfc2047(unfold(raw_header(message, name)));
  while (!v.empty() && v.front() == ' ') v.erase(0, 1);
  return v;
}

RandomBytes counting_random() {
  auto counter = std::make_shared<unsigned char>(0);
  return [counter](std::size_t n) { return std::string(n, static_cast<char>((*counter)++)); };
}

EmailMessage sample_message() {
  EmailMessage m;
  m.from = {"news@shop.example.com", "자립 쇼핑"};
  m.to = {"Hong.Gildong@Example.CO.KR", "홍길동"};
  m.subject = "봄맞이 특가 안내";
  m.text_body = "안녕하세요, 홍길동 고객님.\n봄맞이 특가를 안내드립니다.\n";
  m.message_id = "msg_018e0f1a2b3c4d5e6f708192";
  m.date = 1709616600000;  // 2024-03-05 14:30:00 KST
  return m;
}

MimeMessage build_ok(const EmailMessage& m) {
  auto built = build_message(m, counting_random());
  EXPECT_TRUE(built.ok()) << built.error().code << ": " << built.error().message;
  return built.ok() ? *built : MimeMessage{};
}

Error build_error(const EmailMessage& m) {
  auto built = build_message(m, counting_random());
  EXPECT_FALSE(built.ok());
  return built.ok() ? Error{} : built.error();
}

// Every line break is CRLF; header lines fit `header_limit`.
void expect_wire_form(std::string_view message, std::size_t header_limit = kFoldColumns) {
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\n') {
      ASSERT_TRUE(i > 0 && message[i - 1] == '\r') << "bare LF at " << i;
    }
    if (message[i] == '\r') {
      ASSERT_TRUE(i + 1 < message.size() && message[i + 1] == '\n') << "bare CR at " << i;
    }
  }
  for (const std::string& line : lines_of(header_section(message))) {
    EXPECT_LE(line.size(), header_limit) << line;
  }
}

// ---- Addresses ---------------------------------------------------------------------------------

TEST(EmailAddress, NormalisesAndNamesTheField) {
  EXPECT_EQ(*normalize_address(" Hong.Gildong@Example.CO.KR ", "to"), "Hong.Gildong@example.co.kr");
  EXPECT_EQ(*normalize_address("user@한국.kr", "to"), "user@한국.kr");
  for (std::string_view bad : {"", "plain", "a@b", "a b@c.com", "\"a\"@b.com", "a@[1.2.3.4]", "a..b@c.com"}) {
    auto r = normalize_address(bad, "reply_to");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "invalid_email");
    EXPECT_EQ(r.error().field, "reply_to");
  }
  // RFC 5321 limits: 64-byte local part, 254 bytes in all.
  EXPECT_TRUE(normalize_address(std::string(64, 'a') + "@example.com", "to").ok());
  EXPECT_FALSE(normalize_address(std::string(65, 'a') + "@example.com", "to").ok());
  const std::string label(63, 'b');
  const std::string domain = label + "." + label + "." + label + "." + std::string(57, 'c') + ".kr";  // 252 bytes
  EXPECT_TRUE(normalize_address("a@" + domain.substr(2), "to").ok());
  EXPECT_FALSE(normalize_address("ab@" + domain, "to").ok());
  EXPECT_EQ(domain_of("a@b.example"), "b.example");
  EXPECT_FALSE(needs_smtputf8("a@b.example"));
  EXPECT_TRUE(needs_smtputf8("a@한국.kr"));
}

// ---- MIME builder: headers ----------------------------------------------------------------------

TEST(EmailMime, KoreanSubjectAndNamesAreEncodedWordsThatDecode) {
  EmailMessage m = sample_message();
  m.subject = ad_subject("봄맞이 특가 세일 — 전 품목 최대 50% 할인, 오늘 단 하루! 고객님께만 드리는 특별한 혜택을 지금 바로 확인하세요",
                         MessageKind::ad);
  m.reply_to = Mailbox{"cs@shop.example.com", "자립 쇼핑 고객센터 (평일 09:00–18:00)"};
  const MimeMessage out = build_ok(m);
  expect_wire_form(out.bytes);

  EXPECT_EQ(decoded_header(out.bytes, "Subject"), m.subject);
  EXPECT_EQ(decoded_header(out.bytes, "From"), "자립 쇼핑 <news@shop.example.com>");
  EXPECT_EQ(decoded_header(out.bytes, "To"), "홍길동 <Hong.Gildong@example.co.kr>");
  EXPECT_EQ(decoded_header(out.bytes, "Reply-To"), "자립 쇼핑 고객센터 (평일 09:00–18:00) <cs@shop.example.com>");

  // The subject is several encoded-words on several lines; none splits a UTF-8 character.
  const std::string raw = raw_header(out.bytes, "Subject");
  EXPECT_GT(lines_of(raw).size(), 2u);
  const std::vector<std::string> words = encoded_words(raw);
  ASSERT_GT(words.size(), 2u);
  for (const std::string& word : words) {
    EXPECT_LE(word.size(), kMaxEncodedWordChars) << word;
    EXPECT_EQ(word.substr(0, 10), "=?UTF-8?B?");
    EXPECT_TRUE(valid_utf8(b64decode(word.substr(10, word.size() - 12)))) << word;
  }
  EXPECT_EQ(out.envelope_from, "news@shop.example.com");
  EXPECT_EQ(out.envelope_to, "Hong.Gildong@example.co.kr");
  EXPECT_FALSE(out.needs_smtputf8);
}

TEST(EmailMime, EncodedWordsFoldAtEveryPosition) {
  // Subjects of every length from 1 to 120 characters, of 1-, 2-, 3- and 4-byte characters.
  for (std::string_view unit : {"a", "é", "한", "😀"}) {
    std::string subject = "=?";  // forces encoding even for ASCII
    for (int n = 1; n <= 120; ++n) {
      subject += unit;
      auto field = encode_unstructured_header("Subject", subject, "subject");
      ASSERT_TRUE(field.ok());
      for (const std::string& line : lines_of(*field)) ASSERT_LE(line.size(), kFoldColumns) << *field;
      for (const std::string& word : encoded_words(*field)) {
        ASSERT_LE(word.size(), kMaxEncodedWordChars);
        ASSERT_TRUE(valid_utf8(b64decode(word.substr(10, word.size() - 12)))) << *field;
      }
      std::string value = unfold(field->substr(8, field->size() - 10));
      ASSERT_EQ(decode_rfc2047(value).substr(1), subject);
    }
  }
}

TEST(EmailMime, AsciiSubjectIsFoldedAtBlanks) {
  const std::string subject =
      "Your order 20240305-0001 has shipped and will arrive within two business days; track it any time "
      "from your account page";
  auto field = encode_unstructured_header("Subject", subject, "subject");
  ASSERT_TRUE(field.ok());
  EXPECT_EQ(field->find("=?"), std::string::npos);
  const std::vector<std::string> lines = lines_of(*field);
  EXPECT_GE(lines.size(), 2u);
  for (const std::string& line : lines) EXPECT_LE(line.size(), kFoldColumns);
  EXPECT_EQ(unfold(*field), "Subject: " + subject);
  // Short ASCII stays one line, leading and trailing blanks dropped.
  EXPECT_EQ(*encode_unstructured_header("Subject", "  Hello  world ", "subject"), "Subject: Hello  world\r\n");
  // A word too long for one line cannot be folded at a blank: it becomes encoded-words instead.
  auto url = encode_unstructured_header("Subject", "See https://example.com/" + std::string(80, 'x'), "subject");
  ASSERT_TRUE(url.ok());
  EXPECT_NE(url->find("=?UTF-8?B?"), std::string::npos);
  for (const std::string& line : lines_of(*url)) EXPECT_LE(line.size(), kFoldColumns);
}

TEST(EmailMime, DisplayNameForms) {
  struct Row {
    const char* name;
    const char* expect;
  } rows[] = {
      {"", "From: a@example.com\r\n"},
      {"Jarip Shop", "From: Jarip Shop <a@example.com>\r\n"},
      {"John Q. Public", "From: \"John Q. Public\" <a@example.com>\r\n"},
      {"Say \"hi\" \\ bye", "From: \"Say \\\"hi\\\" \\\\ bye\" <a@example.com>\r\n"},
      {"Lee, Minho", "From: \"Lee, Minho\" <a@example.com>\r\n"},
      {"  Spaced  ", "From: Spaced <a@example.com>\r\n"},
      {"=?UTF-8?B?AAAA?=", "From: \"=?UTF-8?B?AAAA?=\" <a@example.com>\r\n"},
      {"홍", "From: =?UTF-8?B?7ZmN?= <a@example.com>\r\n"},
  };
  for (const Row& r : rows) {
    auto field = encode_mailbox_header("From", Mailbox{"a@example.com", r.name}, "from");
    ASSERT_TRUE(field.ok()) << r.name;
    EXPECT_EQ(*field, r.expect);
  }
  // A long address moves to its own line.
  auto long_one = encode_mailbox_header("From", Mailbox{std::string(60, 'x') + "@example.com", "Jarip Shop"}, "from");
  ASSERT_TRUE(long_one.ok());
  EXPECT_EQ(*long_one, "From: Jarip Shop\r\n <" + std::string(60, 'x') + "@example.com>\r\n");
}

TEST(EmailMime, HeaderInjectionIsRejected) {
  struct Row {
    const char* what;
    void (*edit)(EmailMessage&);
    const char* field;
  } rows[] = {
      {"subject", [](EmailMessage& m) { m.subject = "Hi\r\nBcc: victim@example.com"; }, "subject"},
      {"subject LF", [](EmailMessage& m) { m.subject = "Hi\nBcc: victim@example.com"; }, "subject"},
      {"subject CR", [](EmailMessage& m) { m.subject = "Hi\rX"; }, "subject"},
      {"from name", [](EmailMessage& m) { m.from.display_name = "Shop\r\nBcc: v@example.com"; }, "from"},
      {"from address", [](EmailMessage& m) { m.from.address = "a@example.com\r\nBcc: v@example.com"; }, "from"},
      {"to address", [](EmailMessage& m) { m.to.address = "a@example.com\nX: y"; }, "to"},
      {"to trailing", [](EmailMessage& m) { m.to.address = "a@example.com\r\n"; }, "to"},
      {"reply-to", [](EmailMessage& m) { m.reply_to = Mailbox{"a@example.com", "x\ny"}; }, "reply_to"},
      {"message id", [](EmailMessage& m) { m.message_id = "msg_1\r\nX: y"; }, "message_id"},
      {"extra value", [](EmailMessage& m) { m.extra_headers = {{"List-Unsubscribe", "<https://a>\r\nBcc: v"}}; },
       "extra_headers"},
      {"extra name", [](EmailMessage& m) { m.extra_headers = {{"X-A\r\nBcc", "v"}}; }, "extra_headers"},
  };
  for (const Row& r : rows) {
    EmailMessage m = sample_message();
    r.edit(m);
    const Error e = build_error(m);
    EXPECT_EQ(e.code, "header_injection") << r.what << ": " << e.message;
    EXPECT_EQ(e.field, r.field) << r.what;
  }
}

TEST(EmailMime, OtherBadInputIsRejected) {
  struct Row {
    const char* what;
    void (*edit)(EmailMessage&);
    const char* code;
    const char* field;
  } rows[] = {
      {"to", [](EmailMessage& m) { m.to.address = "not-an-address"; }, "invalid_email", "to"},
      {"from", [](EmailMessage& m) { m.from.address = "a@localhost"; }, "invalid_email", "from"},
      {"subject utf8", [](EmailMessage& m) { m.subject = "\xED\xA0\x80"; }, "invalid_utf8", "subject"},
      {"subject control", [](EmailMessage& m) { m.subject = std::string("a\0b", 3); }, "invalid_header", "subject"},
      {"name control", [](EmailMessage& m) { m.to.display_name = "a\x1b[31m"; }, "invalid_header", "to"},
      {"text utf8", [](EmailMessage& m) { m.text_body = "\xFF"; }, "invalid_utf8", "text_body"},
      {"html utf8", [](EmailMessage& m) { m.html_body = "\xC0\xAF"; }, "invalid_utf8", "html_body"},
      {"message id", [](EmailMessage& m) { m.message_id = "msg 1"; }, "invalid_message_id", "message_id"},
      {"message id empty", [](EmailMessage& m) { m.message_id = ""; }, "invalid_message_id", "message_id"},
      {"message id long", [](EmailMessage& m) { m.message_id = std::string(129, 'a'); }, "invalid_message_id",
       "message_id"},
      {"reserved", [](EmailMessage& m) { m.extra_headers = {{"Bcc", "v@example.com"}}; }, "invalid_header",
       "extra_headers"},
      {"reserved case", [](EmailMessage& m) { m.extra_headers = {{"dkim-signature", "x"}}; }, "invalid_header",
       "extra_headers"},
      {"name colon", [](EmailMessage& m) { m.extra_headers = {{"X:Y", "v"}}; }, "invalid_header", "extra_headers"},
      {"twice", [](EmailMessage& m) { m.extra_headers = {{"X-A", "1"}, {"x-a", "2"}}; }, "invalid_header",
       "extra_headers"},
      {"non-ascii value", [](EmailMessage& m) { m.extra_headers = {{"X-A", "한"}}; }, "invalid_header",
       "extra_headers"},
      {"unfoldable", [](EmailMessage& m) { m.extra_headers = {{"X-A", std::string(1000, 'x')}}; }, "invalid_header",
       "extra_headers"},
      {"offset", [](EmailMessage& m) { m.date_offset_minutes = 24 * 60; }, "invalid_header", "date_offset_minutes"},
  };
  for (const Row& r : rows) {
    EmailMessage m = sample_message();
    r.edit(m);
    const Error e = build_error(m);
    EXPECT_EQ(e.code, r.code) << r.what << ": " << e.message;
    EXPECT_EQ(e.field, r.field) << r.what;
  }
}

TEST(EmailMime, DateMessageIdAndOrder) {
  EmailMessage m = sample_message();
  m.extra_headers = *list_unsubscribe_headers("https://shop.example.com/u/abc123", "unsubscribe@shop.example.com");
  const MimeMessage out = build_ok(m);
  EXPECT_EQ(raw_header(out.bytes, "Date"), " Tue, 05 Mar 2024 14:30:00 +0900");
  EXPECT_EQ(raw_header(out.bytes, "Message-ID"), " <msg_018e0f1a2b3c4d5e6f708192@shop.example.com>");
  EXPECT_EQ(raw_header(out.bytes, "MIME-Version"), " 1.0");
  EXPECT_EQ(unfold(raw_header(out.bytes, "List-Unsubscribe")),
            " <https://shop.example.com/u/abc123>, <mailto:unsubscribe@shop.example.com>");
  EXPECT_EQ(raw_header(out.bytes, "List-Unsubscribe-Post"), " List-Unsubscribe=One-Click");
  std::vector<std::string> names;
  for (const std::string& line : lines_of(header_section(out.bytes))) {
    if (line[0] != ' ') names.push_back(line.substr(0, line.find(':')));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"From", "To", "Subject", "Date", "Message-ID", "MIME-Version",
                                             "List-Unsubscribe", "List-Unsubscribe-Post", "Content-Type",
                                             "Content-Transfer-Encoding"}));
  EXPECT_EQ(format_date(0, 0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(format_date(0, -(7 * 60 + 30)), "Wed, 31 Dec 1969 16:30:00 -0730");
  EXPECT_EQ(format_date(951782400000, 540), "Tue, 29 Feb 2000 09:00:00 +0900");
}

TEST(EmailMime, LongExtraHeaderIsFoldedAtBlanks) {
  EmailMessage m = sample_message();
  m.extra_headers = *list_unsubscribe_headers("https://shop.example.com/unsubscribe/" + std::string(20, 'k'),
                                              "unsubscribe+" + std::string(30, 'z') + "@shop.example.com");
  const MimeMessage out = build_ok(m);
  expect_wire_form(out.bytes);
  EXPECT_EQ(lines_of(raw_header(out.bytes, "List-Unsubscribe")).size(), 2u);
  // A word longer than 78 columns cannot fold; it still fits the 998-byte limit.
  m.extra_headers = *list_unsubscribe_headers("https://shop.example.com/u/" + std::string(200, 'k'));
  const MimeMessage long_url = build_ok(m);
  expect_wire_form(long_url.bytes, kMaxHeaderLineBytes);
}

TEST(EmailMime, IdnAddressesNeedSmtputf8) {
  EmailMessage m = sample_message();
  m.to.address = "user@한국.kr";
  const MimeMessage out = build_ok(m);
  EXPECT_TRUE(out.needs_smtputf8);
  EXPECT_EQ(decoded_header(out.bytes, "To"), "홍길동 <user@한국.kr>");
}

// ---- MIME builder: bodies -----------------------------------------------------------------------

TEST(EmailMime, AsciiTextIsSevenBitAndKoreanIsBase64) {
  EmailMessage m = sample_message();
  m.text_body = "Hello.\nYour code is 123456.";
  MimeMessage out = build_ok(m);
  EXPECT_EQ(raw_header(out.bytes, "Content-Type"), " text/plain; charset=UTF-8");
  EXPECT_EQ(raw_header(out.bytes, "Content-Transfer-Encoding"), " 7bit");
  EXPECT_EQ(body_of(out.bytes), "Hello.\r\nYour code is 123456.\r\n");

  m = sample_message();
  m.text_body.clear();
  for (int i = 0; i < 40; ++i) m.text_body += "안녕하세요 고객님, 주문하신 상품이 발송되었습니다. ";
  m.text_body += "\n끝\r\n";
  out = build_ok(m);
  expect_wire_form(out.bytes);
  EXPECT_EQ(raw_header(out.bytes, "Content-Transfer-Encoding"), " base64");
  const std::vector<std::string> lines = lines_of(body_of(out.bytes));
  ASSERT_GT(lines.size(), 10u);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i + 1 < lines.size()) {
      EXPECT_EQ(lines[i].size(), kBodyLineChars);
    } else {
      EXPECT_LE(lines[i].size(), kBodyLineChars);
    }
  }
  EXPECT_EQ(b64decode(body_of(out.bytes)), crlf(m.text_body.substr(0, m.text_body.size() - 2)) + "\r\n");

  // A long ASCII line is base64 too (7bit only for lines ≤ 76).
  m.text_body = std::string(77, 'a');
  EXPECT_EQ(raw_header(build_ok(m).bytes, "Content-Transfer-Encoding"), " base64");
}

struct Part {
  std::string headers;
  std::string body;
};

std::vector<Part> multipart_parts(std::string_view message, std::string& boundary) {
  const std::string type = unfold(raw_header(message, "Content-Type"));
  const std::size_t at = type.find("boundary=\"");
  boundary = type.substr(at + 10, type.find('"', at + 10) - at - 10);
  const std::string_view body = body_of(message);
  const std::string delimiter = "--" + boundary;
  EXPECT_EQ(body.substr(0, delimiter.size() + 2), delimiter + "\r\n");
  EXPECT_EQ(body.substr(body.size() - delimiter.size() - 6), "\r\n" + delimiter + "--\r\n");
  std::vector<Part> parts;
  std::size_t pos = delimiter.size() + 2;
  for (;;) {
    const std::size_t next = body.find("\r\n" + delimiter, pos);
    if (next == std::string_view::npos) break;
    const std::string_view part = body.substr(pos, next - pos);
    const std::size_t blank = part.find("\r\n\r\n");
    parts.push_back(Part{std::string(part.substr(0, blank + 2)), std::string(part.substr(blank + 4))});
    pos = next + 2 + delimiter.size() + 2;
    if (body.substr(next + 2 + delimiter.size(), 2) == "--") break;
  }
  return parts;
}

TEST(EmailMime, HtmlMakesMultipartAlternative) {
  EmailMessage m = sample_message();
  m.html_body = "<p>안녕하세요, " + html_escape("홍길동 <script>") + " 고객님.</p>\n<p>봄맞이 특가를 안내드립니다.</p>";
  const MimeMessage out = build_ok(m);
  expect_wire_form(out.bytes);
  EXPECT_EQ(unfold(raw_header(out.bytes, "Content-Type")).substr(0, 36), " multipart/alternative; boundary=\"=_");
  std::string boundary;
  const std::vector<Part> parts = multipart_parts(out.bytes, boundary);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(boundary.substr(0, 8), "=_jarip_");
  EXPECT_EQ(boundary.size(), 8u + 32u);
  EXPECT_EQ(parts[0].headers, "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n");
  EXPECT_EQ(parts[1].headers, "Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n");
  EXPECT_EQ(b64decode(parts[0].body), crlf(m.text_body));
  EXPECT_EQ(b64decode(parts[1].body), crlf(*m.html_body));
  EXPECT_NE(b64decode(parts[1].body).find("홍길동 &lt;script&gt;"), std::string::npos);
  for (const Part& p : parts) {
    for (const std::string& line : lines_of(p.body)) EXPECT_LE(line.size(), kBodyLineChars);
    EXPECT_EQ(p.body.find(boundary), std::string::npos);
  }
}

TEST(EmailMime, BoundaryFoundInAPartIsDrawnAgain) {
  EmailMessage m = sample_message();
  // The first draw (16 zero bytes) spells a boundary that the 7bit text body contains.
  m.text_body = "see =_jarip_" + std::string(32, '0') + " here";
  m.html_body = "<p>hi</p>";
  const MimeMessage out = build_ok(m);
  std::string boundary;
  ASSERT_EQ(multipart_parts(out.bytes, boundary).size(), 2u);
  EXPECT_EQ(boundary, "=_jarip_01010101010101010101010101010101");

  // A source that repeats itself never yields a free boundary: an error, not a broken message.
  auto stuck = build_message(m, [](std::size_t n) { return std::string(n, '\0'); });
  ASSERT_FALSE(stuck.ok());
  EXPECT_EQ(stuck.error().code, "internal");
}

TEST(EmailMime, EmptyBodiesStillMakeAWellFormedMessage) {
  EmailMessage m = sample_message();
  m.text_body.clear();
  m.subject.clear();
  MimeMessage out = build_ok(m);
  expect_wire_form(out.bytes);
  EXPECT_EQ(raw_header(out.bytes, "Subject"), "");
  EXPECT_EQ(body_of(out.bytes), "");
  m.html_body = "";
  out = build_ok(m);
  std::string boundary;
  const std::vector<Part> parts = multipart_parts(out.bytes, boundary);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].body, "");
  EXPECT_EQ(parts[1].body, "");
}

TEST(EmailMime, AdSubjectAndHtmlEscape) {
  EXPECT_EQ(ad_subject("봄 세일", MessageKind::ad), "(광고) 봄 세일");
  EXPECT_EQ(ad_subject("(광고) 봄 세일", MessageKind::ad), "(광고) 봄 세일");
  EXPECT_EQ(ad_subject("  (광고)봄 세일", MessageKind::ad), "  (광고)봄 세일");
  EXPECT_EQ(ad_subject(ad_subject("x", MessageKind::ad), MessageKind::ad), "(광고) x");
  EXPECT_EQ(ad_subject("봄 세일", MessageKind::info), "봄 세일");
  EXPECT_EQ(html_escape("<a href=\"x\">Tom & 'Jerry'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  EXPECT_EQ(html_escape("홍길동"), "홍길동");
}

TEST(EmailMime, ListUnsubscribeHeaders) {
  auto h = list_unsubscribe_headers("https://shop.example.com/u?t=abc&x=1");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].name, "List-Unsubscribe");
  EXPECT_EQ((*h)[0].value, "<https://shop.example.com/u?t=abc&x=1>");
  EXPECT_EQ((*h)[1].name, "List-Unsubscribe-Post");
  EXPECT_EQ((*h)[1].value, "List-Unsubscribe=One-Click");
  for (std::string_view bad : {"http://shop.example.com/u", "https://", "https:///x", "https://a b", "https://a>b",
                               "https://a,b", "mailto:a@b.com", "https://a\r\nBcc: x"}) {
    auto r = list_unsubscribe_headers(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "invalid_unsubscribe_url") << bad;
  }
  EXPECT_EQ(list_unsubscribe_headers("https://a.example/u", "bad").error().code, "invalid_email");
  EXPECT_EQ(list_unsubscribe_headers("https://a.example/u", "a@b.example\r\nX: y").error().code, "header_injection");
  EXPECT_EQ(list_unsubscribe_headers("https://a.example/u", "a@한국.kr").error().code, "invalid_email");
}

// ---- DKIM: RFC 8463 Appendix A ------------------------------------------------------------------

constexpr std::string_view kRfc8463Ed25519Seed = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
constexpr std::string_view kRfc8463Ed25519Record = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
constexpr std::string_view kRfc8463RsaPem =
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIICXQIBAAKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQi\n"
    "Y/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqM\n"
    "KrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB\n"
    "AoGAH0cxOhFZDgzXWhDhnAJDw5s4roOXN4OhjiXa8W7Y3rhX3FJqmJSPuC8N9vQm\n"
    "6SVbaLAE4SG5mLMueHlh4KXffEpuLEiNp9Ss3O4YfLiQpbRqE7Tm5SxKjvvQoZZe\n"
    "zHorimOaChRL2it47iuWxzxSiRMv4c+j70GiWdxXnxe4UoECQQDzJB/0U58W7RZy\n"
    "6enGVj2kWF732CoWFZWzi1FicudrBFoy63QwcowpoCazKtvZGMNlPWnC7x/6o8Gc\n"
    "uSe0ga2xAkEA8C7PipPm1/1fTRQvj1o/dDmZp243044ZNyxjg+/OPN0oWCbXIGxy\n"
    "WvmZbXriOWoSALJTjExEgraHEgnXssuk7QJBALl5ICsYMu6hMxO73gnfNayNgPxd\n"
    "WFV6Z7ULnKyV7HSVYF0hgYOHjeYe9gaMtiJYoo0zGN+L3AAtNP9huqkWlzECQE1a\n"
    "licIeVlo1e+qJ6Mgqr0Q7Aa7falZ448ccbSFYEPD6oFxiOl9Y9se9iYHZKKfIcst\n"
    "o7DUw1/hz2Ck4N5JrgUCQQCyKveNvjzkkd8HjYs0SwM0fPjK16//5qDZ2UiDGnOe\n"
    "uEzxBDAr518Z8VFbR41in3W4Y3yCDgQlLlcETrS+zYcL\n"
    "-----END RSA PRIVATE KEY-----\n";
constexpr std::string_view kRfc8463RsaRecord =
    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/"
    "J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+"
    "2kryOTIKT+l/K4w3QIDAQAB";

constexpr std::string_view kRfc8463Ed25519Field =
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\n"
    " d=football.example.com; i=@football.example.com;\n"
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\n"
    " subject : date : message-id : from : subject : date;\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\n"
    " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\n"
    " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\n";
constexpr std::string_view kRfc8463RsaField =
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\n"
    " d=football.example.com; i=@football.example.com;\n"
    " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\n"
    " date : message-id : from : subject : date;\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\n"
    " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\n"
    " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\n"
    " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\n";
constexpr std::string_view kRfc8463Message =
    "From: Joe SixPack <joe@football.example.com>\n"
    "To: Suzie Q <suzie@shopping.example.net>\n"
    "Subject: Is dinner ready?\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\n"
    "\n"
    "Hi.\n"
    "\n"
    "We lost the game.  Are you hungry yet?\n"
    "\n"
    "Joe.\n";
constexpr std::string_view kRfc8463Ed25519B =
    "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==";
constexpr std::string_view kRfc8463RsaB =
    "F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2J"
    "zdA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=";

DkimKey rfc_ed25519_key() { return *DkimKey::from_ed25519_seed(kRfc8463Ed25519Seed); }
DkimKey rfc_rsa_key() { return *DkimKey::from_pem(kRfc8463RsaPem); }

TEST(EmailDkimRfc8463, KeysMatchThePublishedRecords) {
  ASSERT_TRUE(DkimKey::from_ed25519_seed(kRfc8463Ed25519Seed).ok());
  ASSERT_TRUE(DkimKey::from_pem(kRfc8463RsaPem).ok());
  EXPECT_EQ(rfc_ed25519_key().dns_record(), kRfc8463Ed25519Record);
  EXPECT_EQ(rfc_rsa_key().dns_record(), kRfc8463RsaRecord);
  EXPECT_EQ(rfc_rsa_key().bits(), 1024);
  EXPECT_EQ(rfc_ed25519_key().algorithm(), DkimAlgorithm::ed25519_sha256);
  EXPECT_EQ(rfc_rsa_key().algorithm(), DkimAlgorithm::rsa_sha256);
}

TEST(EmailDkimRfc8463, BodyHash) {
  const std::string message = crlf(kRfc8463Message);
  const std::string canonical = canonicalize_body_relaxed(body_of(message));
  EXPECT_EQ(canonical, "Hi.\r\n\r\nWe lost the game. Are you hungry yet?\r\n\r\nJoe.\r\n");
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_Digest(canonical.data(), canonical.size(), digest, &len, EVP_sha256(), nullptr);
  char b64[64];
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64), digest, 32);
  EXPECT_EQ(std::string(b64), "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
}

TEST(EmailDkimRfc8463, Ed25519SignatureIsReproducedByteForByte) {
  auto b = dkim_compute_b(crlf(kRfc8463Message), crlf(kRfc8463Ed25519Field), rfc_ed25519_key());
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(*b, kRfc8463Ed25519B);
}

TEST(EmailDkimRfc8463, RsaSignatureIsReproducedByteForByte) {
  auto b = dkim_compute_b(crlf(kRfc8463Message), crlf(kRfc8463RsaField), rfc_rsa_key());
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(*b, kRfc8463RsaB);
}

TEST(EmailDkimRfc8463, SignedMessageVerifies) {
  const std::string signed_message = crlf(std::string(kRfc8463Ed25519Field) + std::string(kRfc8463RsaField) +
                                          std::string(kRfc8463Message));
  EXPECT_TRUE(dkim_verify(signed_message, kRfc8463Ed25519Record, "brisbane").ok());
  EXPECT_TRUE(dkim_verify(signed_message, kRfc8463RsaRecord, "test").ok());
  // The other key, or an altered message, fails.
  EXPECT_EQ(dkim_verify(signed_message, kRfc8463RsaRecord, "brisbane").error().code, "dkim_bad_record");
  std::string altered = signed_message;
  altered.replace(altered.find("Is dinner ready?"), 16, "Is dinner ready!");
  EXPECT_EQ(dkim_verify(altered, kRfc8463Ed25519Record, "brisbane").error().code, "dkim_signature_mismatch");
  EXPECT_EQ(dkim_verify(altered, kRfc8463RsaRecord, "test").error().code, "dkim_signature_mismatch");
  altered = signed_message;
  altered.replace(altered.find("Joe.", altered.find("\r\n\r\n")), 4, "Jim.");
  EXPECT_EQ(dkim_verify(altered, kRfc8463Ed25519Record, "brisbane").error().code, "dkim_body_hash_mismatch");
  // Canonicalization forgives what relaxed forgives: re-folded headers, blanks, trailing empty lines.
  altered = signed_message;
  altered.replace(altered.find("Subject: Is dinner ready?"), 25, "SUBJECT :  Is dinner\r\n\t ready?  ");
  altered += "\r\n\r\n";
  EXPECT_TRUE(dkim_verify(altered, kRfc8463Ed25519Record, "brisbane").ok());
  EXPECT_TRUE(dkim_verify(altered, kRfc8463RsaRecord, "test").ok());
}

// ---- DKIM: canonicalization edge cases ----------------------------------------------------------

TEST(EmailDkimCanonicalization, RelaxedHeader) {
  struct Row {
    const char* field;
    const char* expect;
  } rows[] = {
      // RFC 6376 §3.4.5's example.
      {"A: X\r\n", "a:X\r\n"},
      {"B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n"},
      {"SUBJect:  Hello \t World  \r\n", "subject:Hello World\r\n"},
      {"Subject: a\r\n b\r\n\t  c\r\n", "subject:a b c\r\n"},
      {"X-Empty:\r\n", "x-empty:\r\n"},
      {"X-Empty:   \r\n", "x-empty:\r\n"},
      {"X-Folded-Only:\r\n value\r\n", "x-folded-only:value\r\n"},
      {"To: 홍길동  <a@b.kr>\r\n", "to:홍길동 <a@b.kr>\r\n"},
  };
  for (const Row& r : rows) EXPECT_EQ(canonicalize_header_relaxed(r.field), r.expect) << r.field;
}

TEST(EmailDkimCanonicalization, RelaxedAndSimpleBody) {
  struct Row {
    const char* body;
    const char* relaxed;
    const char* simple;
  } rows[] = {
      // RFC 6376 §3.4.5's example.
      {" C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n", " C \r\nD \t E\r\n"},
      {"", "", "\r\n"},
      {"\r\n", "", "\r\n"},
      {"\r\n\r\n\r\n", "", "\r\n"},
      {"abc", "abc\r\n", "abc\r\n"},
      {"abc  ", "abc\r\n", "abc  \r\n"},
      {"a\r\n \r\n\t\r\n", "a\r\n", "a\r\n \r\n\t\r\n"},
      {"a\r\n\r\nb\r\n\r\n", "a\r\n\r\nb\r\n", "a\r\n\r\nb\r\n"},
      {"\r\n\r\na\r\n", "\r\n\r\na\r\n", "\r\n\r\na\r\n"},
      {"  lead\r\n", " lead\r\n", "  lead\r\n"},
      {"\t\r\n", "", "\t\r\n"},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(canonicalize_body_relaxed(r.body), r.relaxed) << r.body;
    EXPECT_EQ(canonicalize_body_simple(r.body), r.simple) << r.body;
  }
}

// ---- DKIM: signing jarip's messages ---------------------------------------------------------------

MimeMessage unsubscribable_message() {
  EmailMessage m = sample_message();
  m.subject = ad_subject(m.subject, MessageKind::ad);
  m.html_body = "<p>봄맞이 특가</p>";
  m.extra_headers = *list_unsubscribe_headers("https://shop.example.com/u/abc123");
  return build_ok(m);
}

DkimSignOptions shop_options() {
  DkimSignOptions o;
  o.domain = "shop.example.com";
  o.selector = "jarip2024";
  o.timestamp = 1709616600;
  return o;
}

TEST(EmailDkim, SignsAndVerifiesWithBothAlgorithms) {
  const MimeMessage message = unsubscribable_message();
  for (const DkimKey& key : {rfc_ed25519_key(), rfc_rsa_key()}) {
    auto signed_message = dkim_sign(message.bytes, key, shop_options());
    ASSERT_TRUE(signed_message.ok()) << signed_message.error().message;
    expect_wire_form(*signed_message);
    EXPECT_TRUE(dkim_verify(*signed_message, key.dns_record()).ok());
    const std::string field = unfold(raw_header(*signed_message, "DKIM-Signature"));
    EXPECT_NE(field.find(" a=" + std::string(to_string(key.algorithm())) + ";"), std::string::npos) << field;
    EXPECT_NE(field.find(" c=relaxed/relaxed;"), std::string::npos);
    EXPECT_NE(field.find(" d=shop.example.com;"), std::string::npos);
    EXPECT_NE(field.find(" s=jarip2024;"), std::string::npos);
    EXPECT_NE(field.find(" t=1709616600;"), std::string::npos);
    EXPECT_EQ(field.find(" l="), std::string::npos);
  }
}

// The h= list of a message's (first) DKIM-Signature, blanks removed.
std::string signed_header_list(std::string_view message) {
  std::string h = unfold(raw_header(message, "DKIM-Signature"));
  h = h.substr(h.find(" h=") + 3);
  h = h.substr(0, h.find(';'));
  h.erase(std::remove(h.begin(), h.end(), ' '), h.end());
  return h;
}

TEST(EmailDkim, SignsTheUnsubscribeHeadersAndOversigns) {
  const MimeMessage message = unsubscribable_message();
  auto signed_message = dkim_sign(message.bytes, rfc_ed25519_key(), shop_options());
  ASSERT_TRUE(signed_message.ok());
  EXPECT_EQ(signed_header_list(*signed_message),
            "From:From:To:To:Cc:Reply-To:Subject:Subject:Date:Date:Message-ID:Message-ID:MIME-Version:MIME-Version:"
            "Content-Type:Content-Type:Content-Transfer-Encoding:List-Unsubscribe:List-Unsubscribe:"
            "List-Unsubscribe-Post:List-Unsubscribe-Post");
  const std::string record = rfc_ed25519_key().dns_record();
  // A second List-Unsubscribe (or From, or Subject) added on the way breaks the signature.
  for (std::string_view added : {"List-Unsubscribe: <https://evil.example/x>\r\n", "From: boss@example.com\r\n",
                                 "Subject: urgent\r\n", "Reply-To: evil@example.com\r\n", "Cc: x@example.com\r\n"}) {
    std::string tampered = *signed_message;
    tampered.insert(tampered.find("\r\n\r\n") + 2, added);
    EXPECT_EQ(dkim_verify(tampered, record).error().code, "dkim_signature_mismatch") << added;
  }
  // Headers not in the list may be added (relays add Received, Return-Path, …).
  std::string relayed = "Received: from a by b; Tue, 05 Mar 2024 14:30:01 +0900\r\n" + *signed_message;
  relayed.insert(relayed.find("\r\n\r\n") + 2, "X-Spam-Score: 0.1\r\n");
  EXPECT_TRUE(dkim_verify(relayed, record).ok());

  // Without oversigning, h= holds what the message has, once each.
  DkimSignOptions plain = shop_options();
  plain.oversign = false;
  auto once = dkim_sign(message.bytes, rfc_ed25519_key(), plain);
  ASSERT_TRUE(once.ok());
  EXPECT_EQ(signed_header_list(*once),
            "From:To:Subject:Date:Message-ID:MIME-Version:Content-Type:List-Unsubscribe:List-Unsubscribe-Post");
  EXPECT_TRUE(dkim_verify(*once, record).ok());
}

TEST(EmailDkim, SignatureFieldIsFoldedWithinSeventyEightColumns) {
  const MimeMessage message = unsubscribable_message();
  for (const DkimKey& key : {rfc_ed25519_key(), rfc_rsa_key()}) {
    auto field = dkim_signature(message.bytes, key, shop_options());
    ASSERT_TRUE(field.ok());
    EXPECT_EQ(field->substr(0, 16), "DKIM-Signature: ");
    EXPECT_EQ(field->substr(field->size() - 2), "\r\n");
    for (const std::string& line : lines_of(*field)) EXPECT_LE(line.size(), kFoldColumns) << line;
  }
}

TEST(EmailDkim, RefusesWhatItCannotSignSafely) {
  const MimeMessage message = unsubscribable_message();
  const DkimKey key = rfc_ed25519_key();
  auto code = [&](std::string_view m, const DkimSignOptions& o) {
    auto r = dkim_signature(m, key, o);
    return r.ok() ? std::string("ok") : r.error().code;
  };
  DkimSignOptions o = shop_options();
  o.domain = "shop example.com";
  EXPECT_EQ(code(message.bytes, o), "invalid_dkim_options");
  o = shop_options();
  o.selector = "";
  EXPECT_EQ(code(message.bytes, o), "invalid_dkim_options");
  o = shop_options();
  o.headers = {"To", "Subject"};
  EXPECT_EQ(code(message.bytes, o), "invalid_dkim_options");
  o = shop_options();
  o.headers = {"From", "Bad:Name"};
  EXPECT_EQ(code(message.bytes, o), "invalid_dkim_options");
  o = shop_options();
  o.expiration = *o.timestamp;
  EXPECT_EQ(code(message.bytes, o), "invalid_dkim_options");
  EXPECT_EQ(code("From: a@b.example\nSubject: x\r\n\r\nbody\r\n", shop_options()), "dkim_bad_message");
  EXPECT_EQ(code("From: a@b.example\r\n\r\nbody\n", shop_options()), "dkim_bad_message");
  EXPECT_EQ(code("From: a@b.example\r\nFrom: c@d.example\r\n\r\nbody\r\n", shop_options()), "dkim_bad_message");
  EXPECT_EQ(code("Subject: x\r\n\r\nbody\r\n", shop_options()), "dkim_bad_message");
  EXPECT_EQ(code(" From: a@b.example\r\n\r\n", shop_options()), "dkim_bad_message");
  EXPECT_EQ(code("From a@b.example\r\n\r\n", shop_options()), "dkim_bad_message");
  EXPECT_EQ(code("From: a@b.example\r\n\r\n", shop_options()), "ok");
  EXPECT_EQ(code("From: a@b.example\r\n", shop_options()), "ok");  // no body at all
}

TEST(EmailDkim, VerifierRejections) {
  const MimeMessage message = unsubscribable_message();
  const DkimKey key = rfc_ed25519_key();
  const std::string signed_message = *dkim_sign(message.bytes, key, shop_options());
  const std::string record = key.dns_record();
  auto code = [](Status s) { return s.ok() ? std::string("ok") : s.error().code; };
  EXPECT_EQ(code(dkim_verify(message.bytes, record)), "dkim_no_signature");
  EXPECT_EQ(code(dkim_verify(signed_message, record, "other")), "dkim_no_signature");
  EXPECT_EQ(code(dkim_verify(signed_message, record, "jarip2024")), "ok");
  EXPECT_EQ(code(dkim_verify(signed_message, "v=DKIM1; k=ed25519; p=")), "dkim_bad_record");
  EXPECT_EQ(code(dkim_verify(signed_message, rfc_rsa_key().dns_record())), "dkim_bad_record");
  EXPECT_EQ(code(dkim_verify(signed_message, "v=DKIM1; k=ed25519; p=AAAA")), "dkim_bad_record");
  EXPECT_EQ(code(dkim_verify(signed_message, "v=DKIM2; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")),
            "dkim_bad_record");
  EXPECT_EQ(code(dkim_verify(signed_message, kRfc8463Ed25519Record)), "ok");  // the same key, as the RFC prints it
  std::string with_l = signed_message;
  with_l.replace(with_l.find("v=1;"), 4, "v=1; l=10;");
  EXPECT_EQ(code(dkim_verify(with_l, record)), "dkim_bad_signature_field");
  std::string bad_algorithm = signed_message;
  bad_algorithm.replace(bad_algorithm.find("ed25519-sha256"), 14, "rsa-sha1");
  EXPECT_EQ(code(dkim_verify(bad_algorithm, record)), "dkim_bad_signature_field");
}

// ---- DKIM: keys ---------------------------------------------------------------------------------

TEST(EmailDkimKeys, LoadingErrors) {
  EXPECT_EQ(DkimKey::from_pem("not a key").error().code, "invalid_dkim_key");
  EXPECT_EQ(DkimKey::from_pem("").error().code, "invalid_dkim_key");
  EXPECT_EQ(DkimKey::from_ed25519_seed("AAAA").error().code, "invalid_dkim_key");
  EXPECT_EQ(DkimKey::from_ed25519_seed("not base64!").error().code, "invalid_dkim_key");
  EXPECT_TRUE(DkimKey::from_ed25519_seed(" nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n").ok());

  // An RSA key under 1024 bits (RFC 8301), and a key of another type, are refused.
  EVP_PKEY* small = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(512));
  EVP_PKEY* ec = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  for (EVP_PKEY* key : {small, ec}) {
    ASSERT_NE(key, nullptr);
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    EXPECT_EQ(DkimKey::from_pem(std::string_view(data, static_cast<std::size_t>(len))).error().code, "invalid_dkim_key");
    BIO_free(bio);
    EVP_PKEY_free(key);
  }
}

TEST(EmailDkimKeys, GeneratedKeysLoadSignAndPublish) {
  auto ed = generate_dkim_key(DkimAlgorithm::ed25519_sha256);
  ASSERT_TRUE(ed.ok());
  EXPECT_EQ(b64decode(ed->private_key).size(), 32u);
  EXPECT_EQ(ed->dns_record.substr(0, 22), "v=DKIM1; k=ed25519; p=");
  EXPECT_EQ(b64decode(ed->dns_record.substr(22)).size(), 32u);
  auto ed_key = DkimKey::from_ed25519_seed(ed->private_key);
  ASSERT_TRUE(ed_key.ok());

  auto rsa = generate_dkim_key(DkimAlgorithm::rsa_sha256, 2048);
  ASSERT_TRUE(rsa.ok());
  EXPECT_EQ(rsa->private_key.substr(0, 27), "-----BEGIN PRIVATE KEY-----");
  EXPECT_EQ(rsa->dns_record.substr(0, 22), "v=DKIM1; k=rsa; p=MIIB");
  auto rsa_key = DkimKey::from_pem(rsa->private_key);
  ASSERT_TRUE(rsa_key.ok());
  EXPECT_EQ(rsa_key->bits(), 2048);

  const MimeMessage message = unsubscribable_message();
  for (auto [key, record] : {std::pair{*ed_key, ed->dns_record}, std::pair{*rsa_key, rsa->dns_record}}) {
    auto signed_message = dkim_sign(message.bytes, key, shop_options());
    ASSERT_TRUE(signed_message.ok());
    EXPECT_TRUE(dkim_verify(*signed_message, record).ok());
  }
  EXPECT_EQ(generate_dkim_key(DkimAlgorithm::rsa_sha256, 512).error().code, "invalid_dkim_key");

  // A 2048-bit RSA record is over 255 bytes: the zone-file form splits it into character-strings.
  ASSERT_GT(rsa->dns_record.size(), 255u);
  const std::string zone = zone_file_txt(rsa->dns_record);
  EXPECT_EQ(zone, "\"" + rsa->dns_record.substr(0, 255) + "\" \"" + rsa->dns_record.substr(255) + "\"");
  EXPECT_EQ(zone_file_txt(kRfc8463Ed25519Record), "\"" + std::string(kRfc8463Ed25519Record) + "\"");
}

// ---- DKIM: an independent verifier (python3-dkim), when installed --------------------------------

bool python_dkim_available() {
  return std::system("/usr/bin/python3 -c 'import dkim, nacl' >/dev/null 2>&1") == 0;
}

std::pair<int, std::string> run(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(EmailDkimIndependent, PythonDkimVerifiesJaripSignatures) {
  if (!python_dkim_available()) GTEST_SKIP() << "python3-dkim (and python3-nacl) not installed";
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("jarip-email-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const MimeMessage message = unsubscribable_message();
  // Both algorithms on one message, the ed25519 one on top: a relay-style double signature.
  auto once = dkim_sign(message.bytes, rfc_rsa_key(), shop_options());
  ASSERT_TRUE(once.ok());
  DkimSignOptions ed_options = shop_options();
  ed_options.selector = "ed2024";
  auto twice = dkim_sign(*once, rfc_ed25519_key(), ed_options);
  ASSERT_TRUE(twice.ok());
  const std::filesystem::path file = dir / "signed.eml";
  std::ofstream(file, std::ios::binary) << *twice;

  const std::string script = std::string(JARIP_SOURCE_DIR) + "/tests/tools/dkim_verify.py";
  auto [rc, out] = run("/usr/bin/python3 " + script + " " + file.string() + " 'jarip2024=" +
                       std::string(kRfc8463RsaRecord) + "' 'ed2024=" + std::string(kRfc8463Ed25519Record) +
                       "' --decode-header Subject --decode-header From");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("pass d=shop.example.com s=ed2024 a=ed25519-sha256"), std::string::npos) << out;
  EXPECT_NE(out.find("pass d=shop.example.com s=jarip2024 a=rsa-sha256"), std::string::npos) << out;
  EXPECT_NE(out.find("Subject: (광고) 봄맞이 특가 안내\n"), std::string::npos) << out;
  EXPECT_NE(out.find("From: 자립 쇼핑 <news@shop.example.com>\n"), std::string::npos) << out;

  // And it fails what it should fail.
  std::string tampered = *twice;
  tampered.replace(tampered.find("List-Unsubscribe: <https://"), 27, "List-Unsubscribe: <https://x");
  std::ofstream(file, std::ios::binary | std::ios::trunc) << tampered;
  std::tie(rc, out) = run("/usr/bin/python3 " + script + " " + file.string() + " '" +
                          std::string(kRfc8463Ed25519Record) + "'");
  EXPECT_EQ(rc, 1) << out;
  std::filesystem::remove_all(dir);
}

// ---- SMTP replies ---------------------------------------------------------------------------------

ParsedSmtpReply parse_ok(std::string_view text) {
  auto r = parse_smtp_reply(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  EXPECT_TRUE(r.ok() && r->has_value()) << text;
  return r.ok() && r->has_value() ? **r : ParsedSmtpReply{};
}

TEST(EmailSmtpReply, SingleAndMultiLine) {
  ParsedSmtpReply p = parse_ok("250 OK\r\n");
  EXPECT_EQ(p.reply.code, 250);
  EXPECT_EQ(p.reply.lines, std::vector<std::string>{"OK"});
  EXPECT_EQ(p.consumed, 8u);
  EXPECT_EQ(p.reply.reply_class(), SmtpReplyClass::ok);
  EXPECT_FALSE(p.reply.enhanced.has_value());

  p = parse_ok("250-mx.example.com Hello\r\n250-SIZE 35882577\r\n250 HELP\r\n");
  EXPECT_EQ(p.reply.lines, (std::vector<std::string>{"mx.example.com Hello", "SIZE 35882577", "HELP"}));
  EXPECT_EQ(p.reply.text(), "mx.example.com Hello SIZE 35882577 HELP");

  EXPECT_EQ(parse_ok("354\r\n").reply.lines, std::vector<std::string>{""});
  EXPECT_EQ(parse_ok("220 hi\n").consumed, 7u);  // a bare LF ends a line too
  EXPECT_EQ(parse_ok("250-a\r\n250 \r\n").reply.lines, (std::vector<std::string>{"a", ""}));
}

TEST(EmailSmtpReply, IncompleteAndPipelined) {
  for (std::string_view partial : {"", "2", "250", "250 OK", "250 OK\r", "250-a\r\n", "250-a\r\n250 b"}) {
    auto r = parse_smtp_reply(partial);
    ASSERT_TRUE(r.ok()) << partial;
    EXPECT_FALSE(r->has_value()) << partial;
  }
  const std::string buffer = "250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n354 Go ahead\r\n";
  std::string_view rest = buffer;
  std::vector<int> codes;
  while (!rest.empty()) {
    const ParsedSmtpReply p = parse_ok(rest);
    codes.push_back(p.reply.code);
    rest.remove_prefix(p.consumed);
  }
  EXPECT_EQ(codes, (std::vector<int>{250, 250, 354}));
}

TEST(EmailSmtpReply, EnhancedStatusCodesAndClasses) {
  struct Row {
    const char* text;
    int code;
    const char* enhanced;  // "" for none
    SmtpReplyClass klass;
    const char* first_line;
  } rows[] = {
      {"250 2.0.0 Ok: queued as 4Q\r\n", 250, "2.0.0", SmtpReplyClass::ok, "Ok: queued as 4Q"},
      {"550 5.1.1 <x@example.com>: Recipient address rejected\r\n", 550, "5.1.1", SmtpReplyClass::permanent,
       "<x@example.com>: Recipient address rejected"},
      {"452 4.2.2 Mailbox full\r\n", 452, "4.2.2", SmtpReplyClass::temporary, "Mailbox full"},
      {"421 4.7.0 Try again later, closing connection.\r\n", 421, "4.7.0", SmtpReplyClass::temporary,
       "Try again later, closing connection."},
      {"554 5.7.1 Service unavailable\r\n", 554, "5.7.1", SmtpReplyClass::permanent, "Service unavailable"},
      {"550 5.7.26 Unauthenticated email is not accepted\r\n", 550, "5.7.26", SmtpReplyClass::permanent,
       "Unauthenticated email is not accepted"},
      {"535 5.7.139 Authentication unsuccessful\r\n", 535, "5.7.139", SmtpReplyClass::permanent,
       "Authentication unsuccessful"},
      {"250 5.1.1 class differs: not an enhanced code\r\n", 250, "", SmtpReplyClass::ok,
       "5.1.1 class differs: not an enhanced code"},
      {"334 VXNlcm5hbWU6\r\n", 334, "", SmtpReplyClass::intermediate, "VXNlcm5hbWU6"},
      {"550 5.1.1\r\n", 550, "5.1.1", SmtpReplyClass::permanent, ""},
      {"550 5.1.1x no\r\n", 550, "", SmtpReplyClass::permanent, "5.1.1x no"},
      {"550 5.1234.1 no\r\n", 550, "", SmtpReplyClass::permanent, "5.1234.1 no"},
      {"451 Temporary local problem\r\n", 451, "", SmtpReplyClass::temporary, "Temporary local problem"},
  };
  for (const Row& r : rows) {
    const ParsedSmtpReply p = parse_ok(r.text);
    EXPECT_EQ(p.reply.code, r.code) << r.text;
    EXPECT_EQ(p.reply.enhanced ? p.reply.enhanced->to_string() : "", r.enhanced) << r.text;
    EXPECT_EQ(p.reply.reply_class(), r.klass) << r.text;
    EXPECT_EQ(p.reply.lines.front(), r.first_line) << r.text;
  }
  const ParsedSmtpReply multi = parse_ok("550-5.7.1 Message rejected\r\n550-5.7.1 see https://x\r\n550 5.7.1 bye\r\n");
  EXPECT_EQ(multi.reply.enhanced, (EnhancedStatus{5, 7, 1}));
  EXPECT_EQ(multi.reply.lines, (std::vector<std::string>{"Message rejected", "see https://x", "bye"}));
}

TEST(EmailSmtpReply, MalformedReplies) {
  const std::string too_long = "250 " + std::string(kMaxSmtpReplyLineBytes, 'x');
  std::string too_many;
  for (std::size_t i = 0; i <= kMaxSmtpReplyLines; ++i) too_many += "250-x\r\n";
  for (const std::string& bad :
       {std::string("abc\r\n"), std::string("25\r\n"), std::string("199 x\r\n"), std::string("600 x\r\n"),
        std::string("099 x\r\n"), std::string("250-x\r\n251 y\r\n"), std::string("250x\r\n"), std::string("\r\n"),
        std::string(" 250 x\r\n"), too_long, too_long + "\r\n", too_many}) {
    auto r = parse_smtp_reply(bad);
    ASSERT_FALSE(r.ok()) << bad.substr(0, 40);
    EXPECT_EQ(r.error().code, "smtp_bad_reply");
  }
}

TEST(EmailSmtpReply, EhloCapabilities) {
  const ParsedSmtpReply p = parse_ok(
      "250-smtp.example.com at your service, [203.0.113.5]\r\n"
      "250-SIZE 35882577\r\n"
      "250-8BITMIME\r\n"
      "250-STARTTLS\r\n"
      "250-ENHANCEDSTATUSCODES\r\n"
      "250-PIPELINING\r\n"
      "250-auth plain login XOAUTH2\r\n"
      "250-CHUNKING\r\n"
      "250 SMTPUTF8\r\n");
  const SmtpCapabilities caps = parse_ehlo_reply(p.reply);
  EXPECT_EQ(caps.greeting, "smtp.example.com at your service, [203.0.113.5]");
  EXPECT_TRUE(caps.starttls && caps.pipelining && caps.eight_bit_mime && caps.smtputf8 &&
              caps.enhanced_status_codes && caps.chunking);
  EXPECT_FALSE(caps.dsn);
  EXPECT_TRUE(caps.size_declared);
  EXPECT_EQ(caps.size_limit, 35882577u);
  EXPECT_TRUE(caps.accepts_size(35882577));
  EXPECT_FALSE(caps.accepts_size(35882578));
  EXPECT_EQ(caps.auth_mechanisms, (std::vector<std::string>{"PLAIN", "LOGIN", "XOAUTH2"}));
  EXPECT_TRUE(caps.supports_auth("plain"));
  EXPECT_FALSE(caps.supports_auth("CRAM-MD5"));
  EXPECT_EQ(caps.keywords.size(), 8u);

  // Old "AUTH=" form, SIZE without a number, a greeting only.
  const SmtpCapabilities old = parse_ehlo_reply(parse_ok("250-old.example\r\n250-AUTH=LOGIN PLAIN\r\n250 SIZE\r\n").reply);
  EXPECT_EQ(old.auth_mechanisms, (std::vector<std::string>{"LOGIN", "PLAIN"}));
  EXPECT_TRUE(old.size_declared);
  EXPECT_EQ(old.size_limit, 0u);
  EXPECT_TRUE(old.accepts_size(1u << 31));
  EXPECT_FALSE(old.starttls);
  const SmtpCapabilities bare = parse_ehlo_reply(parse_ok("250 tiny.example\r\n").reply);
  EXPECT_EQ(bare.greeting, "tiny.example");
  EXPECT_TRUE(bare.keywords.empty());
  EXPECT_EQ(parse_ehlo_reply(parse_ok("250-x\r\n250 SIZE 99999999999999999999999\r\n").reply).size_limit, 0u);
}

// ---- SMTP: commands, DATA, AUTH -------------------------------------------------------------------

TEST(EmailSmtp, DotStuffing) {
  struct Row {
    const char* in;
    const char* out;
  } rows[] = {
      {"", ".\r\n"},
      {"a\r\n", "a\r\n.\r\n"},
      {"a", "a\r\n.\r\n"},
      {".hidden\r\nline\r\n..x\r\n", "..hidden\r\nline\r\n...x\r\n.\r\n"},
      {".\r\n", "..\r\n.\r\n"},
      {"a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n"},
      // Bare LF/CR become CRLF: no "\n.\r\n" reaches a server to end the data early (SMTP smuggling).
      {"a\n.\r\nMAIL FROM:<x@y>\r\n", "a\r\n..\r\nMAIL FROM:<x@y>\r\n.\r\n"},
      {"a\r.\rb", "a\r\n..\r\nb\r\n.\r\n"},
      {"x.y\r\n", "x.y\r\n.\r\n"},
  };
  for (const Row& r : rows) EXPECT_EQ(dot_stuff(r.in), r.out) << r.in;
}

TEST(EmailSmtp, AuthEncoders) {
  // RFC 4616 §4's example (authzid empty).
  EXPECT_EQ(*auth_plain_response("tim", "tanstaaftanstaaf"), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
  EXPECT_EQ(*auth_plain_response("tim", "tanstaaftanstaaf", "Ursel"), "VXJzZWwAdGltAHRhbnN0YWFmdGFuc3RhYWY=");
  EXPECT_EQ(auth_plain_response("", "x").error().code, "invalid_smtp_credentials");
  EXPECT_EQ(auth_plain_response("u", "").error().code, "invalid_smtp_credentials");
  EXPECT_EQ(auth_plain_response("u", std::string("a\0b", 3)).error().code, "invalid_smtp_credentials");
  EXPECT_EQ(auth_login_response("tim"), "dGlt");
  EXPECT_EQ(decode_auth_challenge(parse_ok("334 VXNlcm5hbWU6\r\n").reply), "Username:");
  EXPECT_EQ(decode_auth_challenge(parse_ok("334 UGFzc3dvcmQ6\r\n").reply), "Password:");
  EXPECT_EQ(decode_auth_challenge(parse_ok("334 \r\n").reply), "");
  EXPECT_FALSE(decode_auth_challenge(parse_ok("334 not base64!\r\n").reply).has_value());
}

TEST(EmailSmtp, EnvelopeCommands) {
  EXPECT_EQ(*mail_from_command("news@shop.example.com", std::nullopt, false), "MAIL FROM:<news@shop.example.com>\r\n");
  EXPECT_EQ(*mail_from_command("news@shop.example.com", 12345, true),
            "MAIL FROM:<news@shop.example.com> SIZE=12345 SMTPUTF8\r\n");
  EXPECT_EQ(*mail_from_command("", std::nullopt, false), "MAIL FROM:<>\r\n");
  EXPECT_EQ(*rcpt_to_command("user@한국.kr"), "RCPT TO:<user@한국.kr>\r\n");
  for (std::string_view bad : {"a@b.example>\r\nRCPT TO:<c@d.example", "a b@c.example", "a@b.example\n"}) {
    EXPECT_EQ(mail_from_command(bad, std::nullopt, false).error().field, "from") << bad;
    EXPECT_EQ(rcpt_to_command(bad).error().code, "invalid_email") << bad;
  }
  EXPECT_EQ(rcpt_to_command("").error().field, "to");
}

}  // namespace
}  // namespace jarip::channels::email
