// The JSON form of the providers' state, shared by GET /v1/channels and by what each node publishes
// for the cluster view (store::NodeStatusRecord), so that both read the same way.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <vector>

#include "notify/engine.hpp"
#include "store/records.hpp"

namespace jarip::notify {

// Each node publishes every kNodeStatusIntervalMs; rows older than kNodeStatusFreshMs are nodes
// that stopped or lost the database, and are left out of the cluster's view.
inline constexpr TimeMs kNodeStatusIntervalMs = 2000;
inline constexpr TimeMs kNodeStatusFreshMs = 10000;

boost::json::array providers_json(const std::vector<ChannelStatus>& providers);

// The cluster's view from the nodes' published rows: {"nodes":[{node, updated, providers}…],
// "providers": {NAME: {"nodes": n, "open_on": [...], "breakers": {node: state}}}}. `self` marks
// this node's own row.
boost::json::object cluster_json(const std::vector<store::NodeStatusRecord>& rows, const std::string& self,
                                 TimeMs now);

}  // namespace jarip::notify
