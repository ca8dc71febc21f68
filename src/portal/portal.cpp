// Routing and the store work of the customer's pages; the pages themselves are in portal_views.cpp.
#include "portal/portal.hpp"

#include <boost/json.hpp>

#include <charconv>

#include "customers/directory.hpp"
#include "notify/api.hpp"
#include "notify/recipients.hpp"
#include "portal/form_body.hpp"
#include "portal/pages.hpp"
#include "portal/portal_views.hpp"
#include "portal/short_links.hpp"
#include "text/kst.hpp"

namespace jarip::portal {

namespace json = boost::json;
using http::Request;
using http::Responder;
using http::Response;

struct Portal::Shared {
  LinkSigner signer;
  PortalOptions options;
  PortalLinks links;
  notify::ConsentChangeFunction change_consent;
};

namespace {

constexpr std::size_t kMaxReadIds = 100;
constexpr std::size_t kMaxMessageIdBytes = 64;

// Where an inbox page starts: strictly before (created_ms, id); created_ms = 0 for the newest.
struct Cursor {
  TimeMs created_ms = 0;
  std::string id;
};

// "" (newest), "<ms>" or "<ms>.<message id>", as InboxPage::next_before writes it.
std::optional<Cursor> parse_cursor(std::string_view text) {
  Cursor c;
  if (text.empty()) return c;
  std::size_t dot = text.find('.');
  std::string_view ms = text.substr(0, dot);
  if (ms.empty() || ms.size() > 15) return std::nullopt;
  auto [p, ec] = std::from_chars(ms.data(), ms.data() + ms.size(), c.created_ms);
  if (ec != std::errc() || p != ms.data() + ms.size() || c.created_ms <= 0) return std::nullopt;
  if (dot != std::string_view::npos) {
    std::string_view id = text.substr(dot + 1);
    if (id.empty() || id.size() > kMaxMessageIdBytes) return std::nullopt;
    for (char ch : id) {
      if (ch <= ' ' || ch > '~') return std::nullopt;
    }
    c.id = std::string(id);
  }
  return c;
}

std::optional<int> parse_limit(std::string_view text, int fallback) {
  if (text.empty()) return fallback;
  int v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 1 || v > 100) return std::nullopt;
  return v;
}

int status_for_store_error(const Error& e) {
  int status = notify::http_status_for(e.code);
  return status == 503 ? 503 : 500;
}

// What the consent history keeps as evidence of an answer: how and from where. Printable ASCII only.
std::string evidence_of(const Request& req, std::string_view how) {
  std::string out(how);
  out += " from " + (req.remote_address.empty() ? std::string("unknown address") : req.remote_address);
  std::string_view agent = req.header("User-Agent");
  if (!agent.empty()) {
    out += ", User-Agent: ";
    for (char c : agent.substr(0, 200)) out.push_back(c >= ' ' && c <= '~' ? c : '?');
  }
  return out;
}

Response method_not_allowed(std::string_view merchant, const char* allow) {
  Response r = error_page(405, merchant);
  r.headers.push_back({"Allow", allow});
  return r;
}

bool is_whole_url(const std::string& text) {
  auto spans = find_urls(text);
  return spans.size() == 1 && spans[0].begin == 0 && spans[0].size == text.size();
}

// The path after the route letter: "{token}" or "{token}/{rest}".
std::pair<std::string, std::string> split_token(std::string_view rest) {
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) return {std::string(rest), std::string()};
  return {std::string(rest.substr(0, slash)), "/" + std::string(rest.substr(slash + 1))};
}

}  // namespace

// ---- PortalLinks ----

PortalLinks::PortalLinks(LinkSigner signer, const PortalOptions& options)
    : signer_(std::move(signer)),
      base_(options.public_url),
      inbox_ttl_ms_(options.link_ttl_ms),
      unsubscribe_ttl_ms_(options.unsubscribe_link_ttl_ms),
      reconfirm_ttl_ms_(options.reconfirm_link_ttl_ms) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

std::string PortalLinks::inbox(const std::string& customer_id, TimeMs now) const {
  return base_ + "/i/" + signer_.make(kInboxPurpose, customer_id, now + inbox_ttl_ms_);
}

