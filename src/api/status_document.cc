#include "api/status_document.h"

#include "api/timestamps.h"
#include "common/strings.h"

namespace pghalo::api {
namespace {

using Json = nlohmann::ordered_json;

bool query_answered(const model::StatusSnapshot& s) {
  bool state_queries = s.state == model::PgState::kRunning ||
                       s.state == model::PgState::kStarting ||
                       s.state == model::PgState::kRestarting;
  return state_queries && s.pg.accepting_connections;
}

Json xlog_document(const model::PgObservation& pg) {
  Json xlog = Json::object();
  if (!pg.in_recovery) {
    xlog["location"] = pg.wal_position.value;
    return xlog;
  }
  // Patroni reports the replay position as "received" while no WAL receiver has written yet.
  std::uint64_t received = pg.received_lsn.value != 0 ? pg.received_lsn.value : pg.replayed_lsn.value;
  xlog["received_location"] = received;
  xlog["replayed_location"] = pg.replayed_lsn.value;
  if (pg.replayed_timestamp) {
    xlog["replayed_timestamp"] = python_datetime_text(*pg.replayed_timestamp);
  } else {
    xlog["replayed_timestamp"] = nullptr;
  }
  xlog["paused"] = pg.replay_paused;
  return xlog;
}

Json replication_rows(const std::vector<model::ReplicationConnection>& rows) {
  Json out = Json::array();
  for (const auto& row : rows) {
    Json item = Json::object();
    item["usename"] = row.usename;
    item["application_name"] = row.application_name;
    item["client_addr"] = row.client_addr.empty() ? Json(nullptr) : Json(row.client_addr);
    item["state"] = row.state;
    item["sync_state"] = row.sync_state;
    item["sync_priority"] = row.sync_priority;
    out.push_back(std::move(item));
  }
  return out;
}

Json to_ordered(const nlohmann::json& value) { return Json::parse(value.dump()); }

bool standby_config(const nlohmann::json& standby) {
  if (!standby.is_object()) return false;
  for (const char* key : {"host", "port", "restore_command"}) {
    auto it = standby.find(key);
    if (it == standby.end() || it->is_null()) continue;
    if (it->is_string() && it->get<std::string>().empty()) continue;
    if (it->is_number() && it->get<double>() == 0) continue;
    if (it->is_boolean() && !it->get<bool>()) continue;
    return true;
  }
  return false;
}

}  // namespace

std::string python_datetime_text(const std::string& pg_text) {
  auto parsed = parse_timestamp(pg_text);
  return parsed ? format_python_str(*parsed) : pg_text;
}

bool config_flag(const model::ClusterState& cluster, const char* key) {
  if (!cluster.config || !cluster.config->is_object()) return false;
  auto it = cluster.config->find(key);
  if (it == cluster.config->end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_number_integer()) return it->get<long long>() == 1;
  if (it->is_string()) {
    std::string v = to_lower(it->get<std::string>());
    return v == "on" || v == "true" || v == "yes" || v == "1";
  }
  return false;
}

NodeStatus node_status(const model::StatusSnapshot& s, bool view_valid) {
  NodeStatus node;
  node.view_valid = view_valid;
  node.answered = query_answered(s);
  node.state = std::string(model::pg_state_name(s.state));
  if (node.answered) {
    node.in_recovery = s.pg.in_recovery;
    if (!s.pg.in_recovery) {
      node.role = std::string(model::role_name(model::Role::kPrimary, s.vocabulary));
    } else if (s.standby_cluster) {
      node.role = std::string(model::role_name(s.role, s.vocabulary));
    } else {
      node.role = "replica";
    }
    if (node.in_recovery) node.replayed_location = s.pg.replayed_lsn.value;
  } else {
    if (s.state == model::PgState::kRunning) node.state = "unknown";
    node.role = std::string(model::role_name(s.role, s.vocabulary));
  }
  bool has_view = view_valid && s.cluster != nullptr;
  node.sync_standby = node.answered && node.role == "replica" && has_view &&
                      config_flag(*s.cluster, "synchronous_mode") && s.cluster->sync &&
                      s.cluster->sync->lists(model::MemberName(s.name));
  node.cluster_unlocked = !has_view || !s.cluster->has_leader();
  return node;
}

Json status_document(const model::StatusSnapshot& s, const NodeStatus& node) {
  Json doc = Json::object();
  doc["state"] = node.state;
  if (node.answered) {
    doc["postmaster_start_time"] = s.pg.postmaster_start_time.empty()
                                       ? Json(nullptr)
                                       : Json(python_datetime_text(s.pg.postmaster_start_time));
    doc["role"] = node.role;
    doc["server_version"] = s.pg.server_version;
    doc["xlog"] = xlog_document(s.pg);
    if (node.sync_standby) doc["sync_standby"] = true;
    doc["timeline"] = s.pg.timeline.value != 0 ? Json(s.pg.timeline.value) : Json(nullptr);
    if (!s.pg.replication.empty()) doc["replication"] = replication_rows(s.pg.replication);
  } else {
    doc["role"] = node.role;
  }
  if (node.cluster_unlocked) doc["cluster_unlocked"] = true;
  if (s.failsafe_active) doc["failsafe_mode_is_active"] = true;
  doc["dcs_last_seen"] = epoch_seconds(s.dcs_last_seen);
  Json tags = to_ordered(s.tags.to_json());
  if (!tags.empty()) doc["tags"] = std::move(tags);
  if (s.system_identifier) doc["database_system_identifier"] = *s.system_identifier;
  if (s.pending_restart) doc["pending_restart"] = true;
  doc["patroni"] = Json{{"version", s.version}, {"scope", s.scope}};
  if (s.scheduled_restart.is_object()) {
    Json scheduled = to_ordered(s.scheduled_restart);
    scheduled.erase("postmaster_start_time");
    doc["scheduled_restart"] = std::move(scheduled);
  }
  if (s.watchdog_failed) doc["watchdog_failed"] = true;
  if (s.paused) doc["pause"] = true;
  return doc;
}

HostPort conn_url_host_port(const std::string& conn_url) {
  HostPort out;
  std::size_t scheme = conn_url.find("://");
  if (scheme == std::string::npos) return out;
  std::string_view rest = std::string_view(conn_url).substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  std::size_t at = rest.rfind('@');
  if (at != std::string_view::npos) rest.remove_prefix(at + 1);
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return out;
    out.host = std::string(rest.substr(1, close - 1));
    if (close + 1 < rest.size() && rest[close + 1] == ':') port_text = rest.substr(close + 2);
  } else {
    std::size_t colon = rest.find(':');
    out.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  out.host = to_lower(out.host);  // urlparse's hostname is lower-cased
  auto port = parse_int64(port_text);
  out.port = port && *port > 0 && *port < 65536 ? static_cast<int>(*port) : 5432;
  return out;
}

Json cluster_document(const model::ClusterState& cluster) {
  std::string leader = cluster.leader ? cluster.leader->name.value : std::string();
  bool standby = cluster.config && cluster.config->is_object() &&
                 standby_config(cluster.config->value("standby_cluster", nlohmann::json()));
  Json members = Json::array();
  for (const auto& [name, member] : cluster.members) {  // std::map: sorted by name
    Json m = Json::object();
    m["name"] = name.value;
    if (!leader.empty() && name.value == leader) {
      m["role"] = standby ? "standby_leader" : "leader";
    } else if (cluster.sync && cluster.sync->lists(name)) {
      m["role"] = "sync_standby";
    } else {
      m["role"] = "replica";
    }
    m["state"] = member.state;
    m["api_url"] = member.api_url.empty() ? Json(nullptr) : Json(member.api_url);
    HostPort hp = conn_url_host_port(member.conn_url);
    if (!hp.host.empty()) {
      m["host"] = hp.host;
      m["port"] = hp.port;
    }
    for (const char* key : {"timeline", "pending_restart", "scheduled_restart", "tags"}) {
      if (member.raw.is_object() && member.raw.contains(key)) m[key] = to_ordered(member.raw[key]);
    }
    if (name.value != leader) {
      if (!member.xlog_location) {
        m["lag"] = "unknown";
      } else {
        m["lag"] = lsn_distance(cluster.status.optime, *member.xlog_location);
      }
    }
    members.push_back(std::move(m));
  }
  Json doc = Json::object();
  doc["members"] = std::move(members);
  if (config_flag(cluster, "pause")) doc["pause"] = true;
  if (cluster.failover && cluster.failover->scheduled_at) {
    const auto& request = *cluster.failover;
    auto parsed = request.scheduled_text ? parse_timestamp(*request.scheduled_text) : std::nullopt;
    Json scheduled = Json::object();
    scheduled["at"] = parsed ? format_python_isoformat(*parsed) : format_iso8601(*request.scheduled_at);
    if (request.leader) scheduled["from"] = request.leader->value;
    if (request.candidate) scheduled["to"] = request.candidate->value;
    doc["scheduled_switchover"] = std::move(scheduled);
  }
  return doc;
}

Json history_document(const model::ClusterState& cluster) {
  Json out = Json::array();
  if (!cluster.history) return out;
  for (const auto& entry : *cluster.history) {
    Json line = Json::array({entry.timeline.value, entry.switch_lsn.value, entry.reason});
    if (entry.timestamp) line.push_back(*entry.timestamp);
    if (entry.timestamp && entry.new_leader) line.push_back(*entry.new_leader);
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace pghalo::api
