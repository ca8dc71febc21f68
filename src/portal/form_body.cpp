#include "portal/form_body.hpp"

#include <cctype>

namespace jarip::portal {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The value of parameter `name` in a header value such as `multipart/form-data; boundary="x"` or
// `form-data; name="a"`; empty when absent.
std::string header_parameter(std::string_view value, std::string_view name) {
  std::size_t pos = value.find(';');
  while (pos != std::string_view::npos) {
    std::string_view rest = value.substr(pos + 1);
    std::size_t next = std::string_view::npos;
    bool quoted = false;
    for (std::size_t i = 0; i < rest.size(); ++i) {
      if (rest[i] == '"') quoted = !quoted;
      if (rest[i] == ';' && !quoted) {
        next = i;
        break;
      }
    }
    std::string_view param = trim(rest.substr(0, next));
    auto eq = param.find('=');
    if (eq != std::string_view::npos && lower(trim(param.substr(0, eq))) == name) {
      std::string_view v = trim(param.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
        std::string out;
        for (std::size_t i = 1; i + 1 < v.size(); ++i) {
          if (v[i] == '\\' && i + 2 < v.size()) ++i;
          out.push_back(v[i]);
        }
        return out;
      }
      return std::string(v);
    }
    pos = next == std::string_view::npos ? next : pos + 1 + next;
  }
  return {};
}

Result<FormFields> parse_urlencoded(std::string_view body) {
  FormFields out;
  while (!body.empty()) {
    auto amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    if (!pair.empty()) {
      if (out.size() >= kMaxFormFields) return make_error("bad_request", "too many form fields");
      auto eq = pair.find('=');
      std::string key = http::percent_decode(pair.substr(0, eq), true);
      std::string value = eq == std::string_view::npos ? std::string() : http::percent_decode(pair.substr(eq + 1), true);
      out.emplace_back(std::move(key), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return out;
}

Result<FormFields> parse_multipart(std::string_view body, const std::string& boundary) {
  auto bad = [](const char* why) { return make_error("bad_request", std::string("malformed multipart body: ") + why); };
  if (boundary.empty() || boundary.size() > 70) return bad("no boundary");
  const std::string delimiter = "--" + boundary;
  // The first delimiter: at the very start, or after a preamble ending in CRLF.
  std::size_t pos = 0;
  if (body.substr(0, delimiter.size()) != delimiter) {
    pos = body.find("\r\n" + delimiter);
    if (pos == std::string_view::npos) return bad("no first boundary");
    pos += 2;
  }
  pos += delimiter.size();
  FormFields out;
  for (;;) {
    if (body.substr(pos, 2) == "--") return out;  // the close delimiter
    // Transport padding (white space) may follow a delimiter before its CRLF.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") return bad("no line break after a boundary");
    pos += 2;
    std::size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) return bad("part headers do not end");
    std::string name;
    bool has_disposition = false;
    std::string_view headers = body.substr(pos, headers_end - pos);
    while (!headers.empty()) {
      auto eol = headers.find("\r\n");
      std::string_view line = headers.substr(0, eol);
      auto colon = line.find(':');
      if (colon != std::string_view::npos && lower(trim(line.substr(0, colon))) == "content-disposition") {
        std::string_view value = trim(line.substr(colon + 1));
        if (lower(value.substr(0, 9)) == "form-data") {
          has_disposition = true;
          name = header_parameter(value, "name");
        }
      }
      if (eol == std::string_view::npos) break;
      headers.remove_prefix(eol + 2);
    }
    std::size_t content = headers_end + 4;
    std::size_t end = body.find("\r\n" + delimiter, content);
    if (end == std::string_view::npos) return bad("a part does not end");
    if (!has_disposition) return bad("a part without Content-Disposition: form-data");
    if (out.size() >= kMaxFormFields) return make_error("bad_request", "too many form fields");
    out.emplace_back(std::move(name), std::string(body.substr(content, end - content)));
    pos = end + 2 + delimiter.size();
  }
}

}  // namespace

Result<FormFields> parse_form_body(const http::Request& request) {
  if (request.body.size() > kMaxFormBytes) return make_error("bad_request", "form body too large");
  std::string_view content_type = request.header("Content-Type");
  std::string media = lower(trim(content_type.substr(0, content_type.find(';'))));
  if (media.empty() || media == "application/x-www-form-urlencoded") return parse_urlencoded(request.body);
  if (media == "multipart/form-data") return parse_multipart(request.body, header_parameter(content_type, "boundary"));
  return make_error("bad_request", "expected a form (application/x-www-form-urlencoded or multipart/form-data)");
}

std::string form_value(const FormFields& fields, std::string_view name) {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return {};
}

bool has_field(const FormFields& fields, std::string_view name) {
  for (const auto& f : fields) {
    if (f.first == name) return true;
  }
  return false;
}

std::vector<std::string> form_values(const FormFields& fields, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [k, v] : fields) {
    if (k == name) out.push_back(v);
  }
  return out;
}

bool is_json_request(const http::Request& request) {
  std::string_view content_type = request.header("Content-Type");
  std::string media = lower(trim(content_type.substr(0, content_type.find(';'))));
  return media == "application/json" || (media.size() > 5 && media.compare(media.size() - 5, 5, "+json") == 0);
}

}  // namespace jarip::portal