std::string PortalLinks::unsubscribe(const std::string& customer_id, const std::string& channel, TimeMs now) const {
  return base_ + "/u/" + signer_.make(kUnsubscribePurpose, customer_id + "|" + channel, now + unsubscribe_ttl_ms_);
}

std::string PortalLinks::unsubscribe_address(const std::string& address, TimeMs now) const {
  return base_ + "/u/" +
         signer_.make(kUnsubscribePurpose, std::string(kAddressSubjectPrefix) + address + "|email", now + unsubscribe_ttl_ms_);
}

std::string PortalLinks::reconfirm(const std::string& customer_id, TimeMs now) const {
  return base_ + "/c/" + signer_.make(kReconfirmPurpose, customer_id, now + reconfirm_ttl_ms_);
}

// ---- Portal ----

Portal::Portal(store::Store& store, const Clock& clock, LinkSigner signer, PortalOptions options,
               notify::ConsentChangeFunction change_consent)
    : store_(store), clock_(clock) {
  if (options.page_size < 1 || options.page_size > 100) options.page_size = 20;
  PortalLinks links(signer, options);
  shared_ = std::make_shared<const Shared>(
      Shared{std::move(signer), std::move(options), std::move(links), std::move(change_consent)});
}

Portal::~Portal() = default;

const PortalLinks& Portal::links() const { return shared_->links; }

bool Portal::handle(const Request& req, const Responder& respond) {
  std::string_view path = req.path;
  if (path.size() < 3 || path[0] != '/' || path[2] != '/') return false;
  const char route = path[1];
  if (route != 'i' && route != 'u' && route != 'c' && route != 's') return false;
  std::string_view rest = path.substr(3);
  const TimeMs now = clock_.now_ms();
  const std::string& merchant = shared_->options.merchant_name;
  if (route == 's') {
    serve_short_link(req, respond, rest, now);
    return true;
  }

  auto split = split_token(rest);
  const std::string token = std::move(split.first), sub = std::move(split.second);
  std::string_view purpose = route == 'i' ? kInboxPurpose : route == 'u' ? kUnsubscribePurpose : kReconfirmPurpose;
  const bool json_out = route == 'i' && (sub == "/messages.json" || (sub == "/read" && is_json_request(req)));
  auto fail = [&](int status, std::string_view code, std::string_view message) {
    respond(json_out ? json_error(status, code, message) : error_page(status, merchant));
    return true;
  };
  auto subject = shared_->signer.verify(purpose, token, now);
  if (!subject) {
    return fail(subject.error().code == "link_expired" ? 410 : 404, subject.error().code, subject.error().message);
  }
  // A customer id, with "|channel" for an unsubscribe link. Signed by us, but checked all the same.
  std::string customer_id = *subject, channel = "*";
  if (route == 'u') {
    auto bar = subject->rfind('|');
    if (bar == std::string::npos) return fail(404, "invalid_link", "this link is not valid");
    customer_id = subject->substr(0, bar);
    channel = subject->substr(bar + 1);
    if (!customers::is_consent_channel(channel)) return fail(404, "invalid_link", "this link is not valid");
    // An email sent to an address, not to a customer of the directory, unsubscribes the address.
    if (customer_id.rfind(kAddressSubjectPrefix, 0) == 0) {
      std::string address = customer_id.substr(kAddressSubjectPrefix.size());
      if (!sub.empty()) return fail(404, "not_found", "no such page");
      if (req.method == "GET") {
        customers::Customer anonymous;
        anonymous.id = address;
        respond(html_response(200, unsubscribe_html(ConsentPage{merchant, anonymous, channel, token, now})));
      } else if (req.method == "POST") {
        serve_address_unsubscribe(req, respond, address, now);
      } else {
        respond(method_not_allowed(merchant, "GET, POST"));
      }
      return true;
    }
  }
  if (!customers::check_customer_id(customer_id)) return fail(404, "invalid_link", "this link is not valid");

  if (route == 'i') {
    if (sub.empty() || sub == "/messages.json") {
      if (req.method != "GET") return respond(method_not_allowed(merchant, "GET")), true;
      serve_inbox(req, respond, token, customer_id, json_out);
    } else if (sub == "/read") {
      if (req.method != "POST") return respond(method_not_allowed(merchant, "POST")), true;
      serve_mark_read(req, respond, token, customer_id, json_out, now);
    } else {
      fail(404, "not_found", "no such page");
    }
    return true;
  }
  if (!sub.empty()) return fail(404, "not_found", "no such page");
  if (req.method == "GET") {
    serve_consent_page(respond, route == 'u', token, customer_id, channel, now);
  } else if (req.method == "POST") {
    serve_consent_answer(req, respond, route == 'u', customer_id, channel, now);
  } else {
    respond(method_not_allowed(merchant, "GET, POST"));
  }
  return true;
}

