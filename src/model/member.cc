#include "model/member.h"

namespace pghalo::model {

std::string_view role_name(Role role, RoleVocabulary vocabulary) {
  switch (role) {
    case Role::kPrimary: return vocabulary == RoleVocabulary::kMaster ? "master" : "primary";
    case Role::kReplica: return "replica";
    case Role::kStandbyLeader: return "standby_leader";
    case Role::kDemoted: return "demoted";
    case Role::kPromoted: return "promoted";
    case Role::kUninitialized: return "uninitialized";
    case Role::kUnknown: return "unknown";
  }
  return "unknown";
}

Role parse_role(std::string_view text) {
  if (text == "master" || text == "primary") return Role::kPrimary;
  if (text == "replica") return Role::kReplica;
  if (text == "standby_leader") return Role::kStandbyLeader;
  if (text == "demoted") return Role::kDemoted;
  if (text == "promoted") return Role::kPromoted;
  if (text == "uninitialized") return Role::kUninitialized;
  return Role::kUnknown;
}

std::string_view pg_state_name(PgState state) {
  switch (state) {
    case PgState::kStopped: return "stopped";
    case PgState::kStarting: return "starting";
    case PgState::kRunning: return "running";
    case PgState::kStopping: return "stopping";
    case PgState::kRestarting: return "restarting";
    case PgState::kCrashed: return "crashed";
    case PgState::kCreatingReplica: return "creating replica";
    case PgState::kInitializingNewCluster: return "initializing new cluster";
    case PgState::kInitdbFailed: return "initdb failed";
    case PgState::kStartFailed: return "start failed";
    case PgState::kStopFailed: return "stop failed";
    case PgState::kRestartFailed: return "restart failed";
    case PgState::kUnknown: return "unknown";
  }
  return "unknown";
}

nlohmann::json Tags::to_json() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : custom) out[key] = value;
  if (nofailover) out["nofailover"] = true;
  if (noloadbalance) out["noloadbalance"] = true;
  if (clonefrom) out["clonefrom"] = true;
  if (nosync) out["nosync"] = true;
  if (nostream) out["nostream"] = true;
  if (failover_priority) out["failover_priority"] = *failover_priority;
  if (replicatefrom) out["replicatefrom"] = *replicatefrom;
  return out;
}

namespace {
bool truthy(const nlohmann::json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return v.get<long long>() != 0;
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s == "true" || s == "on" || s == "yes" || s == "1";
  }
  return false;
}
}  // namespace

Tags Tags::from_json(const nlohmann::json& object) {
  Tags tags;
  if (!object.is_object()) return tags;
  for (const auto& [key, value] : object.items()) {
    if (key == "nofailover") {
      tags.nofailover = truthy(value);
    } else if (key == "noloadbalance") {
      tags.noloadbalance = truthy(value);
    } else if (key == "clonefrom") {
      tags.clonefrom = truthy(value);
    } else if (key == "nosync") {
      tags.nosync = truthy(value);
    } else if (key == "nostream") {
      tags.nostream = truthy(value);
    } else if (key == "failover_priority" && value.is_number_integer()) {
      tags.failover_priority = value.get<long long>();
    } else if (key == "replicatefrom" && value.is_string()) {
      tags.replicatefrom = value.get<std::string>();
    } else {
      tags.custom[key] = value;
    }
  }
  return tags;
}

}  // namespace pghalo::model
