// DKIM canonicalization, signing and verifying (RFC 6376 §3.4, §3.5, §3.7, §5, §6).
#include "channels/email/dkim.hpp"

#include <string>
#include <vector>

#include "channels/email/ascii.hpp"
#include "channels/email/dkim_internal.hpp"
#include "common/crypto.hpp"

namespace jarip::channels::email {
namespace {

constexpr std::size_t kFoldColumns = 78;

using ascii::iequals;
using ascii::is_field_name;
using ascii::is_wsp;
using ascii::lower;

bool is_fws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim_fws(std::string_view v) {
  while (!v.empty() && is_fws(v.front())) v.remove_prefix(1);
  while (!v.empty() && is_fws(v.back())) v.remove_suffix(1);
  return v;
}

std::string strip_fws(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (!is_fws(c)) out += c;
  }
  return out;
}

// ---- Message structure -----------------------------------------------------------------------------

struct HeaderField {
  std::string_view name;  // as written, without trailing blanks
  std::string_view raw;   // the whole field with its continuation lines and final CRLF
};

struct SplitMessage {
  std::vector<HeaderField> fields;
  std::string_view body;
};

Error bad_message(std::string why) { return make_error("dkim_bad_message", "cannot sign or verify: " + why); }

Result<SplitMessage> split_message(std::string_view message) {
  for (std::size_t i = 0; i < message.size(); ++i) {
    const bool bare_cr = message[i] == '\r' && (i + 1 == message.size() || message[i + 1] != '\n');
    const bool bare_lf = message[i] == '\n' && (i == 0 || message[i - 1] != '\r');
    if (bare_cr || bare_lf) return bad_message("a bare CR or LF (DKIM needs CRLF line endings)");
  }
  SplitMessage out;
  std::size_t pos = 0;
  while (pos < message.size()) {
    const std::size_t end = message.find("\r\n", pos);
    if (end == std::string_view::npos) return bad_message("the header section does not end with CRLF");
    if (end == pos) {  // the blank line
      out.body = message.substr(pos + 2);
      return out;
    }
    if (is_wsp(message[pos])) {
      if (out.fields.empty()) return bad_message("the first header line is a continuation");
      HeaderField& last = out.fields.back();
      last.raw = std::string_view(last.raw.data(), end + 2 - static_cast<std::size_t>(last.raw.data() - message.data()));
    } else {
      const std::size_t colon = message.find(':', pos);
      if (colon == std::string_view::npos || colon > end) return bad_message("a header line without ':'");
      std::string_view name = message.substr(pos, colon - pos);
      while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
      if (name.empty()) return bad_message("a header without a name");
      out.fields.push_back(HeaderField{name, message.substr(pos, end + 2 - pos)});
    }
    pos = end + 2;
  }
  return out;  // headers only, no body
}

// ---- Tag lists (RFC 6376 §3.2) -------------------------------------------------------------------

struct Tag {
  std::string name;
  std::string_view value;  // without surrounding FWS; points into the parsed text
};

Result<std::vector<Tag>> parse_tags(std::string_view text, const char* error_code) {
  std::vector<Tag> tags;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find(';', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view spec = text.substr(pos, end - pos);
    const std::size_t eq = spec.find('=');
    if (eq == std::string_view::npos) {
      if (!trim_fws(spec).empty()) return make_error(error_code, "a tag without '='");
    } else {
      Tag tag{std::string(trim_fws(spec.substr(0, eq))), trim_fws(spec.substr(eq + 1))};
      if (tag.name.empty()) return make_error(error_code, "a tag without a name");
      for (const Tag& t : tags) {
        if (t.name == tag.name) return make_error(error_code, "tag " + tag.name + "= is given twice");
      }
      tags.push_back(std::move(tag));
    }
    pos = end + 1;
  }
  return tags;
}

const Tag* find_tag(const std::vector<Tag>& tags, std::string_view name) {
  for (const Tag& t : tags) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::vector<std::string> split_header_list(std::string_view h) {
  std::vector<std::string> names;
  std::size_t pos = 0;
  while (pos <= h.size()) {
    std::size_t end = h.find(':', pos);
    if (end == std::string_view::npos) end = h.size();
    names.emplace_back(trim_fws(h.substr(pos, end - pos)));
    pos = end + 1;
  }
  return names;
}

// ---- Canonical signed data (RFC 6376 §3.7) ----------------------------------------------------------

// The headers h= names, each taken bottom-up (§5.4.2), canonicalized; a name listed more often than
// the message has it adds nothing for the extra listings.
std::string canonical_headers(const SplitMessage& message, const std::vector<std::string>& names, bool relaxed) {
  std::vector<bool> used(message.fields.size(), false);
  std::string out;
  for (const std::string& name : names) {
    for (std::size_t i = message.fields.size(); i-- > 0;) {
      if (used[i] || !iequals(message.fields[i].name, name)) continue;
      used[i] = true;
      out += relaxed ? canonicalize_header_relaxed(message.fields[i].raw) : std::string(message.fields[i].raw);
      break;
    }
  }
  return out;
}

struct ParsedSignature {
  std::vector<Tag> tags;
  std::string without_b;  // the field with its b= value removed, without the final CRLF
  bool relaxed_header = false;
  bool relaxed_body = false;
};

Result<ParsedSignature> parse_signature_field(std::string_view field) {
  const std::size_t colon = field.find(':');
  if (colon == std::string_view::npos) return make_error("dkim_bad_signature_field", "no ':' in the field");
  std::string_view value = field.substr(colon + 1);
  if (value.size() >= 2 && value.substr(value.size() - 2) == "\r\n") value.remove_suffix(2);
  auto tags = parse_tags(value, "dkim_bad_signature_field");
  if (!tags.ok()) return tags.error();
  ParsedSignature sig;
  sig.tags = std::move(tags).value();
  const Tag* b = find_tag(sig.tags, "b");
  if (b == nullptr) return make_error("dkim_bad_signature_field", "no b= tag");
  const std::size_t b_at = static_cast<std::size_t>(b->value.data() - field.data());
  sig.without_b = std::string(field.substr(0, b_at)) + std::string(field.substr(b_at + b->value.size()));
  if (sig.without_b.size() >= 2 && sig.without_b.substr(sig.without_b.size() - 2) == "\r\n") {
    sig.without_b.resize(sig.without_b.size() - 2);
  }
  std::string_view c = "simple/simple";
  if (const Tag* t = find_tag(sig.tags, "c")) c = t->value;
  const std::size_t slash = c.find('/');
  const std::string_view header_c = c.substr(0, slash);
  const std::string_view body_c = slash == std::string_view::npos ? "simple" : c.substr(slash + 1);
  for (std::string_view part : {header_c, body_c}) {
    if (part != "simple" && part != "relaxed") {
      return make_error("dkim_bad_signature_field", "unknown canonicalization " + std::string(c));
    }
  }
  sig.relaxed_header = header_c == "relaxed";
  sig.relaxed_body = body_c == "relaxed";
  return sig;
}

// The bytes a signature covers: the named headers, then the signature field itself without its
// b= value and without its final CRLF.
std::string signed_data(const SplitMessage& message, const ParsedSignature& sig) {
  const Tag* h = find_tag(sig.tags, "h");
  std::string data = canonical_headers(message, h ? split_header_list(h->value) : std::vector<std::string>{},
                                       sig.relaxed_header);
  if (sig.relaxed_header) {
    std::string field = canonicalize_header_relaxed(sig.without_b);
    field.resize(field.size() - 2);
    data += field;
  } else {
    data += sig.without_b;
  }
  return data;
}

std::string body_hash(std::string_view body, bool relaxed) {
  return crypto::base64_encode(crypto::sha256(relaxed ? canonicalize_body_relaxed(body) : canonicalize_body_simple(body)));
}

// d= and s=: dot-separated labels of letters, digits, '-' and '_' (selectors and ASCII domains).
bool is_dns_name(std::string_view v) {
  if (v.empty() || v.size() > 253 || v.front() == '.' || v.back() == '.') return false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '.') {
      if (v[i + 1] == '.') return false;
    } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
      return false;
    }
  }
  return true;
}