void Portal::serve_short_link(const Request& req, const Responder& respond, std::string_view code, TimeMs now) {
  const std::string& merchant = shared_->options.merchant_name;
  if (req.method != "GET") return respond(method_not_allowed(merchant, "GET"));
  if (!is_short_code(code)) return respond(error_page(404, merchant, "short"));
  auto url = std::make_shared<std::optional<std::string>>();
  store_.write(
      [code = std::string(code), url, now](store::StoreSession& s) -> Status {
        auto r = s.click_short_link(code, now);
        if (!r) return r.error();
        *url = std::move(*r);
        return {};
      },
      [respond, url, shared = shared_](Status st) {
        const std::string& merchant = shared->options.merchant_name;
        if (!st) return respond(error_page(status_for_store_error(st.error()), merchant));
        // Stored by shorten_links from an http(s) URL of a message: still checked, so that a bad row
        // can never put a line break into the Location header.
        if (!url->has_value() || !is_whole_url(**url)) return respond(error_page(404, merchant, "short"));
        respond(redirect_response(302, **url));
      });
}

void Portal::serve_inbox(const Request& req, const Responder& respond, const std::string& token,
                         const std::string& customer_id, bool json_out) {
  auto cursor = parse_cursor(req.query_param("before"));
  auto limit = parse_limit(req.query_param("limit"), shared_->options.page_size);
  if (!cursor || !limit) {
    if (json_out) return respond(json_error(400, "invalid_value", "before or limit is not valid"));
    return respond(error_page(400, shared_->options.merchant_name));
  }
  store_.read([respond, shared = shared_, customer_id, cursor = *cursor, limit = *limit, json_out, token,
               now = clock_.now_ms()](store::StoreSession& s) {
    const std::string& merchant = shared->options.merchant_name;
    auto fail = [&](int status, std::string_view code, std::string_view message) {
      respond(json_out ? json_error(status, code, message) : error_page(status, merchant));
    };
    auto customer = notify::load_customer(s, customer_id);
    if (!customer) return fail(status_for_store_error(customer.error()), customer.error().code, "try again");
    if (!*customer) return fail(404, "invalid_link", "this link is not valid");
    auto items = s.list_customer_messages(customer_id, cursor.created_ms, cursor.id, limit);
    if (!items) return fail(status_for_store_error(items.error()), items.error().code, "try again");
    auto unread = s.count_unread(customer_id);
    if (!unread) return fail(status_for_store_error(unread.error()), unread.error().code, "try again");
    InboxPage page;
    page.merchant = merchant;
    page.locale = (*customer)->locale;
    page.token = token;
    page.unsubscribe_url = shared->links.unsubscribe(customer_id, "*", now);
    page.has_more = static_cast<int>(items->size()) == limit;
    page.paged = cursor.created_ms != 0;
    page.items = std::move(*items);
    page.unread = *unread;
    respond(json_out ? json_response(200, inbox_json(page)) : html_response(200, inbox_html(page)));
  });
}

