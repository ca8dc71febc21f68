// The SMTP client against a scripted fake relay on 127.0.0.1 (its own thread and io_context, its
// own SMTP code), and the email provider's settings, composition and transport. Timeouts here are
// short (a few hundred ms) so that the whole file runs in a few seconds.
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "channels/email/dkim.hpp"
#include "channels/email/email_provider.hpp"
#include "channels/email/smtp_client.hpp"
#include "channels/registry.hpp"
#include "channels/transport.hpp"
#include "common/crypto.hpp"
#include "support/test_certificate.hpp"

namespace jarip::channels::email {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

using testing::TestCertificate;

TestCertificate make_certificate(const std::string& common_name) { return testing::make_test_certificate(common_name); }

std::string write_temp_file(const std::string& name, const std::string& content) {
  auto path = std::filesystem::temp_directory_path() / ("jarip-smtp-test-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

// ---- The fake relay ------------------------------------------------------------------------------

struct RelayScript {
  std::string greeting = "220 fake.test ESMTP";
  std::vector<std::string> extensions = {"PIPELINING", "SIZE 10000000", "AUTH PLAIN LOGIN", "ENHANCEDSTATUSCODES"};
  bool offer_starttls = false;
  bool implicit_tls = false;
  std::string username = "jarip";
  std::string password = "s3cret pass";
  std::map<std::string, std::string> replies;  // verb ("RCPT", "MAIL", "DATA") → the reply instead of 250/354
  std::string stall_at;                       // verb, or "." for the end of the data: never answer it
  std::string data_end_reply = "250 2.0.0 Ok: queued as 4XkLmN0abc";
};

struct RelayRecord {
  int connections = 0;
  std::vector<std::string> commands;  // every line outside DATA, across connections
  std::vector<std::string> data;      // each DATA payload as received (dot-stuffed, without the final ".")
  bool tls_before_auth = false;
  std::vector<std::string> commands_after_tls;
};

class FakeRelay {
 public:
  explicit FakeRelay(RelayScript script, std::optional<TestCertificate> certificate = std::nullopt)
      : script_(std::move(script)), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    if (certificate) {
      tls_.use_certificate_chain(asio::buffer(certificate->cert_pem));
      tls_.use_private_key(asio::buffer(certificate->key_pem), ssl::context::pem);
    }
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeRelay() {
    work_.reset();
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  RelayRecord record() const {
    std::lock_guard lock(mutex_);
    return record_;
  }

 private:
  struct Conn {
    explicit Conn(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    std::unique_ptr<ssl::stream<tcp::socket>> tls;
    std::string in;
    std::array<char, 4096> chunk{};
  };

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(nothrow);
      if (ec) co_return;
      {
        std::lock_guard lock(mutex_);
        ++record_.connections;
      }
      asio::co_spawn(io_, session(std::make_shared<Conn>(std::move(socket))), asio::detached);
    }
  }

  static asio::awaitable<std::optional<std::string>> read_line(Conn& c) {
    for (;;) {
      if (auto pos = c.in.find("\r\n"); pos != std::string::npos) {
        std::string line = c.in.substr(0, pos);
        c.in.erase(0, pos + 2);
        co_return line;
      }
      boost::system::error_code ec;
      std::size_t n = 0;
      if (c.tls) {
        std::tie(ec, n) = co_await c.tls->async_read_some(asio::buffer(c.chunk), nothrow);
      } else {
        std::tie(ec, n) = co_await c.socket.async_read_some(asio::buffer(c.chunk), nothrow);
      }
      if (ec) co_return std::nullopt;
      c.in.append(c.chunk.data(), n);
    }
  }

  static asio::awaitable<bool> say(Conn& c, std::string text) {
    text += "\r\n";
    boost::system::error_code ec;
    if (c.tls) {
      std::tie(ec, std::ignore) = co_await asio::async_write(*c.tls, asio::buffer(text), nothrow);
    } else {
      std::tie(ec, std::ignore) = co_await asio::async_write(c.socket, asio::buffer(text), nothrow);
    }
    co_return !ec;
  }

  // Holds the connection without answering until the client gives up and closes it.
  static asio::awaitable<void> stall(Conn& c) {
    for (;;) {
      auto line = co_await read_line(c);
      if (!line) co_return;
    }
  }

  void note(const std::string& line, bool tls) {
    std::lock_guard lock(mutex_);
    record_.commands.push_back(line);
    if (tls) record_.commands_after_tls.push_back(line);
  }

  asio::awaitable<bool> start_tls(Conn& c) {
    c.tls = std::make_unique<ssl::stream<tcp::socket>>(std::move(c.socket), tls_);
    auto [ec] = co_await c.tls->async_handshake(ssl::stream_base::server, nothrow);
    co_return !ec;
  }

  asio::awaitable<void> session(std::shared_ptr<Conn> conn) {
    Conn& c = *conn;
    if (script_.implicit_tls) {
      bool secured = co_await start_tls(c);
      if (!secured) co_return;
    }
    if (!co_await say(c, script_.greeting)) co_return;
    if (script_.greeting.rfind("220", 0) != 0) co_return;  // 421 and the like: close at once
    bool authenticated = false;
    for (;;) {
      auto line = co_await read_line(c);
      if (!line) co_return;
      note(*line, c.tls != nullptr);
      std::string verb = line->substr(0, line->find(' '));
      for (char& ch : verb) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (verb == script_.stall_at) {
        co_await stall(c);
        co_return;
      }
      if (auto it = script_.replies.find(verb); it != script_.replies.end()) {
        if (!co_await say(c, it->second)) co_return;
        if (it->second.rfind("421", 0) == 0) co_return;
        continue;
      }
      if (verb == "EHLO") {
        std::vector<std::string> lines = {"fake.test greets you"};
        for (auto& e : script_.extensions) lines.push_back(e);
        if (script_.offer_starttls && !c.tls) lines.push_back("STARTTLS");
        std::string reply;
        for (std::size_t i = 0; i < lines.size(); ++i) {
          reply += "250" + std::string(i + 1 < lines.size() ? "-" : " ") + lines[i] + (i + 1 < lines.size() ? "\r\n" : "");
        }
        if (!co_await say(c, reply)) co_return;
      } else if (verb == "STARTTLS") {
        if (!co_await say(c, "220 2.0.0 Ready to start TLS")) co_return;
        if (!co_await start_tls(c)) co_return;
      } else if (verb == "AUTH") {
        {
          std::lock_guard lock(mutex_);
          if (c.tls) record_.tls_before_auth = true;
        }
        std::string user, pass;
        if (line->rfind("AUTH PLAIN ", 0) == 0) {
          auto decoded = crypto::base64_decode(line->substr(11)).value_or("");
          auto first = decoded.find('\0'), second = decoded.find('\0', first + 1);
          if (first != std::string::npos && second != std::string::npos) {
            user = decoded.substr(first + 1, second - first - 1);
            pass = decoded.substr(second + 1);
          }
        } else if (*line == "AUTH LOGIN") {
          if (!co_await say(c, "334 VXNlcm5hbWU6")) co_return;
          auto u = co_await read_line(c);
          if (!u) co_return;
          note(*u, c.tls != nullptr);
          if (!co_await say(c, "334 UGFzc3dvcmQ6")) co_return;
          auto p = co_await read_line(c);
          if (!p) co_return;
          note(*p, c.tls != nullptr);
          user = crypto::base64_decode(*u).value_or("");
          pass = crypto::base64_decode(*p).value_or("");
        }
        authenticated = user == script_.username && pass == script_.password;
        if (!co_await say(c, authenticated ? "235 2.7.0 Authentication successful"
                                           : "535 5.7.8 Error: authentication failed")) {
          co_return;
        }
      } else if (verb == "DATA") {
        if (!co_await say(c, "354 End data with <CR><LF>.<CR><LF>")) co_return;
        std::string payload;
        for (;;) {
          auto data_line = co_await read_line(c);
          if (!data_line) co_return;
          if (*data_line == ".") break;
          payload += *data_line + "\r\n";
        }
        {
          std::lock_guard lock(mutex_);
          record_.data.push_back(payload);
        }
        if (script_.stall_at == ".") {
          co_await stall(c);
          co_return;
        }
        if (!co_await say(c, script_.data_end_reply)) co_return;
      } else if (verb == "QUIT") {
        co_await say(c, "221 2.0.0 Bye");
        co_return;
      } else if (verb == "MAIL" || verb == "RCPT" || verb == "RSET" || verb == "NOOP") {
        if (!co_await say(c, "250 2.0.0 Ok")) co_return;
      } else {
        if (!co_await say(c, "502 5.5.2 Error: command not recognized")) co_return;
      }
    }
  }

  RelayScript script_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{io_.get_executor()};
  tcp::acceptor acceptor_;
  ssl::context tls_{ssl::context::tls_server};
  std::uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  RelayRecord record_;
};

// ---- Client-side helpers ------------------------------------------------------------------------

SmtpMail test_mail(std::string body = "Hello.\r\n") {
  SmtpMail mail;
  mail.envelope_from = "news@shop.test";
  mail.envelope_to = "hong@example.test";
  mail.message = "From: news@shop.test\r\nTo: hong@example.test\r\nSubject: hi\r\n\r\n" + body;
  return mail;
}

SmtpClientOptions plain_options(std::uint16_t port) {
  SmtpClientOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.tls = SmtpTlsMode::none;
  o.username = "jarip";
  o.password = "s3cret pass";
  o.helo = "client.jarip.test";
  return o;
}

class SmtpClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<SmtpClient> make(SmtpClientOptions options) {
    auto client = SmtpClient::create(io.get_executor(), std::move(options));
    EXPECT_TRUE(client.ok()) << (client.ok() ? "" : client.error().message);
    return client.ok() ? std::move(*client) : nullptr;
  }

  // Runs the client's io_context until `done` (at most 10 s, far beyond every deadline used here).
  void run_until(const std::function<bool()>& done) {
    auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < limit) {
      if (io.stopped()) io.restart();
      // Nothing queued returns at once: wait a little instead of spinning.
      if (io.run_one_for(std::chrono::milliseconds(5)) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_TRUE(done()) << "timed out";
  }

  SmtpSendOutcome send(SmtpClient& client, SmtpMail mail, int timeout_ms = 3000) {
    std::optional<SmtpSendOutcome> out;
    client.send(std::move(mail), timeout_ms, [&](SmtpSendOutcome o) { out = std::move(o); });
    run_until([&] { return out.has_value(); });
    return out.value_or(SmtpSendOutcome{});
  }

  asio::io_context io;
};

std::size_t count(const std::vector<std::string>& lines, std::string_view prefix) {
  return static_cast<std::size_t>(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.rfind(prefix, 0) == 0;
  }));
}

// ---- The client ---------------------------------------------------------------------------------

TEST_F(SmtpClientTest, PlainHappyPathWithAuthPlain) {
  FakeRelay relay(RelayScript{});
  auto client = make(plain_options(relay.port()));
  auto out = send(*client, test_mail());
  EXPECT_EQ(out.result.outcome, SendOutcome::accepted) << out.error;
  EXPECT_EQ(out.result.provider_message_id, "4XkLmN0abc");
  EXPECT_EQ(out.health, ProviderHealth::ok);
  EXPECT_TRUE(out.answered);
  auto record = relay.record();
  ASSERT_GE(record.commands.size(), 5u);
  EXPECT_EQ(record.commands[0], "EHLO client.jarip.test");
  EXPECT_EQ(record.commands[1], "AUTH PLAIN " + crypto::base64_encode(std::string("\0jarip\0s3cret pass", 18)));
  EXPECT_EQ(record.commands[2], "MAIL FROM:<news@shop.test> SIZE=" + std::to_string(test_mail().message.size()));
  EXPECT_EQ(record.commands[3], "RCPT TO:<hong@example.test>");
  EXPECT_EQ(record.commands[4], "DATA");
  ASSERT_EQ(record.data.size(), 1u);
  EXPECT_EQ(record.data[0], test_mail().message);
}

TEST_F(SmtpClientTest, AuthLoginWhenOnlyLoginIsOffered) {
  RelayScript script;
  script.extensions = {"AUTH LOGIN"};
  FakeRelay relay(script);
  auto client = make(plain_options(relay.port()));
  auto out = send(*client, test_mail());
  EXPECT_EQ(out.result.outcome, SendOutcome::accepted) << out.error;
  auto record = relay.record();
  ASSERT_GE(record.commands.size(), 4u);
  EXPECT_EQ(record.commands[1], "AUTH LOGIN");
  EXPECT_EQ(record.commands[2], crypto::base64_encode("jarip"));
  EXPECT_EQ(record.commands[3], crypto::base64_encode("s3cret pass"));
  // No SIZE announced: no SIZE parameter.
  EXPECT_EQ(record.commands[4], "MAIL FROM:<news@shop.test>");
}

TEST_F(SmtpClientTest, WrongPasswordIsRetryableWithHealthFailure) {
  FakeRelay relay(RelayScript{});
  auto options = plain_options(relay.port());
  options.password = "wrong";
  auto client = make(options);
  auto out = send(*client, test_mail());
  EXPECT_EQ(out.result.outcome, SendOutcome::retryable);
  EXPECT_EQ(out.health, ProviderHealth::failure);
  EXPECT_EQ(out.result.error_code, "5.7.8");
  EXPECT_EQ(out.error.find("wrong"), std::string::npos) << "the password leaked into the log text";
  EXPECT_EQ(count(relay.record().commands, "MAIL"), 0u);
}

TEST_F(SmtpClientTest, ReusesOneConnectionWithRsetBetweenMessages) {
  FakeRelay relay(RelayScript{});
  auto client = make(plain_options(relay.port()));
  EXPECT_EQ(send(*client, test_mail("one\r\n")).result.outcome, SendOutcome::accepted);
  EXPECT_EQ(send(*client, test_mail("two\r\n")).result.outcome, SendOutcome::accepted);
  auto record = relay.record();
  EXPECT_EQ(record.connections, 1);
  EXPECT_EQ(count(record.commands, "EHLO"), 1u);
  EXPECT_EQ(count(record.commands, "AUTH"), 1u);
  std::vector<std::string> expected_tail = {"MAIL FROM:<news@shop.test> SIZE=" + std::to_string(test_mail("one\r\n").message.size()),
                                            "RCPT TO:<hong@example.test>", "DATA", "RSET"};
  ASSERT_GE(record.commands.size(), 9u);
  EXPECT_EQ(std::vector<std::string>(record.commands.begin() + 2, record.commands.begin() + 6), expected_tail);
  EXPECT_EQ(record.data.size(), 2u);
}

TEST_F(SmtpClientTest, PoolOfOneQueuesConcurrentSendsOnOneConnection) {
  FakeRelay relay(RelayScript{});
  auto options = plain_options(relay.port());
  options.pool_size = 1;
  auto client = make(options);
  std::vector<SmtpSendOutcome> outcomes;
  for (int i = 0; i < 3; ++i) client->send(test_mail(), 3000, [&](SmtpSendOutcome o) { outcomes.push_back(o); });
  run_until([&] { return outcomes.size() == 3; });
  for (auto& o : outcomes) EXPECT_EQ(o.result.outcome, SendOutcome::accepted) << o.error;
  EXPECT_EQ(relay.record().connections, 1);
  EXPECT_EQ(count(relay.record().commands, "RSET"), 2u);
}

TEST_F(SmtpClientTest, QueuedSendTimesOutWithoutBlamingTheRelay) {
  RelayScript script;
  script.stall_at = "DATA";
  FakeRelay relay(script);
  auto options = plain_options(relay.port());
  options.pool_size = 1;
  auto client = make(options);
  std::vector<SmtpSendOutcome> outcomes;
  // The first holds the only connection; the second's deadline passes while it waits for it.
  client->send(test_mail(), 400, [&](SmtpSendOutcome o) { outcomes.push_back(o); });
  client->send(test_mail(), 200, [&](SmtpSendOutcome o) { outcomes.push_back(o); });
  run_until([&] { return outcomes.size() == 2; });
  ASSERT_EQ(outcomes.size(), 2u);
  for (auto& o : outcomes) {
    EXPECT_EQ(o.result.outcome, SendOutcome::retryable);
    EXPECT_EQ(o.result.error_code, "smtp_timeout");
  }
  EXPECT_EQ(outcomes[0].health, ProviderHealth::ok) << "the queued one says nothing about the relay";
  EXPECT_FALSE(outcomes[0].answered);
  EXPECT_EQ(outcomes[1].health, ProviderHealth::timeout) << "the stalled one reports the stall";
  EXPECT_EQ(relay.record().connections, 1);
}

TEST_F(SmtpClientTest, CloseSaysQuitToIdleConnections) {
  FakeRelay relay(RelayScript{});
  auto client = make(plain_options(relay.port()));
  EXPECT_EQ(send(*client, test_mail()).result.outcome, SendOutcome::accepted);
  client->close();
  run_until([&] { return count(relay.record().commands, "QUIT") == 1; });
}

TEST_F(SmtpClientTest, TemporaryRcptFailureIsRetryable) {
  RelayScript script;
  script.replies["RCPT"] = "450 4.2.0 <hong@example.test>: Mailbox busy";
  FakeRelay relay(script);
  auto client = make(plain_options(relay.port()));
  auto out = send(*client, test_mail());
  EXPECT_EQ(out.result.outcome, SendOutcome::retryable);
  EXPECT_EQ(out.result.error_code, "4.2.0");
  EXPECT_EQ(out.health, ProviderHealth::ok);
  EXPECT_TRUE(out.answered);
  EXPECT_TRUE(relay.record().data.empty());
}

TEST_F(SmtpClientTest, UnknownMailboxIsPermanentWithTheEnhancedCode) {
  RelayScript script;
  script.replies["RCPT"] = "550 5.1.1 <hong@example.test>: Recipient address rejected: User unknown";
  FakeRelay relay(script);
  auto client = make(plain_options(relay.port()));
  auto out = send(*client, test_mail());
  EXPECT_EQ(out.result.outcome, SendOutcome::permanent);
  EXPECT_EQ(out.result.error_code, "5.1.1");
  EXPECT_NE(out.result.error_text.find("Recipient address rejected"), std::string::npos) << out.result.error_text;
  EXPECT_EQ(out.health, ProviderHealth::ok);
  // The connection stays usable: the next message goes over it after RSET.
  EXPECT_EQ(send(*client, test_mail()).result.outcome, SendOutcome::permanent);
  EXPECT_EQ(relay.record().connections, 1);
}

TEST_F(SmtpClientTest, RejectedDataIsPermanent) {
  RelayScript script;
  script.data_end_reply = "554 5.7.1 Message rejected as spam";
  FakeRelay relay(script);
  auto client = make(plain_options(relay.port()));
  auto out = send(*client, test_mail());
  EXPECT_EQ(out.result.outcome, SendOutcome::permanent);
  EXPECT_EQ(out.result.error_code, "5.7.1");
}

TEST_F(SmtpClientTest, Greeting421IsRetryableWithHealthFailure) {
  RelayScript script;
  script.greeting = "421 4.3.2 Service not available, closing transmission channel";
  FakeRelay relay(script);
  auto client = make(plain_options(relay.port()));
  auto out = send(*client, test_mail());
  EXPECT_EQ(out.result.outcome, SendOutcome::retryable);
  EXPECT_EQ(out.health, ProviderHealth::failure);
  EXPECT_EQ(out.result.error_code, "4.3.2");
}

TEST_F(SmtpClientTest, RefusedConnectionIsRetryableWithHealthFailure) {
  std::uint16_t port;
  {
    FakeRelay gone(RelayScript{});
    port = gone.port();
  }
  auto client = make(plain_options(port));
  auto out = send(*client, test_mail());
  EXPECT_EQ(out.result.outcome, SendOutcome::retryable);
  EXPECT_EQ(out.health, ProviderHealth::failure);
  EXPECT_EQ(out.result.error_code, "smtp_connect_failed");
  EXPECT_FALSE(out.answered);
}

TEST_F(SmtpClientTest, NoReplyToTheEndOfDataIsAmbiguousAfterTheDeadline) {
  RelayScript script;
  script.stall_at = ".";
  FakeRelay relay(script);
  auto client = make(plain_options(relay.port()));
  auto out = send(*client, test_mail(), 400);
  EXPECT_EQ(out.result.outcome, SendOutcome::ambiguous);
  EXPECT_EQ(out.health, ProviderHealth::timeout);
  EXPECT_GE(out.elapsed_ms, 380);
  EXPECT_LT(out.elapsed_ms, 2000);
  EXPECT_EQ(relay.record().data.size(), 1u);
}

TEST_F(SmtpClientTest, StallBeforeDataIsRetryableTimeout) {
  RelayScript script;
  script.stall_at = "DATA";
  FakeRelay relay(script);
  auto client = make(plain_options(relay.port()));
  auto out = send(*client, test_mail(), 400);
  EXPECT_EQ(out.result.outcome, SendOutcome::retryable);
  EXPECT_EQ(out.health, ProviderHealth::timeout);
  EXPECT_EQ(out.result.error_code, "smtp_timeout");
}

TEST_F(SmtpClientTest, StarttlsRequiredButNotOfferedSendsNoCredentials) {
  FakeRelay relay(RelayScript{});
  auto options = plain_options(relay.port());
  options.tls = SmtpTlsMode::starttls;
  auto client = make(options);
  auto out = send(*client, test_mail());
  EXPECT_EQ(out.result.outcome, SendOutcome::retryable);
  EXPECT_EQ(out.health, ProviderHealth::failure);
  EXPECT_EQ(out.result.error_code, "smtp_starttls_unavailable");
  auto record = relay.record();
  EXPECT_EQ(count(record.commands, "AUTH"), 0u);
  EXPECT_EQ(count(record.commands, "MAIL"), 0u);
}

class SmtpClientTlsTest : public SmtpClientTest {
 protected:
  static void SetUpTestSuite() {
    server_cert = new TestCertificate(make_certificate("localhost"));
    other_cert = new TestCertificate(make_certificate("some other CA"));
    server_ca_file = new std::string(write_temp_file("server-ca.pem", server_cert->cert_pem));
    other_ca_file = new std::string(write_temp_file("other-ca.pem", other_cert->cert_pem));
  }
  static void TearDownTestSuite() {
    std::filesystem::remove(*server_ca_file);
    std::filesystem::remove(*other_ca_file);
    delete server_cert;
    delete other_cert;
    delete server_ca_file;
    delete other_ca_file;
  }
  static RelayScript starttls_script() {
    RelayScript s;
    s.offer_starttls = true;
    return s;
  }
  SmtpClientOptions tls_options(std::uint16_t port) {
    auto o = plain_options(port);
    o.tls = SmtpTlsMode::starttls;
    return o;
  }
  static inline TestCertificate* server_cert = nullptr;
  static inline TestCertificate* other_cert = nullptr;
  static inline std::string* server_ca_file = nullptr;
  static inline std::string* other_ca_file = nullptr;
};

TEST_F(SmtpClientTlsTest, StarttlsWithVerificationOff) {
  FakeRelay relay(starttls_script(), *server_cert);
  auto options = tls_options(relay.port());
  options.verify_tls = false;
  auto client = make(options);
  auto out = send(*client, test_mail());
  EXPECT_EQ(out.result.outcome, SendOutcome::accepted) << out.error;
  auto record = relay.record();
  EXPECT_TRUE(record.tls_before_auth);
  // EHLO again after STARTTLS; everything from AUTH on went over TLS.
  ASSERT_GE(record.commands_after_tls.size(), 2u);
  EXPECT_EQ(record.commands_after_tls[0], "EHLO client.jarip.test");
  EXPECT_EQ(record.commands_after_tls[1].rfind("AUTH PLAIN ", 0), 0u);
}

TEST_F(SmtpClientTlsTest, StarttlsVerifiedAgainstItsCa) {
  FakeRelay relay(starttls_script(), *server_cert);
  auto options = tls_options(relay.port());
  options.host = "localhost";  // SNI and the DNS name in the certificate
  options.ca_file = *server_ca_file;
  auto client = make(options);
  auto out = send(*client, test_mail());
  EXPECT_EQ(out.result.outcome, SendOutcome::accepted) << out.error;
}

TEST_F(SmtpClientTlsTest, StarttlsWithTheWrongCaFailsBeforeCredentials) {
  FakeRelay relay(starttls_script(), *server_cert);
  auto options = tls_options(relay.port());
  options.ca_file = *other_ca_file;
  auto client = make(options);
  auto out = send(*client, test_mail());
  EXPECT_EQ(out.result.outcome, SendOutcome::retryable);
  EXPECT_EQ(out.health, ProviderHealth::failure);
  EXPECT_EQ(out.result.error_code, "smtp_tls_failed");
  EXPECT_NE(out.error.find("certificate"), std::string::npos) << out.error;
  EXPECT_EQ(count(relay.record().commands, "AUTH"), 0u);
}

TEST_F(SmtpClientTlsTest, ImplicitTls) {
  RelayScript script;
  script.implicit_tls = true;
  FakeRelay relay(script, *server_cert);
  auto options = plain_options(relay.port());
  options.tls = SmtpTlsMode::implicit;
  options.ca_file = *server_ca_file;
  auto client = make(options);
  auto out = send(*client, test_mail());
  EXPECT_EQ(out.result.outcome, SendOutcome::accepted) << out.error;
  EXPECT_TRUE(relay.record().tls_before_auth);
}

TEST_F(SmtpClientTlsTest, MissingCaFileIsAConfigError) {
  auto options = tls_options(25);
  options.ca_file = "/nonexistent/ca.pem";
  auto client = SmtpClient::create(io.get_executor(), options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().code, "config_invalid");
  EXPECT_EQ(client.error().field, "ca_file");
}

TEST_F(SmtpClientTest, DotStuffingIsVisibleOnTheWire) {
  FakeRelay relay(RelayScript{});
  auto client = make(plain_options(relay.port()));
  auto out = send(*client, test_mail(".hidden\r\n..two\r\nbare\n.\nend"));
  EXPECT_EQ(out.result.outcome, SendOutcome::accepted) << out.error;
  auto record = relay.record();
  ASSERT_EQ(record.data.size(), 1u);
  const std::string& wire = record.data[0];
  EXPECT_NE(wire.find("\r\n..hidden\r\n...two\r\nbare\r\n..\r\nend\r\n"), std::string::npos) << wire;
}

TEST_F(SmtpClientTest, OverlongReplyLineIsAnErrorNotACrash) {
  RelayScript script;
  script.greeting = "220 " + std::string(5000, 'x');
  FakeRelay relay(script);
  auto client = make(plain_options(relay.port()));
  auto out = send(*client, test_mail());
  EXPECT_EQ(out.result.outcome, SendOutcome::retryable);
  EXPECT_EQ(out.result.error_code, "smtp_bad_reply");
  EXPECT_EQ(out.health, ProviderHealth::failure);
}

TEST_F(SmtpClientTest, Smtputf8NeededButNotOfferedIsPermanent) {
  FakeRelay relay(RelayScript{});
  auto client = make(plain_options(relay.port()));
  auto mail = test_mail();
  mail.envelope_to = "hong@예시.한국";
  mail.smtputf8 = true;
  auto out = send(*client, mail);
  EXPECT_EQ(out.result.outcome, SendOutcome::permanent);
  EXPECT_EQ(out.result.error_code, "smtp_smtputf8_unsupported");
  EXPECT_EQ(count(relay.record().commands, "MAIL"), 0u);
}

TEST_F(SmtpClientTest, InvalidHeloIsAConfigError) {
  auto options = plain_options(25);
  options.helo = "bad name\r\nRCPT TO:<x@y.z>";
  auto client = SmtpClient::create(io.get_executor(), options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().field, "helo");
}

TEST(SmtpQueueId, FromCommonRelays) {
  auto reply = [](std::string text) {
    SmtpReply r;
    r.code = 250;
    r.lines = {std::move(text)};
    return r;
  };
  EXPECT_EQ(smtp_queue_id(reply("Ok: queued as 4XkLmN0abc")), "4XkLmN0abc");
  EXPECT_EQ(smtp_queue_id(reply("OK id=1rAbCd-000123-Xy")), "1rAbCd-000123-Xy");
  EXPECT_EQ(smtp_queue_id(reply("x9GKp3o1028391 Message accepted for delivery")), "x9GKp3o1028391");
  EXPECT_EQ(smtp_queue_id(reply("OK  1700000000 d9443c01a7336-1cc3a0b4b2fsm123pjb.12 - gsmtp")),
            "d9443c01a7336-1cc3a0b4b2fsm123pjb.12");
  EXPECT_EQ(smtp_queue_id(reply("Ok")), "");
}

// ---- The provider: settings, composition, transport ---------------------------------------------

ProviderSettings relay_settings() {
  ProviderSettings s;
  s.name = "relay1";
  s.type = "smtp";
  s.values = {{"host", "smtp.example.com"}, {"from", "news@shop.example.com"}, {"from_name", "자립 쇼핑"},
              {"username", "jarip"}, {"password", "s3cret pass"}};
  return s;
}

Error settings_error(ProviderSettings s) {
  auto c = parse_email_settings(s);
  EXPECT_FALSE(c.ok());
  return c.ok() ? Error{} : c.error();
}

TEST(SmtpProviderSettings, DefaultsAndErrorsNameTheField) {
  auto c = parse_email_settings(relay_settings());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->smtp.port, 587);
  EXPECT_EQ(c->smtp.tls, SmtpTlsMode::starttls);
  EXPECT_EQ(c->smtp.pool_size, 4u);
  EXPECT_FALSE(c->dkim_key.has_value());

