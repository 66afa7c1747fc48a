// The cluster as pghaloctl shows it: one entry per member key with the role patronictl derives
// (leader, standby_leader, sync_standby, replica), host and port from conn_url, and the lag
// behind the leader's last published WAL position (Patroni's cluster_as_json, which `list`,
// `topology`, `switchover` and the REST API's /cluster all show). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "model/cluster.h"

namespace pghalo::ctl {

struct MemberView {
  std::string name;
  std::string role;  // leader | standby_leader | sync_standby | replica
  std::string state;
  std::string api_url;
  std::optional<std::string> host;  // from conn_url; absent when it cannot be parsed
  std::optional<int> port;
  std::optional<std::int64_t> timeline;
  bool pending_restart = false;
  nlohmann::json scheduled_restart;  // null when none
  nlohmann::json tags;               // as published; null when the member has none
  bool is_leader = false;
  // Bytes behind the cluster's last known WAL position; nullopt for the leader and when the
  // member publishes no position ("unknown").
  std::optional<std::uint64_t> lag;
  std::optional<std::uint64_t> xlog_location;
};

struct ScheduledSwitchover {
  std::string at;
  std::optional<std::string> from, to;
};

struct ClusterView {
  std::vector<MemberView> members;  // sorted by name
  bool paused = false;
  std::optional<ScheduledSwitchover> scheduled_switchover;
  // "initializing" while bootstrapping, "uninitialized" without the key, else the system id.
  std::string initialize;
  bool standby_cluster = false;
};

ClusterView view_cluster(const model::ClusterState& cluster);

// Patroni's reading of `/config`: pause is on when `pause` is truthy.
bool is_paused(const model::ClusterState& cluster);
// `loop_wait` from `/config` (10, Patroni's default, when absent or not an integer).
long long loop_wait_of(const model::ClusterState& cluster);
// A standby cluster's `/config` names its upstream (host, port or restore_command).
bool is_standby_cluster(const model::ClusterState& cluster);

// "postgres://h:5432/postgres" -> host "h", port 5432 (the default when absent). IPv6 hosts
// lose their brackets. nullopt when the URL has no host.
struct HostPort {
  std::string host;
  int port = 5432;
};
std::optional<HostPort> conn_url_host(const std::string& conn_url);

// Names of the members in `view`, comma separated, for messages ("node1, node2, node3").
std::string member_names(const ClusterView& view);

}  // namespace pghalo::ctl