void Portal::serve_mark_read(const Request& req, const Responder& respond, const std::string& token,
                             const std::string& customer_id, bool json_out, TimeMs now) {
  const std::string& merchant = shared_->options.merchant_name;
  std::vector<std::string> ids;
  bool all = false;
  if (json_out) {
    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    const json::object* o = ec ? nullptr : body.if_object();
    if (o == nullptr) return respond(json_error(400, "invalid_json", "expected {\"ids\": [...]} or {\"all\": true}"));
    if (auto* a = o->if_contains("all")) all = a->is_bool() && a->as_bool();
    if (auto* list = o->if_contains("ids"); list && list->is_array()) {
      for (auto& v : list->as_array()) {
        if (!v.is_string()) return respond(json_error(400, "invalid_type", "ids are strings"));
        ids.emplace_back(v.as_string());
      }
    }
  } else {
    auto fields = parse_form_body(req);
    if (!fields) return respond(error_page(400, merchant));
    std::string a = form_value(*fields, "all");
    all = a == "1" || a == "true" || a == "yes";
    ids = form_values(*fields, "id");
  }
  bool ids_ok = ids.size() <= kMaxReadIds && (all || !ids.empty());
  for (auto& id : ids) ids_ok = ids_ok && !id.empty() && id.size() <= kMaxMessageIdBytes;
  if (!ids_ok) {
    if (json_out) return respond(json_error(400, "invalid_value", "give 1-100 message ids, or all"));
    return respond(error_page(400, merchant));
  }
  struct Marked {
    bool found = false;
    std::int64_t marked = 0, unread = 0;
  };
  auto result = std::make_shared<Marked>();
  store_.write(
      [customer_id, ids = std::move(ids), all, now, result](store::StoreSession& s) -> Status {
        auto customer = s.get_customer(customer_id);
        if (!customer) return customer.error();
        if (!*customer) return {};
        result->found = true;
        auto marked = all ? s.mark_all_read(customer_id, now) : s.mark_read(customer_id, ids, now);
        if (!marked) return marked.error();
        auto unread = s.count_unread(customer_id);
        if (!unread) return unread.error();
        result->marked = *marked;
        result->unread = *unread;
        return {};
      },
      [respond, shared = shared_, result, json_out, token](Status st) {
        const std::string& merchant = shared->options.merchant_name;
        auto fail = [&](int status, std::string_view code, std::string_view message) {
          respond(json_out ? json_error(status, code, message) : error_page(status, merchant));
        };
        if (!st) return fail(status_for_store_error(st.error()), st.error().code, "try again");
        if (!result->found) return fail(404, "invalid_link", "this link is not valid");
        if (json_out) {
          return respond(json_response(
              200, json::serialize(json::object{{"marked", result->marked}, {"unread", result->unread}})));
        }
        // Back to the inbox (POST-redirect-GET), relative to /i/{token}/read so that a path prefix of
        // the public URL is kept.
        respond(redirect_response(303, "../" + token));
      });
}

void Portal::serve_consent_page(const Responder& respond, bool unsubscribe, const std::string& token,
                                const std::string& customer_id, const std::string& channel, TimeMs now) {
  store_.read([respond, shared = shared_, customer_id, channel, unsubscribe, token, now](store::StoreSession& s) {
    const std::string& merchant = shared->options.merchant_name;
    auto customer = notify::load_customer(s, customer_id);
    if (!customer) return respond(error_page(status_for_store_error(customer.error()), merchant));
    if (!*customer) return respond(error_page(404, merchant));
    ConsentPage page{merchant, **customer, channel, token, now};
    respond(html_response(200, unsubscribe ? unsubscribe_html(page) : reconfirm_html(page)));
  });
}

