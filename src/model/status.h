// StatusSnapshot: everything the REST API answers from, published by the agent after every cycle
// and every state change as an immutable shared_ptr. Health checks evaluate it against the current
// time and never touch PostgreSQL or etcd. Value type.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/clock.h"
#include "model/cluster.h"
#include "model/member.h"
#include "model/postgres.h"

namespace pghalo::model {

struct StatusSnapshot {
  // Identity.
  std::string name;
  std::string scope;
  std::string version = "3.0.2";  // the Patroni behaviour implemented (spec 8.1 rule 3)
  std::string api_url;
  std::string conn_url;
  RoleVocabulary vocabulary = RoleVocabulary::kMaster;

  // PostgreSQL.
  PgState state = PgState::kStopped;
  Role role = Role::kUninitialized;  // from pg_is_in_recovery() while running, else internal
  PgObservation pg;                  // the last observation (xlog, timeline, replication, ...)
  std::optional<std::string> system_identifier;
  bool pending_restart = false;
  nlohmann::json scheduled_restart;  // null when none
  Tags tags;
  // The local `tags:` section as configured, false booleans included. Health-check tag filters
  // (`?tag_<key>=<value>`, spec 3.3) compare against it as Patroni does; null: use `tags`.
  nlohmann::json configured_tags = nullptr;
  bool watchdog_failed = false;

  // HA.
  MonoTime lock_valid_until{};                 // "I am the leader" while now < this
  std::optional<MonoTime> cluster_view_at;     // last successful read of etcd
  WallTime dcs_last_seen{};
  std::shared_ptr<const ClusterState> cluster; // last view; null before the first read
  bool paused = false;
  bool failsafe_active = false;
  bool standby_cluster = false;
  bool synchronous_mode = false;
  bool failsafe_mode = false;

  // Timing, for liveness and lag rules.
  std::chrono::seconds ttl{30};
  std::chrono::seconds loop_wait{10};
  long long maximum_lag_on_failover = 1048576;
  MonoTime next_cycle_at{};
  nlohmann::json dynamic_config = nullptr;  // /config as stored (GET /config)

  bool is_leader(MonoTime now) const { return now < lock_valid_until; }
  // A view of etcd younger than ttl (spec 2.1).
  bool has_cluster_view(MonoTime now) const {
    return cluster && cluster_view_at && now < *cluster_view_at + ttl;
  }
  bool sync_standby() const {
    return synchronous_mode && cluster && cluster->sync && cluster->sync->lists(MemberName(name));
  }
};

}  // namespace pghalo::model
