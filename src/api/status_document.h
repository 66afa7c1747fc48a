// The JSON documents of the REST API built from a status snapshot: the node status document
// (`GET /patroni` and the body of every health check, spec 3.2), `GET /cluster`, `GET /history`.
// Field names, order and shapes follow Patroni 3.0.2 (checked against the recorded fixtures).
// Not here: status codes (health.h), HTTP (rest_api.h). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "model/cluster.h"
#include "model/status.h"

namespace pghalo::api {

// The facts about this node that both the status document and the health rules use, as Patroni
// derives them per request. `view_valid` says whether the snapshot's cluster view is still fresh
// (Patroni answers as if it had no cluster at all once the view is older than ttl).
struct NodeStatus {
  std::string state;  // "running", "stopped", ...; "unknown" when running but not answering
  std::string role;   // "master"/"primary", "replica", "standby_leader", ... (vocabulary)
  bool answered = false;  // PostgreSQL answered the status query: xlog, timeline are known
  bool in_recovery = false;
  std::uint64_t replayed_location = 0;  // 0 unless a replica answered
  bool sync_standby = false;
  bool cluster_unlocked = false;
  bool view_valid = false;
};

NodeStatus node_status(const model::StatusSnapshot& snapshot, bool view_valid);

// The status document, fields in Patroni's order.
nlohmann::ordered_json status_document(const model::StatusSnapshot& snapshot,
                                       const NodeStatus& node);

// `GET /cluster` from a cluster view (members sorted by name, roles leader / standby_leader /
// sync_standby / replica, lag against /status optime).
nlohmann::ordered_json cluster_document(const model::ClusterState& cluster);

// `GET /history`: the /history lines as arrays, or [] when the key is absent.
nlohmann::ordered_json history_document(const model::ClusterState& cluster);

// Patroni's reading of a boolean /config flag (pause, synchronous_mode): true/on/yes/1.
bool config_flag(const model::ClusterState& cluster, const char* key);

// postgres://[user@]host[:port]/db -> host and port (5432 by default), as Patroni's /cluster shows
// them. Empty host when the URL cannot be read.
struct HostPort {
  std::string host;
  int port = 0;
};
HostPort conn_url_host_port(const std::string& conn_url);

// Renders PostgreSQL's timestamp text the way Patroni's JSON shows a datetime
// ("2026-11-26 20:45:44.828388+00:00"); text that is not a timestamp is returned unchanged.
std::string python_datetime_text(const std::string& pg_text);

}  // namespace pghalo::api
