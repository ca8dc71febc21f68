// A small HTTP/1.1 server (Boost.Beast, keep-alive) whose listener can be closed and reopened, so
// that "provider down" is a refused TCP connection. Closing also drops the open connections.
#pragma once

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

#include "sim/simulator.hpp"

namespace jarip::sim {

class HttpServer {
 public:
  using Handler = std::function<Handled(const HttpIn&)>;

  HttpServer(boost::asio::io_context& io, std::string host, int port, std::string name, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  bool open(std::string* error);  // bind, listen, accept; true when listening
  void close();                   // stop listening and close every connection
  bool is_open() const;
  const std::string& name() const;
  int port() const;  // the bound port once open() succeeded (also when 0 was asked for)

  struct Impl;  // public only so that the connection class in the .cpp can name it

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace jarip::sim
