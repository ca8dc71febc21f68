// Header field encoding for the MIME builder: RFC 2047 encoded-words, folding (RFC 5322 §2.2.3) and
// the display-name forms of RFC 5322 §3.2.5/§3.4.
#include <string>
#include <string_view>

#include "channels/email/ascii.hpp"
#include "channels/email/mime.hpp"
#include "common/crypto.hpp"
#include "text/utf8.hpp"

namespace jarip::channels::email {
namespace {

constexpr std::string_view kWordStart = "=?UTF-8?B?";
constexpr std::string_view kWordEnd = "?=";

using ascii::is_atext;
using ascii::is_wsp;

bool is_printable_ascii(char c) { return c >= 0x20 && c <= 0x7E; }

std::string_view trim_wsp(std::string_view v) {
  while (!v.empty() && is_wsp(v.front())) v.remove_prefix(1);
  while (!v.empty() && is_wsp(v.back())) v.remove_suffix(1);
  return v;
}

// Appends `text` (valid UTF-8, not empty) as encoded-words, each preceded by one space, to the
// line in `out` that already holds `column` characters. A word never splits a UTF-8 sequence,
// is at most 75 characters, and no line grows past 78; a word that does not fit starts a new line.
void append_encoded_words(std::string& out, std::size_t& column, std::string_view text) {
  constexpr std::size_t kOverhead = kWordStart.size() + kWordEnd.size();
  std::size_t i = 0;
  while (i < text.size()) {
    // Room for " =?UTF-8?B?…?=" on this line; base64 grows in 4-character steps of 3 bytes.
    const std::size_t room = column + 1 < kFoldColumns ? kFoldColumns - column - 1 : 0;
    const std::size_t word_chars = std::min(room, kMaxEncodedWordChars);
    const std::size_t max_bytes = word_chars > kOverhead ? (word_chars - kOverhead) / 4 * 3 : 0;
    std::size_t end = i;
    while (end < text.size()) {
      const std::size_t step = text::decode_utf8_step(text, end).length;
      if (end + step - i > max_bytes) break;
      end += step;
    }
    if (end == i) {  // not even one character fits: continue on a new line (room is then 77)
      out += "\r\n";
      column = 0;
      continue;
    }
    const std::string word =
        std::string(kWordStart) + crypto::base64_encode(text.substr(i, end - i)) + std::string(kWordEnd);
    out += ' ';
    out += word;
    column += 1 + word.size();
    i = end;
  }
}

// Folds printable ASCII (and tabs) after a header name: each piece is a run of blanks plus the word
// after it, and a fold goes before a piece's blanks. A line over `soft` columns is folded at its
// last chance; nullopt when a line would still exceed `hard` (one word too long).
std::optional<std::string> fold_ascii(std::string_view name, std::string_view value, std::size_t soft,
                                      std::size_t hard) {
  std::string out(name);
  out += ':';
  std::size_t column = out.size();
  std::size_t i = 0;
  bool first = true;
  while (i < value.size()) {
    std::size_t word = i;
    while (word < value.size() && is_wsp(value[word])) ++word;
    std::size_t end = word;
    while (end < value.size() && !is_wsp(value[end])) ++end;
    // The first piece gets the single space that follows the colon.
    const std::string piece = first ? " " + std::string(value.substr(i, end - i)) : std::string(value.substr(i, end - i));
    if (!first && column + piece.size() > soft) {
      out += "\r\n";
      column = 0;
    }
    out += piece;
    column += piece.size();
    if (column > hard) return std::nullopt;
    first = false;
    i = end;
  }
  out += "\r\n";
  return out;
}

bool all_printable_ascii(std::string_view v) {
  for (char c : v) {
    if (!is_printable_ascii(c) && c != '\t') return false;
  }
  return true;
}

// A display name written as it is: atoms separated by single spaces.
bool is_atom_phrase(std::string_view v) {
  if (v.empty()) return false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == ' ') {
      if (i == 0 || i + 1 == v.size() || v[i + 1] == ' ') return false;
    } else if (!is_atext(v[i])) {
      return false;
    }
  }
  return true;
}

std::string quoted_string(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

Status check_header_text(std::string_view value, std::string_view field) {
  if (value.find_first_of("\r\n") != std::string_view::npos) {
    return make_error("header_injection",
                      "line breaks are not allowed in e-mail headers (CR or LF in " + std::string(field) + ")",
                      std::string(field));
  }
  if (!text::is_valid_utf8(value)) {
    return make_error("invalid_utf8", std::string(field) + " is not valid UTF-8", std::string(field));
  }
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7F) {
      return make_error("invalid_header", std::string(field) + " has a control character", std::string(field));
    }
  }
  return Status::success();
}

Result<std::string> encode_unstructured_header(std::string_view name, std::string_view value,
                                               std::string_view field) {
  if (Status s = check_header_text(value, field); !s.ok()) return s.error();
  const std::string_view v = trim_wsp(value);
  // "=?" in plain text could be taken for an encoded-word by a reader: encode such text too.
  if (all_printable_ascii(v) && v.find("=?") == std::string_view::npos) {
    if (auto folded = fold_ascii(name, v, kFoldColumns, kFoldColumns)) return std::move(*folded);
  }
  std::string out(name);
  out += ':';
  std::size_t column = out.size();
  append_encoded_words(out, column, v);
  out += "\r\n";
  return out;
}

Result<std::string> encode_mailbox_header(std::string_view name, const Mailbox& mailbox, std::string_view field) {
  if (Status s = check_header_text(mailbox.display_name, field); !s.ok()) return s.error();
  const std::string_view display = trim_wsp(mailbox.display_name);
  std::string out(name);
  out += ':';
  std::size_t column = out.size();
  if (display.empty()) {
    out += ' ';
    out += mailbox.address;
    out += "\r\n";
    return out;
  }
  std::string plain;
  if (all_printable_ascii(display) && display.find('\t') == std::string_view::npos) {
    plain = is_atom_phrase(display) && display.find("=?") == std::string_view::npos ? std::string(display)
                                                                                    : quoted_string(display);
  }
  if (!plain.empty() && column + 1 + plain.size() <= kFoldColumns) {
    out += ' ';
    out += plain;
    column += 1 + plain.size();
  } else {
    append_encoded_words(out, column, display);
  }
  const std::string angle = "<" + mailbox.address + ">";
  if (column + 1 + angle.size() > kFoldColumns) {
    out += "\r\n";
    column = 0;
  }
  out += ' ';
  out += angle;
  out += "\r\n";
  return out;
}

Result<std::string> encode_ascii_header(std::string_view name, std::string_view value, std::string_view field) {
  if (Status s = check_header_text(value, field); !s.ok()) return s.error();
  if (!all_printable_ascii(value)) {
    return make_error("invalid_header", "header " + std::string(name) + " must be ASCII", std::string(field));
  }
  auto folded = fold_ascii(name, trim_wsp(value), kFoldColumns, kMaxHeaderLineBytes);
  if (!folded) {
    return make_error("invalid_header",
                      "header " + std::string(name) + " has a word too long for a 998-byte line", std::string(field));
  }
  return std::move(*folded);
}

}  // namespace jarip::channels::email
