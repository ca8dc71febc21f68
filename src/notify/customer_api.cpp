#include "notify/customer_api.hpp"

#include <boost/json.hpp>

#include <charconv>

#include "customers/csv_import.hpp"
#include "customers/directory.hpp"
#include "notify/api.hpp"
#include "notify/consent_ops.hpp"
#include "notify/push_subscriptions.hpp"
#include "notify/recipients.hpp"
#include "text/kst.hpp"
#include "text/phone.hpp"

namespace jarip::notify {

namespace json = boost::json;
using http::Request;
using http::Responder;
using http::Response;

namespace {

constexpr std::string_view kPrefix = "/v1/customers";

// Stores a customer (insert or replace) with its consent history and, for recent advertising
// consent changes, the notice confirming them.
// Push subscriptions belong to the customer's browsers, not to the merchant's record: a document
// or CSV row that does not carry them (keep_push_subscriptions) leaves the stored ones in place.
Status put_customer_with_history(store::StoreSession& s, const ConsentNotices& notices, customers::Customer& c,
                                 const std::string& source, TimeMs now, bool keep_push_subscriptions, bool& created,
                                 int& notices_stored) {
  auto existing = s.get_customer(c.id);
  if (!existing) return existing.error();
  std::optional<customers::Customer> before;
  if (*existing) {
    auto parsed = customer_from_record(**existing);
    if (parsed) before = std::move(*parsed);
  }
  if (keep_push_subscriptions && before) c.push_subscriptions = before->push_subscriptions;
  created = !*existing;
  std::vector<customers::Consent> changed;
  if (auto st = record_consent_changes(s, before ? &*before : nullptr, c, source, now, changed); !st) return st;
  if (auto st = s.put_customer(customer_record(c, now)); !st) return st;
  auto notice = store_consent_notice(s, notices, c, changed, now);
  if (!notice) return notice.error();
  notices_stored += *notice ? 1 : 0;
  return {};
}

json::object issue_json(const customers::ImportIssue& i) {
  json::object o{{"row", i.row}, {"code", i.code}, {"message", i.message}};
  if (i.column) {
    o["column"] = customers::column_letters(i.column);
    o["column_name"] = i.column_name;
  }
  return o;
}

std::optional<int> parse_limit(const std::string& text, int fallback, int max) {
  if (text.empty()) return fallback;
  int v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 1 || v > max) return std::nullopt;
  return v;
}

void fail(const Responder& respond, const Error& e) { respond(error_response(e)); }

}  // namespace

CustomerApi::CustomerApi(store::Store& store, const Clock& clock, ConsentNotices notices, PushSubscriptionOptions push)
    : store_(store), clock_(clock), notices_(std::make_shared<const ConsentNotices>(std::move(notices))), push_(push) {}

