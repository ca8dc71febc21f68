#include "sim/json_text.hpp"

#include <boost/json.hpp>

namespace jarip::sim {

void append_json_string(std::string& out, std::string_view text) {
  static const char* hex = "0123456789abcdef";
  out.push_back('"');
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 15]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

std::string json_quote(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

const boost::json::value* find_field(const boost::json::value& v, std::string_view key) {
  const auto* obj = v.if_object();
  if (!obj) return nullptr;
  auto it = obj->find(key);
  return it == obj->end() ? nullptr : &it->value();
}

std::optional<std::string> get_string(const boost::json::value& v, std::string_view key) {
  const auto* f = find_field(v, key);
  if (!f || !f->is_string()) return std::nullopt;
  return to_std(f->get_string());
}

std::optional<bool> get_bool(const boost::json::value& v, std::string_view key) {
  const auto* f = find_field(v, key);
  if (!f || !f->is_bool()) return std::nullopt;
  return f->get_bool();
}

std::optional<long long> get_int(const boost::json::value& v, std::string_view key) {
  const auto* f = find_field(v, key);
  if (!f) return std::nullopt;
  if (f->is_int64()) return f->get_int64();
  if (f->is_uint64() && f->get_uint64() < (1ull << 62)) return static_cast<long long>(f->get_uint64());
  return std::nullopt;
}

std::string to_std(boost::json::string_view s) { return std::string(s.data(), s.size()); }

}  // namespace jarip::sim
