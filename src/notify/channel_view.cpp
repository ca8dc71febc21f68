#include "notify/channel_view.hpp"

#include <boost/json.hpp>

#include "text/kst.hpp"

namespace jarip::notify {

namespace json = boost::json;


json::array providers_json(const std::vector<ChannelStatus>& providers) {
  json::array list;
  for (auto& c : providers) {
    json::array chans;
    for (auto& ch : c.channels) chans.emplace_back(ch);
    list.push_back(json::object{{"provider", c.provider},
                                {"channels", std::move(chans)},
                                {"breaker", c.breaker_state},
                                {"since", text::format_kst_ms(c.since_ms)},
                                {"success_rate", c.success_ratio},
                                {"window_outcomes", c.window_count},
                                {"latency_p50_ms", c.latency_p50_ms},
                                {"latency_p99_ms", c.latency_p99_ms},
                                {"queued", c.queued},
                                {"in_flight", c.in_flight}});
  }
  return list;
}

json::object cluster_json(const std::vector<store::NodeStatusRecord>& rows, const std::string& self, TimeMs now) {
  json::array nodes;
  json::object by_provider;
  for (auto& row : rows) {
    boost::system::error_code ec;
    auto doc = json::parse(row.status_json, ec);
    if (ec || !doc.is_object()) continue;  // a row from a newer or broken node: shown as nothing
    json::array providers;
    if (auto* p = doc.as_object().if_contains("providers"); p && p->is_array()) providers = p->as_array();
    for (auto& entry : providers) {
      if (!entry.is_object()) continue;
      auto& e = entry.as_object();
      auto* name = e.if_contains("provider");
      auto* breaker = e.if_contains("breaker");
      if (!name || !name->is_string() || !breaker || !breaker->is_string()) continue;
      auto& agg = by_provider[name->as_string()];
      if (!agg.is_object()) agg = json::object{{"nodes", 0}, {"open_on", json::array{}}, {"breakers", json::object{}}};
      auto& a = agg.as_object();
      a["nodes"] = a["nodes"].as_int64() + 1;
      a["breakers"].as_object()[row.node_id] = *breaker;
      if (breaker->as_string() != "closed") a["open_on"].as_array().emplace_back(row.node_id);
    }
    nodes.push_back(json::object{{"node", row.node_id},
                                 {"self", row.node_id == self},
                                 {"started", text::format_kst_ms(row.started_ms)},
                                 {"updated", text::format_kst_ms(row.updated_ms)},
                                 {"age_ms", now - row.updated_ms},
                                 {"providers", std::move(providers)}});
  }
  return json::object{{"nodes", std::move(nodes)}, {"providers", std::move(by_provider)}};
}

}  // namespace jarip::notify