void Portal::serve_address_unsubscribe(const Request& req, const Responder& respond, const std::string& address,
                                       TimeMs now) {
  const std::string& merchant = shared_->options.merchant_name;
  auto fields = parse_form_body(req);
  if (!fields) return respond(error_page(400, merchant));
  std::string source;
  if (form_value(*fields, "List-Unsubscribe") == "One-Click") source = "list-unsubscribe one-click";
  else if (form_value(*fields, "confirm") == "yes") source = "unsubscribe link";
  else return respond(error_page(400, merchant));
  std::string evidence = evidence_of(req, source);
  auto notice_stored = std::make_shared<bool>(false);
  store_.write(
      [shared = shared_, address, source, evidence, now, notice_stored](store::StoreSession& s) -> Status {
        // Recorded like an 080 opt-out, by address: every later ad to it is refused.
        auto already = s.has_opt_out(address);
        if (!already) return already.error();
        if (!*already) {
          if (auto st = s.insert_opt_out(store::OptOutRecord{address, source, text::format_kst(now), evidence, now}); !st) {
            return st;
          }
        }
        // And as a withdrawal by every customer holding the address.
        auto holders = s.customers_with_address(address);
        if (!holders) return holders.error();
        for (const auto& id : *holders) {
          notify::AdConsentAnswer answer;
          answer.customer_id = id;
          answer.channel = "email";
          answer.source = source;
          answer.evidence = evidence;
          if (!shared->change_consent) break;
          auto outcome = shared->change_consent(s, answer, now);
          if (!outcome) return outcome.error();
          *notice_stored = *notice_stored || outcome->notice_stored;
        }
        return {};
      },
      [respond, shared = shared_, address, now, notice_stored](Status st) {
        const std::string& merchant = shared->options.merchant_name;
        if (!st) return respond(error_page(status_for_store_error(st.error()), merchant));
        if (*notice_stored && shared->options.wake) shared->options.wake();
        customers::Customer anonymous;
        anonymous.id = address;
        respond(html_response(200, unsubscribed_html(AnsweredPage{merchant, anonymous, "email", now, 1})));
      });
}

void Portal::serve_consent_answer(const Request& req, const Responder& respond, bool unsubscribe,
                                  const std::string& customer_id, const std::string& channel, TimeMs now) {
  const std::string& merchant = shared_->options.merchant_name;
  auto fields = parse_form_body(req);
  if (!fields) return respond(error_page(400, merchant));
  notify::AdConsentAnswer answer;
  answer.customer_id = customer_id;
  answer.channel = channel;
  if (unsubscribe) {
    // RFC 8058: the body List-Unsubscribe=One-Click; or the confirm button of our own page.
    if (form_value(*fields, "List-Unsubscribe") == "One-Click") {
      answer.source = "list-unsubscribe one-click";
      answer.evidence = evidence_of(req, "RFC 8058 one-click POST");
    } else if (form_value(*fields, "confirm") == "yes") {
      answer.source = "unsubscribe link";
      answer.evidence = evidence_of(req, "unsubscribe page confirmed");
    } else {
      return respond(error_page(400, merchant));
    }
  } else {
    std::string a = form_value(*fields, "answer");
    if (a != "yes" && a != "no") return respond(error_page(400, merchant));
    answer.kind = a == "yes" ? notify::AdConsentAnswer::Kind::renew : notify::AdConsentAnswer::Kind::withdraw;
    answer.channel = "*";
    answer.source = "re-confirmation link";
    answer.evidence = evidence_of(req, "re-confirmation page answered " + a);
  }
  struct Answered {
    notify::ConsentChangeOutcome outcome;
    std::optional<customers::Customer> customer;  // after the change
  };
  auto result = std::make_shared<Answered>();
  store_.write(
      [shared = shared_, answer, now, result](store::StoreSession& s) -> Status {
        if (!shared->change_consent) return make_error("internal", "no consent-change function");
        auto outcome = shared->change_consent(s, answer, now);
        if (!outcome) return outcome.error();
        result->outcome = *outcome;
        if (!outcome->customer_found) return {};
        auto customer = notify::load_customer(s, answer.customer_id);
        if (!customer) return customer.error();
        result->customer = std::move(*customer);
        return {};
      },
      [respond, shared = shared_, result, answer, unsubscribe, now](Status st) {
        const std::string& merchant = shared->options.merchant_name;
        if (!st) return respond(error_page(status_for_store_error(st.error()), merchant));
        if (!result->outcome.customer_found || !result->customer) return respond(error_page(404, merchant));
        if (result->outcome.notice_stored && shared->options.wake) shared->options.wake();
        AnsweredPage page{merchant, *result->customer, answer.channel, now, result->outcome.changed};
        if (unsubscribe) return respond(html_response(200, unsubscribed_html(page)));
        respond(html_response(200, answer.kind == notify::AdConsentAnswer::Kind::renew ? renewed_html(page)
                                                                                      : declined_html(page)));
      });
}

}  // namespace jarip::portal