// Appends tag pieces to the DKIM-Signature line, folding before a piece that would pass 78 columns.
struct FieldWriter {
  std::string text = "DKIM-Signature:";
  std::size_t column = text.size();

  void piece(std::string_view p, bool space_before) {
    const std::size_t width = p.size() + (space_before ? 1 : 0);
    if (column + width > kFoldColumns && column > 1) {
      text += "\r\n ";
      column = 1;
    } else if (space_before) {
      text += ' ';
      ++column;
    }
    text += p;
    column += p.size();
  }
};

}  // namespace

// ---- Canonicalization ------------------------------------------------------------------------------

std::string canonicalize_header_relaxed(std::string_view field) {
  const std::size_t colon = field.find(':');
  std::string_view name = field.substr(0, colon);
  while (!name.empty() && is_fws(name.back())) name.remove_suffix(1);
  std::string out;
  out.reserve(field.size());
  for (char c : name) out += lower(c);
  out += ':';
  if (colon != std::string_view::npos) {
    bool started = false, pending_space = false;
    for (char c : field.substr(colon + 1)) {
      if (c == '\r' || c == '\n') continue;  // unfolding
      if (is_wsp(c)) {
        pending_space = started;
        continue;
      }
      if (pending_space) out += ' ';
      pending_space = false;
      started = true;
      out += c;
    }
  }
  out += "\r\n";
  return out;
}

