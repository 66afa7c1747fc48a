#include "api/health.h"

#include <limits>

#include "common/strings.h"

namespace pghalo::api {
namespace {

struct LeaderCodes {
  int leader = 503;
  int primary = 503;
  int standby_leader = 503;
  int replica = 503;
};

bool contains(const std::string& path, const char* word) {
  return path.find(word) != std::string::npos;
}

bool is_primary_role(const std::string& role) { return role == "master" || role == "primary"; }

std::uint64_t max_lag(const std::map<std::string, std::string>& query) {
  auto it = query.find("lag");
  if (it == query.end()) return std::numeric_limits<std::uint64_t>::max();
  auto bytes = parse_byte_size(trim(it->second));
  // Patroni treats an unreadable ?lag= as "no limit" rather than refusing the check.
  return bytes.value_or(std::numeric_limits<std::uint64_t>::max());
}

LeaderCodes leader_codes(const model::StatusSnapshot& s, const NodeStatus& node,
                         const std::map<std::string, std::string>& query, MonoTime now) {
  LeaderCodes codes;
  std::uint64_t optime = node.view_valid && s.cluster ? s.cluster->status.optime.value : 0;
  std::uint64_t lag = max_lag(query);
  std::uint64_t limit = node.replayed_location > std::numeric_limits<std::uint64_t>::max() - lag
                            ? std::numeric_limits<std::uint64_t>::max()
                            : node.replayed_location + lag;
  bool lagging = optime != 0 && optime > limit;
  bool replica_ok = !s.tags.noloadbalance && !lagging && node.role == "replica" &&
                    node.state == "running";
  codes.replica = replica_ok ? 200 : 503;
  if (!node.view_valid && s.paused) {
    // No cluster view in maintenance mode: the role alone decides.
    codes.leader = is_primary_role(node.role) || node.role == "standby_leader" ? 200 : 503;
    codes.primary = is_primary_role(node.role) ? 200 : 503;
    codes.standby_leader = node.role == "standby_leader" ? 200 : 503;
  } else if (s.is_leader(now)) {
    codes.leader = 200;
    if (s.standby_cluster) {
      codes.primary = 503;
      codes.replica = 503;
      codes.standby_leader = node.role == "replica" || node.role == "standby_leader" ? 200 : 503;
    } else {
      codes.primary = 200;
      codes.standby_leader = 503;
    }
  }
  return codes;
}

// Python's str(value).lower() for a configured tag value.
std::string tag_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  return to_lower(value.dump());
}

}  // namespace

bool tags_match(const std::map<std::string, std::string>& query,
                const model::StatusSnapshot& s) {
  const nlohmann::json tags =
      s.configured_tags.is_object() ? s.configured_tags : s.tags.to_json();
  for (const auto& [key, expected] : query) {
    if (key.rfind("tag_", 0) != 0) continue;
    auto it = tags.find(key.substr(4));
    if (it == tags.end() || it->is_null()) return false;
    if (tag_text(*it) != expected) return false;
  }
  return true;
}

int health_check_status(const std::string& raw_path,
                        const std::map<std::string, std::string>& query,
                        const model::StatusSnapshot& s, const NodeStatus& node, MonoTime now) {
  const std::string path = raw_path == "/" ? "/primary" : raw_path;
  LeaderCodes codes = leader_codes(s, node, query, now);
  int status = 503;
  bool apply_tags = true;
  if (contains(path, "standby_leader") || contains(path, "standby-leader")) {
    status = codes.standby_leader;
    apply_tags = false;
  } else if (contains(path, "leader")) {
    status = codes.leader;
    apply_tags = false;
  } else if (contains(path, "master") || contains(path, "primary") ||
             contains(path, "read-write")) {
    status = codes.primary;
    apply_tags = false;
  } else if (contains(path, "replica")) {
    status = codes.replica;
  } else if (contains(path, "read-only") && !contains(path, "sync")) {
    status = codes.primary == 200 || codes.standby_leader == 200 ? 200 : codes.replica;
  } else if (contains(path, "health")) {
    status = node.state == "running" ? 200 : 503;
  } else if (node.view_valid && s.cluster) {
    if ((path == "/sync" || path == "/synchronous") && node.sync_standby) {
      status = codes.replica;
    } else if ((path == "/async" || path == "/asynchronous") && !node.sync_standby) {
      status = codes.replica;
    } else if (path == "/read-only-sync" || path == "/read-only-synchronous") {
      if (codes.primary == 200 || codes.standby_leader == 200) {
        status = 200;
      } else if (node.sync_standby) {
        status = codes.replica;
      }
    }
  }
  if (apply_tags && status == 200 && !tags_match(query, s)) status = 503;
  return status;
}

int liveness_status(const model::StatusSnapshot& s, MonoTime now) {
  if (s.paused) return 200;  // a stuck loop is expected in maintenance mode
  bool running_primary = s.role == model::Role::kPrimary && s.pg.running();
  // A replica may lag behind its loop longer before being declared dead.
  auto threshold = running_primary ? s.ttl : 2 * s.ttl;
  return s.next_cycle_at + threshold > now ? 200 : 503;
}

int readiness_status(const model::StatusSnapshot& s, const NodeStatus& node, MonoTime now) {
  if (s.is_leader(now)) return 200;
  if (s.state == model::PgState::kRunning) return node.view_valid && s.cluster ? 200 : 503;
  return 503;
}

}  // namespace pghalo::api
