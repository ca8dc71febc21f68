// POST /console/api/send: one notice to a list of customers or phone numbers, or to every customer
// whose consent allows it. The messages go through the API's own batch endpoint (as the operator,
// key id "console:OPERATOR_ID"), so that they are checked, rendered, stored and sent exactly like
// the merchant's own: the console has no second way into the outbox.
#include <boost/json.hpp>

#include "console/console_impl.hpp"
#include "customers/directory.hpp"
#include "notify/api.hpp"
#include "notify/recipients.hpp"

namespace jarip::console {

namespace {

constexpr std::size_t kMaxListed = 1000;       // customers or phones named in one request
constexpr std::size_t kMaxAudience = 100'000;  // all consented customers, at most
constexpr std::size_t kBatch = 1000;           // the API's batch limit
constexpr std::size_t kIdsShown = 1000;

// Whether a customer may receive a message of this kind on some channel (ads need consent).
bool reachable(const customers::Customer& c, const std::string& kind, TimeMs now) {
  if (c.phones.empty() && c.emails.empty()) return false;
  if (kind != "ad") return true;
  for (const char* channel : {"alimtalk", "sms", "email", "push"}) {
    if (customers::ad_permission(c, channel, now).allowed) return true;
  }
  return false;
}

struct SendJob {
  std::string key_id;
  json::object message;
  std::vector<json::object> recipients;
  std::string idempotency_key;
  std::size_t next = 0;
  std::int64_t accepted = 0;
  json::array ids;
  json::array skipped;
  http::Responder respond;
};

void run_batches(notify::Api& api, std::shared_ptr<SendJob> job) {
  if (job->next >= job->recipients.size()) {
    return job->respond(http::Response::json(
        202, json::serialize(json::object{{"accepted", job->accepted},
                                          {"message_ids", job->ids},
                                          {"skipped", job->skipped},
                                          {"recipients", job->recipients.size()}})));
  }
  std::size_t start = job->next;
  std::size_t end = std::min(job->recipients.size(), start + kBatch);
  json::array messages;
  for (std::size_t i = start; i < end; ++i) {
    json::object m = job->message;
    m["recipient"] = job->recipients[i];
    messages.push_back(std::move(m));
  }
  http::Request inner;
  inner.method = "POST";
  inner.path = inner.target = "/v1/messages/batch";
  inner.body = json::serialize(json::object{{"messages", std::move(messages)}});
  inner.headers.push_back({"Content-Type", "application/json"});
  // A repeated click (same key from the page) accepts nothing twice: one key per batch.
  if (!job->idempotency_key.empty()) {
    inner.headers.push_back({"Idempotency-Key", job->idempotency_key + ":" + std::to_string(start / kBatch)});
  }
  job->next = end;
  api.handle_trusted(job->key_id, std::move(inner), [&api, job, start](http::Response r) {
    boost::system::error_code ec;
    json::value doc = json::parse(r.body, ec);
    if (r.status >= 300 && (ec || !doc.is_object() || !doc.as_object().contains("results"))) {
      // The whole batch was refused (a bad template, the store unavailable): say so, with what was
      // accepted before it.
      if (job->accepted == 0) return job->respond(std::move(r));
      job->skipped.push_back(json::object{{"from", start}, {"reason", r.body}});
      return run_batches(api, job);
    }
    if (!ec && doc.is_object()) {
      if (auto* results = doc.as_object().if_contains("results"); results && results->is_array()) {
        for (auto& item : results->as_array()) {
          auto& o = item.as_object();
          if (o.contains("id") && o.at("status") == "accepted") {
            job->accepted++;
            if (job->ids.size() < kIdsShown) job->ids.push_back(o.at("id"));
          } else {
            std::size_t index = start + static_cast<std::size_t>(o.at("index").to_number<std::int64_t>());
            json::object why{{"recipient", job->recipients[index]}};
            if (auto* e = o.if_contains("error")) why["error"] = *e;
            job->skipped.push_back(std::move(why));
          }
        }
      } else if (doc.as_object().contains("id")) {
        job->accepted++;
        job->ids.push_back(doc.at("id"));
      }
    }
    run_batches(api, job);
  });
}

}  // namespace

void Console::Impl::send(const Caller& caller, const json::object& body, const std::string& idempotency_key,
                         const http::Responder& respond, TimeMs now) {
  auto* audience = body.if_contains("audience");
  if (!audience || !audience->is_object() || audience->as_object().size() != 1) {
    return fail(respond, make_error("invalid_request",
                                    "audience is one of {\"customers\":[…]}, {\"phones\":[…]} or {\"all_consented\":true}",
                                    "audience"));
  }
  auto job = std::make_shared<SendJob>();
  job->key_id = caller.key_id();
  job->message = body;
  job->message.erase("audience");
  job->message.erase("recipient");
  job->idempotency_key = idempotency_key;
  job->respond = respond;
  std::string kind = job->message.contains("kind") && job->message.at("kind").is_string()
                         ? std::string(job->message.at("kind").as_string())
                         : "info";
  auto& a = audience->as_object();
  json::object detail{{"kind", kind}};
  if (auto* list = a.if_contains("customers"); list || a.contains("phones")) {
    bool phones = !list;
    const json::value& names = phones ? a.at("phones") : *list;
    const char* field = phones ? "audience.phones" : "audience.customers";
    if (!names.is_array() || names.as_array().empty() || names.as_array().size() > kMaxListed) {
      return fail(respond, make_error("invalid_request", "name 1 to 1,000 recipients", field));
    }
    for (auto& v : names.as_array()) {
      if (!v.is_string() || v.as_string().empty()) return fail(respond, make_error("invalid_request", "recipients are text", field));
      job->recipients.push_back(phones ? json::object{{"phone", v}} : json::object{{"customer_id", v}});
    }
    detail["audience"] = phones ? "phones" : "customers";
  } else if (auto* all = a.if_contains("all_consented"); all && all->is_bool() && all->as_bool()) {
    detail["audience"] = "all_consented";
  } else {
    return fail(respond, make_error("invalid_request", "audience is customers, phones or all_consented", "audience"));
  }
  detail["recipients"] = job->recipients.size();
  auto self = shared_from_this();
  bool everyone = job->recipients.empty();
  // The audience is read (for all_consented) and the send recorded in the audit log before any
  // message is accepted.
  deps.store.read([self, job, caller, kind, everyone, detail, now](store::StoreSession& s) mutable {
    if (everyone) {
      std::string after;
      while (job->recipients.size() < kMaxAudience) {
        auto page = s.list_customers(after, "", 1000);
        if (!page) return fail(job->respond, page.error());
        if (page->empty()) break;
        for (auto& row : *page) {
          auto customer = notify::customer_from_record(row);
          if (customer && reachable(*customer, kind, now)) {
            job->recipients.push_back(json::object{{"customer_id", row.id}});
          }
        }
        after = page->back().id;
      }
      if (job->recipients.empty()) {
        return fail(job->respond, make_error("invalid_request", "no customer can receive this message", "audience"));
      }
      detail["recipients"] = job->recipients.size();
    }
    self->deps.store.write(
        [caller, detail, now](store::StoreSession& w) { return audit(w, caller, "send", "", detail, now); },
        [self, job](Status st) {
          if (!st) return fail(job->respond, st.error());
          run_batches(self->deps.api, job);
        });
  });
}

}  // namespace jarip::console