std::string canonicalize_body_relaxed(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  std::size_t empty_lines = 0;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find("\r\n", pos);
    const std::size_t next = end == std::string_view::npos ? body.size() : end + 2;
    if (end == std::string_view::npos) end = body.size();
    std::string line;
    bool pending_space = false;
    for (char c : body.substr(pos, end - pos)) {
      if (is_wsp(c)) {
        pending_space = true;
        continue;
      }
      if (pending_space) line += ' ';
      pending_space = false;
      line += c;
    }
    if (line.empty()) {
      ++empty_lines;
    } else {
      for (; empty_lines > 0; --empty_lines) out += "\r\n";
      out += line;
      out += "\r\n";
    }
    pos = next;
  }
  return out;
}

std::string canonicalize_body_simple(std::string_view body) {
  std::string out(body);
  if (!out.empty() && (out.size() < 2 || out.substr(out.size() - 2) != "\r\n")) out += "\r\n";
  while (out.size() >= 4 && out.compare(out.size() - 4, 4, "\r\n\r\n") == 0) out.resize(out.size() - 2);
  if (out.empty() || out == "\r\n") return "\r\n";
  return out;
}

// ---- Signing ---------------------------------------------------------------------------------------

const std::vector<std::string>& default_signed_headers() {
  static const std::vector<std::string> kHeaders = {
      "From",         "To",           "Cc",   "Reply-To", "Subject", "Date", "Message-ID", "MIME-Version",
      "Content-Type", "Content-Transfer-Encoding", "List-Unsubscribe", "List-Unsubscribe-Post"};
  return kHeaders;
}

Result<std::string> dkim_compute_b(std::string_view message, std::string_view signature_field, const DkimKey& key) {
  auto split = split_message(message);
  if (!split.ok()) return split.error();
  auto sig = parse_signature_field(signature_field);
  if (!sig.ok()) return sig.error();
  auto signature = key.sign(signed_data(*split, *sig));
  if (!signature.ok()) return signature.error();
  return crypto::base64_encode(*signature);
}

Result<std::string> dkim_signature(std::string_view message, const DkimKey& key, const DkimSignOptions& options) {
  auto bad_option = [](std::string why) { return make_error("invalid_dkim_options", "DKIM: " + why); };
  if (!is_dns_name(options.domain)) return bad_option("d= must be an ASCII domain name");
  if (!is_dns_name(options.selector)) return bad_option("s= must be a selector (letters, digits, '-', '_', '.')");
  bool has_from = false;
  for (const std::string& name : options.headers) {
    if (!is_field_name(name)) return bad_option("header name \"" + name + "\" is not a field name");
    has_from = has_from || iequals(name, "From");
  }
  if (!has_from) return bad_option("the signed headers must include From (RFC 6376 §5.4)");
  if (options.timestamp && options.expiration && *options.expiration <= *options.timestamp) {
    return bad_option("x= must be after t=");
  }
  auto split = split_message(message);
  if (!split.ok()) return split.error();
  std::size_t froms = 0;
  for (const HeaderField& f : split->fields) froms += iequals(f.name, "From") ? 1 : 0;
  if (froms != 1) return bad_message("the message must have exactly one From header");

  // h=: every instance the message has, and once more when oversigning.
  std::vector<std::string> names;
  for (std::size_t i = 0; i < options.headers.size(); ++i) {
    const std::string& name = options.headers[i];
    bool repeated = false;
    for (std::size_t j = 0; j < i; ++j) repeated = repeated || iequals(options.headers[j], name);
    if (repeated) continue;
    std::size_t count = options.oversign ? 1 : 0;
    for (const HeaderField& f : split->fields) count += iequals(f.name, name) ? 1 : 0;
    names.insert(names.end(), count, name);
  }

  FieldWriter w;
  w.piece("v=1;", true);
  w.piece("a=" + std::string(to_string(key.algorithm())) + ";", true);
  w.piece("c=relaxed/relaxed;", true);
  w.piece("d=" + options.domain + ";", true);
  w.piece("s=" + options.selector + ";", true);
  if (options.timestamp) w.piece("t=" + std::to_string(*options.timestamp) + ";", true);
  if (options.expiration) w.piece("x=" + std::to_string(*options.expiration) + ";", true);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string piece = (i == 0 ? "h=" : "") + names[i] + (i + 1 == names.size() ? ";" : ":");
    w.piece(piece, i == 0);
  }
  w.piece("bh=" + body_hash(split->body, true) + ";", true);
  w.piece("b=", true);

  auto sig = parse_signature_field(w.text);
  if (!sig.ok()) return sig.error();
  auto signature = key.sign(signed_data(*split, *sig));
  if (!signature.ok()) return signature.error();
  // The b= value is folded freely: verifiers drop its FWS, and it is not part of the signed data.
  const std::string b = crypto::base64_encode(*signature);
  for (std::size_t i = 0; i < b.size();) {
    if (w.column >= kFoldColumns) {
      w.text += "\r\n ";
      w.column = 1;
    }
    const std::size_t take = std::min(b.size() - i, kFoldColumns - w.column);
    w.text.append(b, i, take);
    w.column += take;
    i += take;
  }
  w.text += "\r\n";
  return std::move(w.text);
}

