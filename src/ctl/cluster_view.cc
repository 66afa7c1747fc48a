#include "ctl/cluster_view.h"

#include <algorithm>

#include "common/strings.h"

namespace pghalo::ctl {
namespace {

bool truthy(const nlohmann::json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number()) return value.get<double>() != 0;
  if (value.is_string() || value.is_structured()) return !value.empty();
  return false;
}

std::string role_of(const model::ClusterState& cluster, const model::Member& member,
                    bool standby) {
  if (cluster.is_leader(member.name)) return standby ? "standby_leader" : "leader";
  if (cluster.sync && cluster.sync->leader && cluster.sync->lists(member.name)) {
    return "sync_standby";
  }
  return "replica";
}

std::string initialize_text(const model::ClusterState& cluster) {
  if (!cluster.initialize) return "uninitialized";
  if (cluster.initialize->empty()) return "initializing";
  return *cluster.initialize;
}

std::optional<ScheduledSwitchover> scheduled(const model::ClusterState& cluster) {
  if (!cluster.failover || !cluster.failover->scheduled_text) return std::nullopt;
  ScheduledSwitchover out;
  out.at = *cluster.failover->scheduled_text;
  if (cluster.failover->leader) out.from = cluster.failover->leader->value;
  if (cluster.failover->candidate) out.to = cluster.failover->candidate->value;
  return out;
}

}  // namespace

bool is_paused(const model::ClusterState& cluster) {
  return cluster.config && cluster.config->is_object() && truthy(cluster.config->value("pause", nlohmann::json()));
}

long long loop_wait_of(const model::ClusterState& cluster) {
  if (cluster.config && cluster.config->is_object()) {
    auto it = cluster.config->find("loop_wait");
    if (it != cluster.config->end() && it->is_number_integer()) return it->get<long long>();
  }
  return 10;
}

bool is_standby_cluster(const model::ClusterState& cluster) {
  if (!cluster.config || !cluster.config->is_object()) return false;
  auto it = cluster.config->find("standby_cluster");
  if (it == cluster.config->end() || !it->is_object()) return false;
  for (const char* key : {"host", "port", "restore_command"}) {
    if (truthy(it->value(key, nlohmann::json()))) return true;
  }
  return false;
}

std::optional<HostPort> conn_url_host(const std::string& conn_url) {
  auto scheme_end = conn_url.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  std::string rest = conn_url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  auto at = rest.rfind('@');
  if (at != std::string::npos) rest = rest.substr(at + 1);
  HostPort out;
  std::string port_text;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) return std::nullopt;
    out.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port_text = rest.substr(close + 2);
  } else {
    auto colon = rest.rfind(':');
    out.host = rest.substr(0, colon);
    if (colon != std::string::npos) port_text = rest.substr(colon + 1);
  }
  if (out.host.empty()) return std::nullopt;
  out.host = to_lower(out.host);  // urlparse lower-cases the host
  if (!port_text.empty()) {
    auto port = parse_int64(port_text);
    if (!port || *port <= 0 || *port > 65535) return std::nullopt;
    out.port = static_cast<int>(*port);
  }
  return out;
}

ClusterView view_cluster(const model::ClusterState& cluster) {
  ClusterView view;
  view.paused = is_paused(cluster);
  view.standby_cluster = is_standby_cluster(cluster);
  view.scheduled_switchover = scheduled(cluster);
  view.initialize = initialize_text(cluster);
  std::uint64_t cluster_lsn = cluster.status.optime.value;
  for (const auto& [name, member] : cluster.members) {
    MemberView m;
    m.name = name.value;
    m.role = role_of(cluster, member, view.standby_cluster);
    m.is_leader = cluster.is_leader(name);
    m.state = member.state;
    m.api_url = member.api_url;
    if (auto hp = conn_url_host(member.conn_url)) {
      m.host = hp->host;
      m.port = hp->port;
    }
    if (member.timeline) m.timeline = member.timeline->value;
    m.pending_restart = member.pending_restart;
    m.scheduled_restart = member.scheduled_restart;
    if (member.raw.is_object() && member.raw.contains("tags")) m.tags = member.raw["tags"];
    if (member.xlog_location) m.xlog_location = member.xlog_location->value;
    if (!m.is_leader && member.xlog_location) {
      m.lag = model::lsn_distance(model::Lsn(cluster_lsn), *member.xlog_location);
    }
    view.members.push_back(std::move(m));
  }
  std::sort(view.members.begin(), view.members.end(),
            [](const MemberView& a, const MemberView& b) { return a.name < b.name; });
  return view;
}

std::string member_names(const ClusterView& view) {
  std::vector<std::string> names;
  for (const auto& m : view.members) names.push_back(m.name);
  return names.empty() ? "(none)" : join(names, ", ");
}

}  // namespace pghalo::ctl