bool CustomerApi::handle(const Request& req, const Responder& respond) {
  const std::string& p = req.path;
  if (p.rfind(kPrefix, 0) != 0 || (p.size() > kPrefix.size() && p[kPrefix.size()] != '/')) return false;
  const std::string& m = req.method;
  TimeMs now = clock_.now_ms();

  if (p == kPrefix) {
    if (m != "GET") {
      fail(respond, make_error("method_not_allowed", "use GET /v1/customers (list), PUT /v1/customers/{id}"));
      return true;
    }
    std::string address;
    if (auto phone = req.query_param("phone"); !phone.empty()) {
      auto n = text::normalize_mobile(phone, "phone");
      if (!n) return fail(respond, n.error()), true;
      address = n->domestic;
    } else if (auto email = req.query_param("email"); !email.empty()) {
      auto e = customers::normalize_email(email);
      if (!e) return fail(respond, make_error("invalid_email", e.error().message, "email")), true;
      address = *e;
    }
    auto limit = parse_limit(req.query_param("limit"), 100, 1000);
    if (!limit) return fail(respond, make_error("invalid_value", "limit is 1-1000", "limit")), true;
    std::string after = req.query_param("after");
    store_.read([respond, address, after, limit = *limit](store::StoreSession& s) {
      auto rows = s.list_customers(after, address, limit);
      if (!rows) return fail(respond, rows.error());
      json::array list;
      for (auto& r : *rows) {
        boost::system::error_code ec;
        list.push_back(json::parse(r.doc_json, ec));
      }
      json::object body{{"customers", std::move(list)}};
      if (static_cast<int>(rows->size()) == limit) body["next_after"] = rows->back().id;
      respond(Response::json(200, json::serialize(body)));
    });
    return true;
  }

  std::string rest = p.substr(kPrefix.size() + 1);
  if (rest == "import") {
    if (m != "POST") return fail(respond, make_error("method_not_allowed", "use POST /v1/customers/import")), true;
    std::string dry = req.query_param("dry_run");
    bool dry_run = dry == "1" || dry == "true";
    std::string enc = req.query_param("encoding");
    customers::CsvImportOptions options;
    if (!enc.empty()) {
      auto e = customers::parse_csv_encoding(enc);
      if (!e) return fail(respond, make_error("invalid_value", e.error().message, "encoding")), true;
      options.encoding = *e;
    }
    auto parsed = customers::import_customers_csv(req.body, options);
    if (!parsed) return fail(respond, parsed.error()), true;
    auto result = std::make_shared<customers::CsvImport>(std::move(*parsed));
    auto report = [result, dry_run](std::size_t created, std::size_t updated) {
      json::array rejected, warnings;
      for (auto& i : result->rejections) rejected.push_back(issue_json(i));
      for (auto& i : result->warnings) warnings.push_back(issue_json(i));
      json::object o{{"dry_run", dry_run},
                     {"encoding", result->encoding},
                     {"rows", result->data_rows - result->blank_rows},
                     {"valid", result->customers.size()},
                     {"rejected_rows", result->rejected_rows()},
                     {"rejected", std::move(rejected)},
                     {"warnings", std::move(warnings)}};
      if (!dry_run) {
        o["created"] = created;
        o["updated"] = updated;
      }
      return Response::json(200, json::serialize(o));
    };
    if (dry_run || result->customers.empty()) {
      respond(report(0, 0));
      return true;
    }
    auto counts = std::make_shared<std::pair<std::size_t, std::size_t>>();
    auto sent = std::make_shared<int>(0);
    store_.write(
        [result, counts, now, notices = notices_, sent](store::StoreSession& s) -> Status {
          for (auto& c : result->customers) {
            bool created = false;
            if (auto st = put_customer_with_history(s, *notices, c.customer, "csv_import", now, true, created, *sent); !st) {
              return st;
            }
            (created ? counts->first : counts->second)++;
          }
          return {};
        },
        [respond, report, counts, notices = notices_, sent](Status s) {
          if (!s) return fail(respond, s.error());
          if (*sent > 0 && notices->wake) notices->wake();
          respond(report(counts->first, counts->second));
        });
    return true;
  }
  if (rest == "export") {
    if (m != "GET") return fail(respond, make_error("method_not_allowed", "use GET /v1/customers/export")), true;
    auto limit = parse_limit(req.query_param("limit"), 100000, 100000);
    if (!limit) return fail(respond, make_error("invalid_value", "limit is 1-100000", "limit")), true;
    std::string after = req.query_param("after");
    store_.read([respond, after, limit = *limit](store::StoreSession& s) {
      auto rows = s.list_customers(after, "", limit);
      if (!rows) return fail(respond, rows.error());
      std::vector<customers::Customer> list;
      for (auto& r : *rows) {
        if (auto c = customer_from_record(r)) list.push_back(std::move(*c));
      }
      Response out{200, "text/csv; charset=utf-8", customers::to_csv(list), {}};
      out.headers.push_back({"Content-Disposition", "attachment; filename=\"customers.csv\""});
      if (static_cast<int>(rows->size()) == limit) out.headers.push_back({"X-Next-After", rows->back().id});
      respond(std::move(out));
    });
    return true;
  }

  const std::string id = rest;
  if (auto st = customers::check_customer_id(id); !st) {
    fail(respond, make_error("not_found", "no customer with that id"));
    return true;
  }
  if (m == "GET") {
    store_.read([respond, id](store::StoreSession& s) {
      auto row = s.get_customer(id);
      if (!row) return fail(respond, row.error());
      if (!*row) return fail(respond, make_error("not_found", "no customer with id '" + id + "'"));
      boost::system::error_code ec;
      json::value doc = json::parse((*row)->doc_json, ec);
      if (ec || !doc.is_object()) return fail(respond, make_error("storage_error", "customer is stored unreadably"));
      auto& o = doc.as_object();
      o["created_at"] = text::format_kst((*row)->created_ms);
      o["updated_at"] = text::format_kst((*row)->updated_ms);
      auto events = s.list_consent_events(id, 1000);
      if (!events) return fail(respond, events.error());
      json::array history;
      for (auto& e : *events) {
        json::object h{{"channel", e.channel}, {"purpose", e.purpose}, {"granted", e.granted}, {"at", e.at},
                       {"source", e.source},   {"recorded_at", text::format_kst(e.recorded_ms)}};
        if (!e.evidence.empty()) h["evidence"] = e.evidence;
        history.push_back(std::move(h));
      }
      o["consent_history"] = std::move(history);
      respond(Response::json(200, json::serialize(doc)));
    });
    return true;
  }
  if (m == "PUT") {
    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    if (ec) return fail(respond, make_error("invalid_json", "request body is not valid JSON: " + ec.message())), true;
    // GET's extra fields may come back in a PUT of the same document.
    if (auto* o = body.if_object()) {
      for (auto key : {"created_at", "updated_at", "consent_history"}) o->erase(key);
    }
    const bool keep_push = !(body.is_object() && body.as_object().contains("push_subscriptions"));
    if (auto st = canonicalize_push_subscriptions(body, push_); !st) return fail(respond, st.error()), true;
    auto customer = customers::customer_from_json(id, body);
    if (!customer) return fail(respond, customer.error()), true;
    auto doc = std::make_shared<customers::Customer>(std::move(*customer));
    auto created = std::make_shared<bool>(false);
    auto sent = std::make_shared<int>(0);
    store_.write(
        [doc, created, now, notices = notices_, sent, keep_push](store::StoreSession& s) {
          return put_customer_with_history(s, *notices, *doc, "api", now, keep_push, *created, *sent);
        },
        [respond, doc, created, notices = notices_, sent](Status s) {
          if (!s) return fail(respond, s.error());
          if (*sent > 0 && notices->wake) notices->wake();
          respond(Response::json(*created ? 201 : 200, json::serialize(customers::customer_to_json(*doc))));
        });
    return true;
  }
  if (m == "DELETE") {
    auto existed = std::make_shared<bool>(false);
    store_.write(
        [id, existed, now](store::StoreSession& s) -> Status {
          auto r = s.erase_customer(id, now);
          if (!r) return r.error();
          *existed = *r;
          return {};
        },
        [respond, id, existed](Status s) {
          if (!s) return fail(respond, s.error());
          if (!*existed) return fail(respond, make_error("not_found", "no customer with id '" + id + "'"));
          respond(Response{204, "application/json", "", {}});
        });
    return true;
  }
  fail(respond, make_error("method_not_allowed", "use GET, PUT or DELETE on a customer"));
  return true;
}

}  // namespace jarip::notify
