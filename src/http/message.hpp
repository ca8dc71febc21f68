// The HTTP request/response values handlers see. Deliberately free of Beast types, so that domain
// code does not compile Beast's templates.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jarip::http {

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string method;  // "GET", "POST", …
  std::string target;  // as received: path and query
  std::string path;    // percent-decoded path without the query
  std::string query;   // raw query string without '?'
  std::vector<Header> headers;
  std::string body;
  std::string remote_address;

  // Case-insensitive; empty when absent.
  std::string_view header(std::string_view name) const;
  // Percent-decoded value of a query parameter; empty when absent.
  std::string query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<Header> headers;

  static Response json(int status, std::string body) { return Response{status, "application/json", std::move(body), {}}; }
  static Response text(int status, std::string body) {
    return Response{status, "text/plain; charset=utf-8", std::move(body), {}};
  }
};

// Completes a request. May be called from any thread, exactly once.
using Responder = std::function<void(Response)>;
using Handler = std::function<void(Request&& request, Responder respond)>;

bool iequals(std::string_view a, std::string_view b);
// plus_is_space: '+' means ' ' in query strings (form encoding), not in paths.
std::string percent_decode(std::string_view text, bool plus_is_space);

}  // namespace jarip::http