  auto s = relay_settings();
  s.values.erase("from");
  EXPECT_EQ(settings_error(s).code, "config_missing");
  EXPECT_EQ(settings_error(s).field, "providers.relay1.from");

  s = relay_settings();
  s.values["tls"] = "none";
  EXPECT_EQ(settings_error(s).field, "providers.relay1.tls");
  s.values["host"] = "127.0.0.1";
  EXPECT_TRUE(parse_email_settings(s).ok());
  EXPECT_EQ(parse_email_settings(s)->smtp.port, 25);

  s = relay_settings();
  s.values["tls"] = "implicit";
  EXPECT_EQ(parse_email_settings(s)->smtp.port, 465);

  s = relay_settings();
  s.values.erase("password");
  EXPECT_EQ(settings_error(s).code, "config_missing");
  EXPECT_EQ(settings_error(s).field, "providers.relay1.password");

  s = relay_settings();
  s.values["pool_size"] = "0";
  EXPECT_EQ(settings_error(s).field, "providers.relay1.pool_size");

  s = relay_settings();
  s.values["from"] = "not an address";
  EXPECT_EQ(settings_error(s).code, "config_invalid");

  s = relay_settings();
  s.values["dkim_selector"] = "jarip2024";
  EXPECT_EQ(settings_error(s).field, "providers.relay1.dkim_key_file");

