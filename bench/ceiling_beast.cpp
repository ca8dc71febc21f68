// Ceiling for jarip's HTTP layer: a bare Boost.Beast HTTP/1.1 keep-alive server with no
// application work. It reads each request (body included, as jarip does) and answers 202 with a
// JSON body the size of jarip's single-message answer. Same Asio/Beast build as jarip (linked
// against build-bench/libjarip_asio.a), same thread count (1 io thread, like io_threads = 1).
//
//   ceiling_beast PORT [THREADS]
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Same length as jarip's {"id":"msg_…","status":"accepted"}.
const std::string kBody = R"({"id":"msg_0000000000000000000000000000","status":"accepted"})";

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket s) : stream_(std::move(s)) {}
  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(8 << 20);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->respond();
    });
  }
  void respond() {
    auto req = parser_->release();
    res_ = {};
    res_.version(11);
    res_.result(http::status::accepted);
    res_.set(http::field::content_type, "application/json");
    res_.keep_alive(req.keep_alive());
    res_.body() = kBody;
    res_.prepare_payload();
    http::async_write(stream_, res_, [self = shared_from_this(), keep = req.keep_alive()](beast::error_code ec, std::size_t) {
      if (ec || !keep) return self->close();
      self->read();
    });
  }
  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
};

void accept_loop(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](beast::error_code ec, tcp::socket s) {
    if (!ec) {
      s.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(s))->start();
    }
    accept_loop(acceptor);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ceiling_beast PORT [THREADS]\n");
    return 2;
  }
  unsigned short port = static_cast<unsigned short>(std::atoi(argv[1]));
  int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  asio::io_context io(threads);
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), port});
  accept_loop(acceptor);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) { io.stop(); });
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  return 0;
}
