// Channel states from the cluster's breakers and the console's switches (rules in status.hpp).
#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "status/status.hpp"

namespace jarip::status {

namespace json = boost::json;

namespace {

constexpr std::string_view kOrder[] = {"alimtalk", "sms", "email", "push", "inbox"};

// One provider's breaker on each fresh node, from the rows' {"providers":[{"provider","breaker"}…]}.
std::map<std::string, std::vector<std::pair<std::string, std::string>>> breakers_by_provider(
    const std::vector<store::NodeStatusRecord>& rows) {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> out;
  for (auto& row : rows) {
    boost::system::error_code ec;
    auto doc = json::parse(row.status_json, ec);
    if (ec || !doc.is_object()) continue;  // a broken row says nothing, rather than "all down"
    auto* providers = doc.as_object().if_contains("providers");
    if (!providers || !providers->is_array()) continue;
    std::set<std::string> seen;  // a provider listed twice by one node counts once
    for (auto& entry : providers->as_array()) {
      if (!entry.is_object()) continue;
      auto* name = entry.as_object().if_contains("provider");
      auto* breaker = entry.as_object().if_contains("breaker");
      if (!name || !name->is_string() || !breaker || !breaker->is_string()) continue;
      std::string n(name->as_string());
      if (!seen.insert(n).second) continue;
      out[n].emplace_back(row.node_id, std::string(breaker->as_string()));
    }
  }
  return out;
}

}  // namespace

int channel_rank(std::string_view channel) {
  for (int i = 0; i < static_cast<int>(std::size(kOrder)); ++i) {
    if (kOrder[i] == channel) return i;
  }
  return static_cast<int>(std::size(kOrder));
}

Bilingual channel_name(std::string_view channel) {
  if (channel == "alimtalk") return {"카카오톡 알림톡", "KakaoTalk"};
  if (channel == "sms") return {"문자", "SMS"};
  if (channel == "email") return {"이메일", "Email"};
  if (channel == "push") return {"앱 푸시", "Push"};
  if (channel == "inbox") return {"알림함", "Inbox"};
  return {std::string(channel), std::string(channel)};
}

Bilingual state_label(std::string_view state) {
  if (state == kDown) return {"중단", "Down"};
  if (state == kDegraded) return {"지연", "Degraded"};
  return {"정상", "Operational"};
}

Bilingual severity_label(std::string_view severity) {
  if (severity == "outage") return {"장애", "Outage"};
  if (severity == "degraded") return {"지연", "Degraded"};
  return {"안내", "Info"};
}

AppliedSettings apply_settings(const std::map<std::string, std::vector<std::string>>& configured_chains,
                               const std::vector<store::SettingRecord>& settings) {
  AppliedSettings out;
  out.chains = configured_chains;
  for (auto& s : settings) {
    boost::system::error_code ec;
    auto doc = json::parse(s.value_json, ec);
    if (s.key.rfind("chain.", 0) == 0 && s.key.size() > 6) {
      if (ec || !doc.is_array()) {
        out.ignored.push_back(s.key);
        continue;
      }
      std::vector<std::string> providers;
      bool ok = true;
      for (auto& p : doc.as_array()) {
        if (!p.is_string() || p.as_string().empty()) {
          ok = false;
          break;
        }
        providers.emplace_back(p.as_string());
      }
      if (!ok) {
        out.ignored.push_back(s.key);
        continue;
      }
      out.chains[s.key.substr(6)] = std::move(providers);
    } else if (s.key.rfind("provider.", 0) == 0 && s.key.size() > 9) {
      if (ec || !doc.is_object()) {
        out.ignored.push_back(s.key);
        continue;
      }
      ProviderSetting p;
      auto& o = doc.as_object();
      if (auto* e = o.if_contains("enabled"); e && e->is_bool()) p.enabled = e->as_bool();
      if (auto* d = o.if_contains("drained"); d && d->is_bool()) p.drained = d->as_bool();
      out.provider_settings[s.key.substr(9)] = p;
    }
  }
  return out;
}

std::vector<ChannelState> evaluate_channels(const EvaluationInput& input) {
  auto breakers = breakers_by_provider(input.nodes);
  std::vector<ChannelState> out;
  for (auto& [channel, chain] : input.chains) {
    if (chain.empty()) continue;
    ChannelState c;
    c.channel = channel;
    bool any_able = false, any_breaker_trouble = false;
    for (auto& name : chain) {
      ProviderHealth h;
      h.provider = name;
      if (auto it = breakers.find(name); it != breakers.end()) {
        h.nodes = static_cast<int>(it->second.size());
        for (auto& [node, state] : it->second) {
          if (state != "closed") h.not_closed_on.push_back(node);
        }
      }
      ProviderSetting setting;
      if (auto it = input.provider_settings.find(name); it != input.provider_settings.end()) setting = it->second;
      int not_closed = static_cast<int>(h.not_closed_on.size());
      if (!setting.enabled) {
        h.state = "disabled";
      } else if (setting.drained) {
        h.state = "drained";
      } else if (h.nodes == 0) {
        h.state = "unknown";
      } else if (not_closed == h.nodes) {
        h.state = "unable";
      } else if (not_closed > 0) {
        h.state = "impaired";
      } else {
        h.state = "ok";
      }
      if (h.state == "ok" || h.state == "impaired" || h.state == "unknown") any_able = true;
      if (h.state == "impaired" || h.state == "unable") any_breaker_trouble = true;
      c.providers.push_back(std::move(h));
    }
    c.state = !any_able ? kDown : any_breaker_trouble ? kDegraded : kOperational;
    out.push_back(std::move(c));
  }
  std::stable_sort(out.begin(), out.end(), [](const ChannelState& a, const ChannelState& b) {
    int ra = channel_rank(a.channel), rb = channel_rank(b.channel);
    return ra != rb ? ra < rb : a.channel < b.channel;
  });
  return out;
}

std::string overall_state(const std::vector<ChannelState>& channels,
                          const std::vector<store::StatusNoticeRecord>& notices) {
  bool all_down = !channels.empty(), any_trouble = false;
  for (auto& c : channels) {
    if (c.state != kDown) all_down = false;
    if (c.state != kOperational) any_trouble = true;
  }
  if (all_down) return kDown;
  for (auto& n : notices) {
    if (n.resolved_ms == 0 && (n.severity == "outage" || n.severity == "degraded")) any_trouble = true;
  }
  return any_trouble ? kDegraded : kOperational;
}

std::string fallback_channel(const std::vector<ChannelState>& channels, std::string_view channel) {
  std::vector<const ChannelState*> ordered;
  for (auto& c : channels) ordered.push_back(&c);
  std::stable_sort(ordered.begin(), ordered.end(), [](const ChannelState* a, const ChannelState* b) {
    int ra = channel_rank(a->channel), rb = channel_rank(b->channel);
    return ra != rb ? ra < rb : a->channel < b->channel;
  });
  int rank = channel_rank(channel);
  for (auto* c : ordered) {
    int r = channel_rank(c->channel);
    bool after = r > rank || (r == rank && c->channel > channel);
    if (after && c->state != kDown) return c->channel;
  }
  return {};
}

}  // namespace jarip::status
