// What a member publishes about itself in etcd (`members/<name>`, spec 1.3.1) and what the
// leader race learns from a peer's `GET /patroni` (spec 3.2). Value types, no I/O.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "model/ids.h"

namespace pghalo::model {

// The member role as stored in etcd and shown by REST. Patroni 3.0.2 writes "master" where 4.x
// writes "primary"; readers accept both (spec 1.3.1).
enum class Role { kPrimary, kReplica, kStandbyLeader, kDemoted, kPromoted, kUninitialized, kUnknown };

enum class RoleVocabulary { kMaster /* Patroni 3.0.2, default */, kPrimary /* Patroni 4.x */ };

std::string_view role_name(Role role, RoleVocabulary vocabulary = RoleVocabulary::kMaster);
Role parse_role(std::string_view text);  // accepts master and primary; kUnknown otherwise

// PostgreSQL state as the agent publishes it (spec 2.20).
enum class PgState {
  kStopped,
  kStarting,
  kRunning,
  kStopping,
  kRestarting,
  kCrashed,
  kCreatingReplica,
  kInitializingNewCluster,
  kInitdbFailed,
  kStartFailed,
  kStopFailed,
  kRestartFailed,
  kUnknown,
};

std::string_view pg_state_name(PgState state);

// Tags from the local `tags:` section (spec 2.15). Built-in booleans are published only when true.
struct Tags {
  bool nofailover = false;
  bool noloadbalance = false;
  bool clonefrom = false;
  bool nosync = false;
  bool nostream = false;
  std::optional<long long> failover_priority;
  std::optional<std::string> replicatefrom;
  std::map<std::string, nlohmann::json> custom;  // any other key, published as given

  // May this member ever take the leader lock? (nofailover wins over failover_priority.)
  bool can_failover() const {
    return !nofailover && !(failover_priority.has_value() && *failover_priority <= 0);
  }
  // The JSON object published in the member key and REST (empty object when no effective tags).
  nlohmann::json to_json() const;
  static Tags from_json(const nlohmann::json& object);
  bool operator==(const Tags&) const = default;
};

// One member key as read from etcd.
struct Member {
  MemberName name;
  std::string conn_url;
  std::string api_url;
  std::string state;     // free text: peers may publish states we do not know
  std::string role_text; // as published ("master", "primary", "replica", ...)
  Role role = Role::kUnknown;
  std::string version;
  std::optional<Lsn> xlog_location;
  std::optional<TimelineId> timeline;
  std::optional<std::string> replication_state;
  Tags tags;
  bool pending_restart = false;
  bool pause = false;
  // Present (false) only on a freshly promoted leader until its post-promote CHECKPOINT ran.
  std::optional<bool> checkpoint_after_promote;
  nlohmann::json scheduled_restart;  // null when none
  LeaseId lease;
  Revision mod_revision;
  nlohmann::json raw;  // the whole published object, for pass-through fields

  bool is_running() const { return state == "running"; }
  bool is_primary_role() const { return role == Role::kPrimary || role == Role::kPromoted; }
};

// A peer's answer to `GET <api_url>` (the fields the leader race needs, spec 3.2).
struct PeerStatus {
  MemberName name;
  bool reachable = false;        // false: timeout, refused, non-JSON, or no `xlog`
  bool is_primary = false;       // its `xlog` has `location`
  Lsn wal_position;              // location, or max(received, replayed)
  std::optional<TimelineId> timeline;
  bool nofailover = false;       // tags.nofailover (or failover_priority <= 0)
  long long failover_priority = 1;
  bool watchdog_failed = false;
  std::string state;
  std::string error;             // why it is unreachable, for logs
};

}  // namespace pghalo::model
