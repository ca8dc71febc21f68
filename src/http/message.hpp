// The HTTP request/response values handlers see. Deliberately free of Beast types, so that domain
// code does not compile Beast's templates.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jarip::http {

class EventStream;  // event_stream.hpp; only handlers that stream include it

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
  // Set: the response is a text/event-stream that stays open (event_stream.hpp); content_type and
  // body are ignored, headers and status are sent.
  std::shared_ptr<EventStream> stream;

  // Constructors rather than aggregate initialisation, so that Response{status, type, body, headers}
  // keeps compiling without warnings as fields are added.
  Response() = default;
  Response(int status_, std::string content_type_, std::string body_ = {}, std::vector<Header> headers_ = {})
      : status(status_), content_type(std::move(content_type_)), body(std::move(body_)), headers(std::move(headers_)) {}

  static Response json(int status, std::string body) { return Response{status, "application/json", std::move(body)}; }
  static Response text(int status, std::string body) {
    return Response{status, "text/plain; charset=utf-8", std::move(body)};
  }
  static Response event_stream(std::shared_ptr<EventStream> stream) {
    Response r{200, "text/event-stream"};
    r.stream = std::move(stream);
    return r;
  }
};

// Completes a request. May be called from any thread, exactly once. A Response with a stream is
// written as Server-Sent Events until the stream ends (event_stream.hpp).
using Responder = std::function<void(Response)>;
using Handler = std::function<void(Request&& request, Responder respond)>;

bool iequals(std::string_view a, std::string_view b);
// The value of cookie `name` in a Cookie header ("a=b; name=value"); empty when absent.
std::string cookie_value(std::string_view cookie_header, std::string_view name);
// plus_is_space: '+' means ' ' in query strings (form encoding), not in paths.
std::string percent_decode(std::string_view text, bool plus_is_space);

}  // namespace jarip::http
