// Admin API on admin_port: the raw record, counters and fault control.
//   GET    /_sim/health
//   GET    /_sim/received?provider=&channel=&outcome=&message_id=&summary=1&limit=&offset=
//   DELETE /_sim/received
//   GET    /_sim/requests?provider=&limit=&offset=
//   GET    /_sim/stats
//   GET|POST|DELETE /_sim/faults
//   GET    /_sim/config
//   …      /_sim/push/…  (push_service.hpp)
#include <boost/json.hpp>

#include <unordered_map>

#include "sim/json_text.hpp"
#include "sim/simulator.hpp"
#include "sim/timefmt.hpp"

namespace jarip::sim {
namespace {

HttpOut json_error(int status, const std::string& code, const std::string& message) {
  return HttpOut{status, "{\"error\":{\"code\":" + json_quote(code) + ",\"message\":" + json_quote(message) + "}}"};
}

bool parse_count(const std::string& s, std::size_t& out) {
  if (s.empty()) return true;
  if (s.size() > 12) return false;
  std::size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  out = v;
  return true;
}

// `request` is the one that carried the message: its disposition tells whether the sender ever saw an
// answer (answer_lost, hang), which is what decides whether a resend is a duplicate.
void append_message(std::string& out, const MessageRecord& m, std::uint32_t index, const RequestRecord& request) {
  out += "{\"index\":" + std::to_string(index);
  out += ",\"request_index\":" + std::to_string(m.request_index);
  out += ",\"disposition\":";
  append_json_string(out, request.disposition);
  out += ",\"provider\":\"";
  out += to_string(m.provider);
  out += "\",\"channel\":\"";
  out += to_string(m.channel);
  out += "\",\"kind\":\"";
  out += to_string(m.kind);
  out += "\",\"message_id\":";
  append_json_string(out, m.jarip_message_id);
  out += ",\"dedup_key\":";
  append_json_string(out, m.dedup_key);
  out += ",\"to\":";
  append_json_string(out, m.to);
  out += ",\"text\":";
  append_json_string(out, m.text);
  if (!m.subject.empty()) {
    out += ",\"subject\":";
    append_json_string(out, m.subject);
  }
  out += ",\"received_at\":";
  append_json_string(out, iso_utc_ms(m.received_ms));
  out += ",\"provider_message_id\":";
  append_json_string(out, m.provider_message_id);
  if (m.provider == Provider::nhn) out += ",\"recipient_seq\":" + std::to_string(m.recipient_seq);
  out += ",\"outcome\":\"";
  out += to_string(m.outcome);
  out += "\",\"status_code\":";
  append_json_string(out, m.status_code);
  if (m.final_ms) {
    out += ",\"final_at\":";
    append_json_string(out, iso_utc_ms(m.final_ms));
  }
  out += "}";
}

}  // namespace

HttpOut Simulator::handle_admin(const HttpIn& in) {
  finalize_due();
  const auto path = in.path();
  auto q = parse_query(in.query());
  const auto now = ctx_.now();
  if (path == "/_sim/health") return HttpOut{200, "{\"ok\":true}"};
  if (auto push = push_.handle_admin(in)) return std::move(*push);
  if (path == "/_sim/config" && in.method == "GET") return HttpOut{200, config_to_json(ctx_.config)};

  if (path == "/_sim/faults") {
    if (in.method == "GET") return HttpOut{200, ctx_.faults.to_json(now)};
    if (in.method == "DELETE") {
      ctx_.faults.reset();
      return HttpOut{200, ctx_.faults.to_json(now)};
    }
    if (in.method == "POST") {
      if (auto s = ctx_.faults.set_from_json(in.body, now); !s) return json_error(400, s.error().code, s.error().message);
      return HttpOut{200, ctx_.faults.to_json(now)};
    }
    return json_error(405, "method_not_allowed", "use GET, POST or DELETE");
  }

  if (path == "/_sim/received" && in.method == "DELETE") {
    clear_records();
    return HttpOut{200, "{\"cleared\":true}"};
  }

  const std::string provider = query_get(q, "provider"), channel = query_get(q, "channel"),
                    outcome = query_get(q, "outcome"), message_id = query_get(q, "message_id");
  std::size_t limit = SIZE_MAX, offset = 0;
  if (!parse_count(query_get(q, "limit"), limit) || !parse_count(query_get(q, "offset"), offset))
    return json_error(400, "invalid_paging", "limit and offset must be non-negative integers");

  if (path == "/_sim/received" && in.method == "GET") {
    const auto& all = ctx_.store.messages();
    auto match = [&](const MessageRecord& m) {
      if (!provider.empty() && provider != "*" && provider != to_string(m.provider)) return false;
      if (!channel.empty() && channel != "*" && channel != to_string(m.channel)) return false;
      if (!outcome.empty() && outcome != to_string(m.outcome)) return false;
      if (!message_id.empty() && message_id != m.jarip_message_id) return false;
      return true;
    };
    if (query_get(q, "summary") == "1") {
      std::unordered_map<std::string_view, std::uint32_t> counts;
      counts.reserve(all.size() / 2 + 16);
      std::size_t total = 0;
      for (const auto& m : all)
        if (match(m)) ++counts[m.jarip_message_id], ++total;
      std::size_t dup_ids = 0;
      std::string body;
      body.reserve(counts.size() * 40 + 128);
      body += "{\"counts\":{";
      bool first = true;
      for (const auto& [id, n] : counts) {
        if (n > 1 && !id.empty()) ++dup_ids;
        if (!first) body += ",";
        first = false;
        append_json_string(body, id);
        body += ":" + std::to_string(n);
      }
      body += "},\"total\":" + std::to_string(total) + ",\"distinct\":" + std::to_string(counts.size()) +
              ",\"ids_with_duplicates\":" + std::to_string(dup_ids) + "}";
      return HttpOut{200, std::move(body)};
    }
    std::string body = "{\"messages\":[";
    body.reserve(std::min<std::size_t>(all.size(), limit) * 300 + 64);
    std::size_t seen = 0, written = 0;
    for (std::uint32_t i = 0; i < all.size() && written < limit; ++i) {
      if (!match(all[i])) continue;
      if (seen++ < offset) continue;
      if (written++ > 0) body += ",";
      append_message(body, all[i], i, ctx_.store.requests()[all[i].request_index]);
    }
    body += "],\"count\":" + std::to_string(written) + "}";
    return HttpOut{200, std::move(body)};
  }

  if (path == "/_sim/requests" && in.method == "GET") {
    const auto& all = ctx_.store.requests();
    std::string body = "{\"requests\":[";
    std::size_t seen = 0, written = 0;
    for (std::uint32_t i = 0; i < all.size() && written < limit; ++i) {
      const auto& r = all[i];
      if (!provider.empty() && provider != "*" && provider != to_string(provider_of(r.endpoint))) continue;
      if (seen++ < offset) continue;
      if (written++ > 0) body += ",";
      body += "{\"index\":" + std::to_string(i) + ",\"endpoint\":\"" + to_string(r.endpoint) + "\",\"received_at\":";
      append_json_string(body, iso_utc_ms(r.received_ms));
      body += ",\"method\":";
      append_json_string(body, r.method);
      body += ",\"target\":";
      append_json_string(body, r.target);
      body += ",\"http_status\":" + std::to_string(r.http_status) + ",\"disposition\":";
      append_json_string(body, r.disposition);
      body += ",\"messages\":" + std::to_string(r.message_count) + ",\"body_size\":" + std::to_string(r.body_size);
      body += ",\"body\":";
      append_json_string(body, r.body);
      body += "}";
    }
    body += "],\"count\":" + std::to_string(written) + "}";
    return HttpOut{200, std::move(body)};
  }

  if (path == "/_sim/stats" && in.method == "GET") {
    const auto& c = ctx_.counters;
    std::size_t waiting = 0;  // planned, or final and not yet posted
    for (int st = 0; st < kStreams; ++st) waiting += ctx_.due[st].size() + ctx_.outbox[st].size();
    std::size_t by[2][2][4] = {};
    for (const auto& m : ctx_.store.messages())
      ++by[static_cast<int>(m.provider)][static_cast<int>(m.channel)][static_cast<int>(m.outcome)];
    std::string body = "{\"requests\":" + std::to_string(c.requests) + ",\"requests_recorded\":" +
                       std::to_string(ctx_.store.requests().size()) + ",\"refused\":" + std::to_string(c.refused) +
                       ",\"errors_injected\":" + std::to_string(c.errors_injected) + ",\"hung\":" + std::to_string(c.hung) +
                       ",\"answers_lost\":" + std::to_string(c.answers_lost) +
                       ",\"slowed\":" + std::to_string(c.slowed) + ",\"auth_failures\":" + std::to_string(c.auth_failures) +
                       ",\"messages\":" + std::to_string(c.messages) + ",\"accepted\":" + std::to_string(c.accepted) +
                       ",\"rejected\":" + std::to_string(c.rejected) + ",\"blackholed\":" + std::to_string(c.blackholed) +
                       ",\"reports\":{\"due\":" + std::to_string(c.reports_due) + ",\"posted\":" +
                       std::to_string(c.reports_posted) + ",\"posts\":" + std::to_string(c.report_posts) +
                       ",\"failed_attempts\":" + std::to_string(c.report_attempts_failed) + ",\"dropped\":" +
                       std::to_string(c.reports_dropped) + ",\"waiting\":" +
                       std::to_string(waiting) + "}";
    body += ",\"by_provider\":{";
    for (int p = 0; p < 2; ++p) {
      if (p) body += ",";
      body += "\"" + std::string(to_string(static_cast<Provider>(p))) + "\":{";
      for (int ch = 0; ch < 2; ++ch) {
        if (ch) body += ",";
        body += "\"" + std::string(to_string(static_cast<Channel>(ch))) + "\":{";
        for (int o = 0; o < 4; ++o) {
          if (o) body += ",";
          body += "\"" + std::string(to_string(static_cast<Outcome>(o))) + "\":" + std::to_string(by[p][ch][o]);
        }
        body += "}";
      }
      body += "}";
    }
    body += "}}";
    return HttpOut{200, std::move(body)};
  }
  return json_error(404, "not_found", "unknown admin endpoint");
}

}  // namespace jarip::sim
