// The email provider's transport: each message composed and signed (compose_email), then submitted
// to the relay through the provider's SmtpClient (its connection pool).
#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>

#include "channels/email/address.hpp"
#include "channels/email/email_provider.hpp"
#include "common/crypto.hpp"
#include "common/log.hpp"

namespace jarip::channels::email {

namespace {

// One batch's results, filled as its messages complete (possibly on several threads of the
// executor); `done` runs once, when the last one is in.
struct BatchJoin {
  std::mutex mutex;
  TransportResult result;
  std::size_t pending = 0;
  std::function<void(TransportResult)> done;

  void complete(std::size_t index, SendResult send, ProviderHealth health, bool answered, int elapsed_ms,
                const std::string& error) {
    std::function<void(TransportResult)> finish;
    TransportResult out;
    {
      std::lock_guard lock(mutex);
      result.results[index] = std::move(send);
      // The worst of the messages' answers speaks for the relay: a failure over a timeout over ok.
      if (health == ProviderHealth::failure ||
          (health == ProviderHealth::timeout && result.health == ProviderHealth::ok)) {
        result.health = health;
      }
      result.answered = result.answered || answered;
      result.elapsed_ms = std::max(result.elapsed_ms, elapsed_ms);
      if (!error.empty()) result.error += (result.error.empty() ? "" : "; ") + error;
      if (--pending > 0) return;
      finish = std::move(done);
      out = std::move(result);
    }
    finish(std::move(out));
  }
};

class SmtpTransport final : public Transport {
 public:
  SmtpTransport(EmailProviderConfig config, std::unique_ptr<SmtpClient> client, boost::asio::any_io_executor executor)
      : config_(std::move(config)), client_(std::move(client)), executor_(std::move(executor)) {}

  void send(SendKind kind, std::vector<OutboundMessage> batch, int timeout_ms,
            std::function<void(TransportResult)> done) override {
    auto join = std::make_shared<BatchJoin>();
    join->result.results.resize(batch.size());
    join->pending = batch.size();
    join->done = std::move(done);
    if (batch.empty()) {
      boost::asio::post(executor_, [join] { join->done(std::move(join->result)); });
      return;
    }
    const TimeMs now = clock_.now_ms();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const OutboundMessage& message = batch[i];
      if (kind != SendKind::email) {
        fail_now(join, i, SendResult{SendOutcome::permanent, "", "unsupported_kind",
                                     "provider '" + config_.name + "' sends email only"});
        continue;
      }
      if (!message.unsubscribe_url.empty() && !list_unsubscribe_headers(message.unsubscribe_url).ok() &&
          !warned_unsubscribe_url_.exchange(true)) {
        log::warn("unsubscribe links are not https: emails offer them without one-click unsubscribe "
                  "(List-Unsubscribe-Post, RFC 8058); set public.url to the server's https address",
                  {{"provider", config_.name}});
      }
      auto built = compose_email(config_, message, now, crypto::random_bytes);
      if (!built) {
        // Nothing was sent: the message itself cannot be written (header injection, bad address).
        fail_now(join, i, SendResult{SendOutcome::permanent, "", built.error().code, built.error().message});
        continue;
      }
      SmtpMail mail;
      mail.envelope_from = built->envelope_from;
      mail.envelope_to = built->envelope_to;
      mail.smtputf8 = built->needs_smtputf8;
      mail.message = std::move(built->bytes);
      client_->send(std::move(mail), timeout_ms, [join, i](SmtpSendOutcome outcome) {
        join->complete(i, std::move(outcome.result), outcome.health, outcome.answered, outcome.elapsed_ms,
                       outcome.error);
      });
    }
  }

  void close() override { client_->close(); }

 private:
  // Completion stays asynchronous, as for a message that went to the relay.
  void fail_now(const std::shared_ptr<BatchJoin>& join, std::size_t index, SendResult result) {
    boost::asio::post(executor_, [join, index, result = std::move(result)]() mutable {
      join->complete(index, std::move(result), ProviderHealth::ok, false, 0, {});
    });
  }

  EmailProviderConfig config_;
  std::unique_ptr<SmtpClient> client_;
  boost::asio::any_io_executor executor_;
  SystemClock clock_;
  std::atomic<bool> warned_unsubscribe_url_{false};  // said once, not per message
};

// The From domain is aligned (DMARC, RFC 7489 §3.1.1, relaxed) when it is d= or below it.
bool aligned(std::string_view from_domain, std::string_view signing_domain) {
  if (from_domain == signing_domain) return true;
  return from_domain.size() > signing_domain.size() &&
         from_domain.substr(from_domain.size() - signing_domain.size()) == signing_domain &&
         from_domain[from_domain.size() - signing_domain.size() - 1] == '.';
}

}  // namespace

Result<std::shared_ptr<Transport>> make_smtp_transport(const ProviderSettings& settings, const TransportEnv& env) {
  auto config = parse_email_settings(settings);
  if (!config) return config.error();
  SmtpClientOptions options = config->smtp;
  options.verify_tls = env.verify_tls;
  auto client = SmtpClient::create(env.executor, options);
  if (!client) {
    Error e = client.error();
    e.message = "provider '" + settings.name + "': " + e.message;
    e.field = "providers." + settings.name + "." + e.field;
    return e;
  }

  const std::string& name = settings.name;
  if (!config->dkim_key) {
    log::warn("email provider does not sign with DKIM: ads carry List-Unsubscribe without List-Unsubscribe-Post "
              "(RFC 8058 one-click unsubscribe needs a DKIM signature covering both); set dkim_key_file and "
              "dkim_selector",
              {{"provider", name}});
  } else if (!aligned(domain_of(config->from.address), config->dkim.domain)) {
    log::warn("email provider signs for a domain the From address is not in: DMARC will not count the signature",
              {{"provider", name}, {"from_domain", domain_of(config->from.address)}, {"dkim_domain", config->dkim.domain}});
  }
  if (!env.verify_tls && config->smtp.tls != SmtpTlsMode::none) {
    log::warn("email provider does not verify the relay's TLS certificate", {{"provider", name}});
  }
  log::info("email provider ready",
            {{"provider", name},
             {"host", config->smtp.host},
             {"port", std::to_string(config->smtp.port)},
             {"tls", to_string(config->smtp.tls)},
             {"auth", config->smtp.username.empty() ? "none" : "yes"},
             {"dkim", config->dkim_key ? std::string(to_string(config->dkim_key->algorithm())) : std::string("off")}});
  auto transport = std::make_shared<SmtpTransport>(std::move(*config), std::move(*client), env.executor);
  return std::shared_ptr<Transport>(std::move(transport));
}

}  // namespace jarip::channels::email