Result<std::string> dkim_sign(std::string_view message, const DkimKey& key, const DkimSignOptions& options) {
  auto field = dkim_signature(message, key, options);
  if (!field.ok()) return field.error();
  return *field + std::string(message);
}

// ---- Verifying -------------------------------------------------------------------------------------

Status dkim_verify(std::string_view message, std::string_view dns_record, std::string_view selector) {
  auto split = split_message(message);
  if (!split.ok()) return split.error();
  const HeaderField* field = nullptr;
  Result<ParsedSignature> sig = make_error("dkim_no_signature", "no DKIM-Signature header");
  for (const HeaderField& f : split->fields) {
    if (!iequals(f.name, "DKIM-Signature")) continue;
    auto parsed = parse_signature_field(f.raw);
    if (!parsed.ok()) {
      if (selector.empty()) return parsed.error();
      continue;
    }
    const Tag* s = find_tag(parsed->tags, "s");
    if (selector.empty() || (s != nullptr && s->value == selector)) {
      field = &f;
      sig = std::move(parsed);
      break;
    }
  }
  if (field == nullptr) {
    return make_error("dkim_no_signature", selector.empty() ? "no DKIM-Signature header"
                                                            : "no DKIM-Signature with s=" + std::string(selector));
  }
  auto bad_field = [](std::string why) { return make_error("dkim_bad_signature_field", "DKIM-Signature: " + why); };
  for (std::string_view required : {"v", "a", "b", "bh", "d", "h", "s"}) {
    if (find_tag(sig->tags, required) == nullptr) return bad_field("no " + std::string(required) + "= tag");
  }
  if (find_tag(sig->tags, "v")->value != "1") return bad_field("v= is not 1");
  if (find_tag(sig->tags, "l") != nullptr) return bad_field("l= (a partly signed body) is not accepted");
  const std::string_view a = find_tag(sig->tags, "a")->value;
  DkimAlgorithm algorithm;
  if (a == "rsa-sha256") {
    algorithm = DkimAlgorithm::rsa_sha256;
  } else if (a == "ed25519-sha256") {
    algorithm = DkimAlgorithm::ed25519_sha256;
  } else {
    return bad_field("unsupported algorithm " + std::string(a));
  }
  bool from_signed = false;
  for (const std::string& name : split_header_list(find_tag(sig->tags, "h")->value)) {
    from_signed = from_signed || iequals(name, "From");
  }
  if (!from_signed) return bad_field("h= does not include From");

  auto record = parse_tags(dns_record, "dkim_bad_record");
  if (!record.ok()) return record.error();
  if (const Tag* v = find_tag(*record, "v"); v != nullptr && v->value != "DKIM1") {
    return make_error("dkim_bad_record", "v= is not DKIM1");
  }
  const Tag* k = find_tag(*record, "k");
  const std::string_view key_type = k ? k->value : "rsa";
  if ((algorithm == DkimAlgorithm::rsa_sha256) != (key_type == "rsa") ||
      (algorithm == DkimAlgorithm::ed25519_sha256) != (key_type == "ed25519")) {
    return make_error("dkim_bad_record", "the record's k= does not match a=" + std::string(a));
  }
  const Tag* p = find_tag(*record, "p");
  if (p == nullptr || strip_fws(p->value).empty()) return make_error("dkim_bad_record", "no key (p= empty: revoked)");
  const auto public_key = crypto::base64_decode(strip_fws(p->value));
  if (!public_key) return make_error("dkim_bad_record", "p= is not base64");

  if (body_hash(split->body, sig->relaxed_body) != strip_fws(find_tag(sig->tags, "bh")->value)) {
    return make_error("dkim_body_hash_mismatch", "the body is not the one signed (bh= differs)");
  }
  const auto signature = crypto::base64_decode(strip_fws(find_tag(sig->tags, "b")->value));
  if (!signature) return bad_field("b= is not base64");
  return detail::verify_with_public_key(algorithm, *public_key, signed_data(*split, *sig), *signature);
}

}  // namespace jarip::channels::email
