// Transport-neutral HTTP request/answer types for the simulator core, so that the provider logic is
// tested without sockets. Header names are compared case-insensitively.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jarip::sim {

struct HttpIn {
  std::string method;  // "GET", "POST", …
  std::string target;  // path and query as received
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // First header with this name (case-insensitive), or empty.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  std::string_view path() const;   // target before '?'
  std::string_view query() const;  // target after '?', or empty
};

struct HttpOut {
  int status = 200;
  std::string body;
  std::string content_type = "application/json;charset=UTF-8";
  std::vector<std::pair<std::string, std::string>> headers = {};  // extra response headers (Location, …)
};

bool iequals(std::string_view a, std::string_view b);

// Percent-decoded query parameters; repeated keys keep every value in order.
std::multimap<std::string, std::string> parse_query(std::string_view query);
std::string query_get(const std::multimap<std::string, std::string>& q, const std::string& key);
std::vector<std::string> split_path(std::string_view path);  // "/a/b/" → {"a","b"}

}  // namespace jarip::sim