  s = relay_settings();
  s.values["dkim_key"] = "not a key";
  s.values["dkim_selector"] = "jarip2024";
  EXPECT_EQ(settings_error(s).field, "providers.relay1.dkim_key_file");

  auto adapter = make_adapter(relay_settings());
  ASSERT_TRUE(adapter.ok()) << adapter.error().message;
  EXPECT_TRUE((*adapter)->supports(SendKind::email));
  EXPECT_FALSE((*adapter)->supports(SendKind::sms));
  EXPECT_FALSE((*adapter)->reports_delivery(SendKind::email));
}

TEST(SmtpProviderSettings, LoopbackHosts) {
  for (const char* host : {"localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "LOCALHOST"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  for (const char* host : {"smtp.example.com", "10.0.0.1", "128.0.0.1", "::2", "localhost.example.com"}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
}

OutboundMessage ad_message() {
  OutboundMessage m;
  m.kind = SendKind::email;
  m.message_id = "msg_018e0f1a2b3c4d5e6f708192";
  m.email = "hong@example.co.kr";
  m.subject = "(광고) 봄맞이 특가 안내";
  m.text = "홍길동 고객님, 봄맞이 특가입니다.";
  m.html = "<html><body><p>홍길동 고객님</p></body></html>";
  m.locale = "ko";
  m.advertisement = true;
  m.unsubscribe_url = "https://shop.example.com/u/abc?x=1&y=2";
  return m;
}

std::string fixed_random(std::size_t n) { return std::string(n, '\x5a'); }

std::string decode_part(const std::string& bytes, std::string_view content_type) {
  // The part's base64 body after its Content-Type: enough for the checks below.
  auto at = bytes.find(std::string("Content-Type: ") + std::string(content_type));
  if (at == std::string::npos) return {};
  auto start = bytes.find("\r\n\r\n", at);
  auto end = bytes.find("\r\n--", start);
  std::string b64;
  for (char ch : bytes.substr(start + 4, end - start - 4)) {
    if (ch != '\r' && ch != '\n') b64 += ch;
  }
  return crypto::base64_decode(b64).value_or("(not base64)");
}

TEST(SmtpCompose, AdWithoutDkimHasListUnsubscribeButNoPost) {
  auto config = parse_email_settings(relay_settings());
  ASSERT_TRUE(config.ok());
  auto built = compose_email(*config, ad_message(), 1'700'000'000'000, fixed_random);
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_NE(built->bytes.find("List-Unsubscribe: <https://shop.example.com/u/abc?x=1&y=2>\r\n"), std::string::npos);
  EXPECT_EQ(built->bytes.find("List-Unsubscribe-Post"), std::string::npos);
  EXPECT_EQ(built->bytes.find("DKIM-Signature"), std::string::npos);
  EXPECT_EQ(built->envelope_to, "hong@example.co.kr");
  EXPECT_NE(built->bytes.find("Message-ID: <msg_018e0f1a2b3c4d5e6f708192@shop.example.com>"), std::string::npos);
  std::string text = decode_part(built->bytes, "text/plain");
  EXPECT_NE(text.find("수신을 원하지 않으시면 아래 링크에서 수신거부하실 수 있습니다: https://shop.example.com/u/abc?x=1&y=2"),
            std::string::npos)
      << text;
  std::string html = decode_part(built->bytes, "text/html");
  EXPECT_NE(html.find("<a href=\"https://shop.example.com/u/abc?x=1&amp;y=2\">"), std::string::npos) << html;
  EXPECT_LT(html.find("<a href"), html.find("</body>")) << "the footer goes inside the body";
}

TEST(SmtpCompose, EnglishFooterAndSignedOneClickWithDkim) {
  auto key = generate_dkim_key(DkimAlgorithm::ed25519_sha256);
  ASSERT_TRUE(key.ok());
  auto settings = relay_settings();
  settings.values["dkim_key"] = key->private_key;
  settings.values["dkim_selector"] = "jarip2024";
  auto config = parse_email_settings(settings);
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_TRUE(config->dkim_key.has_value());
  EXPECT_EQ(config->dkim.domain, "shop.example.com");
  auto message = ad_message();
  message.locale = "en";
  message.html.clear();
  auto built = compose_email(*config, message, 1'700'000'000'000, fixed_random);
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(built->bytes.rfind("DKIM-Signature: ", 0), 0u);
  EXPECT_NE(built->bytes.find("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"), std::string::npos);
  EXPECT_TRUE(dkim_verify(built->bytes, key->dns_record, "jarip2024").ok());
  std::string text = decode_part(built->bytes, "text/plain");
  EXPECT_NE(text.find("To stop receiving these emails, unsubscribe here: https://shop.example.com/u/abc?x=1&y=2"),
            std::string::npos)
      << text;
  EXPECT_EQ(built->bytes.find("text/html"), std::string::npos);

  settings.values["dkim"] = "off";
  auto unsigned_config = parse_email_settings(settings);
  ASSERT_TRUE(unsigned_config.ok());
  EXPECT_FALSE(unsigned_config->dkim_key.has_value());
}

TEST(SmtpCompose, HttpUnsubscribeLinkHasNoOneClick) {
  auto key = generate_dkim_key(DkimAlgorithm::ed25519_sha256);
  ASSERT_TRUE(key.ok());
  auto settings = relay_settings();
  settings.values["dkim_key"] = key->private_key;
  settings.values["dkim_selector"] = "jarip2024";
  auto config = parse_email_settings(settings);
  ASSERT_TRUE(config.ok());
  auto message = ad_message();
  message.unsubscribe_url = "http://127.0.0.1:8080/u/abc";
  auto built = compose_email(*config, message, 1'700'000'000'000, fixed_random);
  ASSERT_TRUE(built.ok()) << built.error().message;
  // (The signature's h= names both headers anyway: oversigning signs their absence.)
  EXPECT_NE(built->bytes.find("\r\nList-Unsubscribe: <http://127.0.0.1:8080/u/abc>\r\n"), std::string::npos);
  EXPECT_EQ(built->bytes.find("\r\nList-Unsubscribe-Post:"), std::string::npos);
  message.unsubscribe_url = "ftp://example.com/u";
  built = compose_email(*config, message, 1'700'000'000'000, fixed_random);
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(built->bytes.find("\r\nList-Unsubscribe:"), std::string::npos) << "neither https nor http: footer only";
  message.unsubscribe_url = "http://127.0.0.1:8080/u/abc";
  built = compose_email(*config, message, 1'700'000'000'000, fixed_random);
  EXPECT_NE(decode_part(built->bytes, "text/plain").find("수신거부하실 수 있습니다: http://127.0.0.1:8080/u/abc"),
            std::string::npos);
}

TEST(SmtpCompose, HeaderInjectionIsAnError) {
  auto config = parse_email_settings(relay_settings());
  ASSERT_TRUE(config.ok());
  auto message = ad_message();
  message.subject = "hi\r\nBcc: victim@example.com";
  auto built = compose_email(*config, message, 1'700'000'000'000, fixed_random);
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.error().code, "header_injection");
}

class SmtpTransportTest : public SmtpClientTest {};

TEST_F(SmtpTransportTest, RegisteredAsSmtpAndSendsSignedMessages) {
  FakeRelay relay(RelayScript{});
  auto key = generate_dkim_key(DkimAlgorithm::ed25519_sha256);
  ASSERT_TRUE(key.ok());
  auto settings = relay_settings();
  settings.values["host"] = "127.0.0.1";
  settings.values["port"] = std::to_string(relay.port());
  settings.values["tls"] = "none";
  settings.values["dkim_key"] = key->private_key;
  settings.values["dkim_selector"] = "jarip2024";
  TransportEnv env;
  env.executor = io.get_executor();
  auto transport = make_transport(settings, env);
  ASSERT_TRUE(transport.ok()) << transport.error().message;
  ASSERT_TRUE(*transport);

  auto bad = ad_message();
  bad.subject = "x\ny";
  std::optional<TransportResult> result;
  (*transport)->send(SendKind::email, {ad_message(), bad}, 3000, [&](TransportResult r) { result = std::move(r); });
  run_until([&] { return result.has_value(); });
  ASSERT_EQ(result->results.size(), 2u);
  EXPECT_EQ(result->results[0].outcome, SendOutcome::accepted) << result->error;
  EXPECT_EQ(result->results[0].provider_message_id, "4XkLmN0abc");
  EXPECT_EQ(result->results[1].outcome, SendOutcome::permanent);
  EXPECT_EQ(result->results[1].error_code, "header_injection");
  EXPECT_EQ(result->health, ProviderHealth::ok);
  EXPECT_TRUE(result->answered);
  auto record = relay.record();
  ASSERT_EQ(record.data.size(), 1u);
  EXPECT_TRUE(dkim_verify(record.data[0], key->dns_record, "jarip2024").ok());
  (*transport)->close();

  settings.values["helo"] = "bad helo";
  auto refused = make_transport(settings, env);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().field, "providers.relay1.helo");
}

}  // namespace
}  // namespace jarip::channels::email
