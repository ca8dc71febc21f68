#include "channels/inbox/inbox.hpp"

#include <boost/asio/post.hpp>


namespace jarip::channels::inbox {

namespace {

class InboxTransport final : public Transport {
 public:
  explicit InboxTransport(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  void send(SendKind, std::vector<OutboundMessage> batch, int, std::function<void(TransportResult)> done) override {
    TransportResult result;
    result.answered = true;
    for (auto& m : batch) {
      // A message addressed by phone or email has no page to show it on.
      if (m.customer_id.empty()) {
        result.results.push_back(SendResult{SendOutcome::next_channel, "", "no_inbox",
                                            "the inbox needs a message addressed by customer_id"});
      } else {
        result.results.push_back(SendResult{SendOutcome::accepted, "inbox:" + m.message_id, "", ""});
      }
    }
    // Completion is always asynchronous, as for every other transport.
    boost::asio::post(executor_, [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
  }

 private:
  boost::asio::any_io_executor executor_;
};

}  // namespace

Result<std::shared_ptr<Transport>> make_inbox_transport(const ProviderSettings&, const TransportEnv& env) {
  return std::shared_ptr<Transport>(std::make_shared<InboxTransport>(env.executor));
}

}  // namespace jarip::channels::inbox
