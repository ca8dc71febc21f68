#include "notify/reconfirm_job.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/log.hpp"
#include "customers/reconfirm.hpp"
#include "notify/consent_ops.hpp"
#include "notify/recipients.hpp"

namespace jarip::notify {

namespace asio = boost::asio;

Result<std::vector<std::string>> customers_due_for_reconfirmation(store::StoreSession& s, TimeMs now) {
  std::vector<std::string> due;
  std::string after;
  for (;;) {
    auto page = s.list_customers(after, "", 1000);
    if (!page) return page.error();
    for (const auto& row : *page) {
      auto customer = customer_from_record(row);
      if (customer && customers::reconfirm_due(*customer, now)) due.push_back(row.id);
    }
    if (page->size() < 1000) return due;
    after = page->back().id;
  }
}

Result<int> send_due_reconfirmations(store::StoreSession& s, const ConsentNotices& notices,
                                     const ReconfirmOptions& options, const std::vector<std::string>& customer_ids,
                                     TimeMs now) {
  int stored = 0;
  for (const auto& id : customer_ids) {
    auto customer = load_customer(s, id);
    if (!customer) return customer.error();
    if (!*customer) continue;  // erased meanwhile
    auto consent_at = customers::reconfirm_due(**customer, now);
    if (!consent_at) continue;  // answered or changed meanwhile
    auto sent = s.reconfirm_notice_sent(id, *consent_at);
    if (!sent) return sent.error();
    if (*sent) continue;
    std::string text = customers::reconfirm_notice_text(notices.sender_name, *consent_at,
                                                        options.answer_link ? options.answer_link(id) : "",
                                                        (*customer)->locale);
    auto message_id = store_customer_notice(s, notices, id, text, now);
    if (!message_id) return message_id.error();
    // Recorded even when no channel reached the customer (empty id): asking again each pass would
    // not reach them either, and the consent lapses on its own.
    if (auto st = s.record_reconfirm_notice(id, *consent_at, *message_id, now); !st) return st.error();
    if (!message_id->empty()) ++stored;
  }
  return stored;
}

struct ReconfirmJob::Impl : std::enable_shared_from_this<Impl> {
  asio::io_context& io;
  store::Store& store;
  const Clock& clock;
  std::shared_ptr<const ConsentNotices> notices;
  ReconfirmOptions options;
  std::atomic<std::uint64_t>& m_sent;
  asio::steady_timer timer;
  bool stopped = false;

  Impl(asio::io_context& i, store::Store& s, const Clock& c, std::shared_ptr<const ConsentNotices> n,
       ReconfirmOptions o, MetricsRegistry& metrics)
      : io(i), store(s), clock(c), notices(std::move(n)), options(std::move(o)),
        m_sent(metrics.counter("jarip_reconfirm_notices_total")), timer(i) {}

  void arm(TimeMs delay) {
    if (stopped) return;
    timer.expires_after(std::chrono::milliseconds(delay));
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->pass();
    });
  }

  void pass() {
    TimeMs now = clock.now_ms();
    store.read([self = shared_from_this(), now](store::StoreSession& s) {
      auto due = customers_due_for_reconfirmation(s, now);
      if (!due) {
        log::warn("re-confirmation scan failed", {{"error", due.error().message}});
        asio::post(self->io, [self] { self->arm(self->options.interval_ms); });
        return;
      }
      if (due->empty()) {
        asio::post(self->io, [self] { self->arm(self->options.interval_ms); });
        return;
      }
      auto count = std::make_shared<int>(0);
      auto ids = std::make_shared<std::vector<std::string>>(std::move(*due));
      self->store.write(
          [self, ids, count, now](store::StoreSession& ws) -> Status {
            auto sent = send_due_reconfirmations(ws, *self->notices, self->options, *ids, now);
            if (!sent) return sent.error();
            *count = *sent;
            return {};
          },
          [self, count](Status st) {
            if (!st) {
              log::warn("storing re-confirmation notices failed", {{"error", st.error().message}});
            } else if (*count > 0) {
              self->m_sent += static_cast<std::uint64_t>(*count);
              log::info("re-confirmation notices stored", {{"count", std::to_string(*count)}});
              if (self->notices->wake) self->notices->wake();
            }
            asio::post(self->io, [self] { self->arm(self->options.interval_ms); });
          });
    });
  }
};

ReconfirmJob::ReconfirmJob(asio::io_context& io, store::Store& store, const Clock& clock,
                           std::shared_ptr<const ConsentNotices> notices, ReconfirmOptions options, MetricsRegistry& metrics)
    : impl_(std::make_shared<Impl>(io, store, clock, std::move(notices), std::move(options), metrics)) {}

ReconfirmJob::~ReconfirmJob() { stop(); }

void ReconfirmJob::start() {
  if (!impl_->options.enabled) return;
  asio::post(impl_->io, [impl = impl_] { impl->arm(impl->options.first_delay_ms); });
}

void ReconfirmJob::stop() {
  asio::post(impl_->io, [impl = impl_] {
    impl->stopped = true;
    impl->timer.cancel();
  });
}

}  // namespace jarip::notify
