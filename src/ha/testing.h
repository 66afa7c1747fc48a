// A small world-builder for the HA core's table-driven tests: a three-member cluster seen from
// "node1", with fluent setters for the parts a row changes. Test-only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ha/decide.h"

namespace pghalo::ha::testing {

inline const MonoTime kNow = MonoTime(std::chrono::hours(10));
inline const WallTime kWallNow = WallTime(std::chrono::seconds(1795725955));
inline constexpr std::int64_t kOurLease = 1001;
inline const std::string kSysid = "7712584199298505757";

struct World {
  HaConfig cfg;
  Observation obs;
  Memory mem;

  World() {
    cfg.name = MemberName("node1");
    cfg.ttl = std::chrono::seconds(30);
    cfg.loop_wait = std::chrono::seconds(10);
    cfg.retry_timeout = std::chrono::seconds(10);
    obs.now = kNow;
    obs.wall_now = kWallNow;
    obs.lease = LeaseId(kOurLease);
    obs.lease_valid_until = kNow + std::chrono::seconds(30);
    model::ClusterState cluster;
    cluster.initialize = kSysid;
    cluster.config = nlohmann::json::object();
    obs.cluster = cluster;
    for (const char* n : {"node1", "node2", "node3"}) member(n);
    replica(1000);
  }

  model::ClusterState& cluster() { return *obs.cluster; }

  World& member(const std::string& name, const std::string& state = "running",
                const std::string& role = "replica") {
    model::Member m;
    m.name = MemberName(name);
    m.state = state;
    m.role_text = role;
    m.role = model::parse_role(role);
    m.conn_url = "postgres://127.0.0.1:5432/postgres";
    m.api_url = "http://127.0.0.1:8008/patroni";
    cluster().members[m.name] = m;
    return *this;
  }
  World& no_member(const std::string& name) {
    cluster().members.erase(MemberName(name));
    return *this;
  }
  World& leader(const std::string& name, std::int64_t lease = 0) {
    model::LeaderKey key;
    key.name = MemberName(name);
    key.lease = LeaseId(lease ? lease : (name == "node1" ? kOurLease : 2002));
    cluster().leader = key;
    if (cluster().members.count(key.name)) {
      cluster().members[key.name].role = model::Role::kPrimary;
      cluster().members[key.name].role_text = "master";
    }
    return *this;
  }
  World& no_cluster(const std::string& why = "etcd: no endpoint answered") {
    obs.cluster.reset();
    obs.dcs_error = why;
    return *this;
  }
  World& optime(std::uint64_t lsn) {
    cluster().status.optime = Lsn(lsn);
    return *this;
  }
  World& failover(std::optional<std::string> leader, std::optional<std::string> candidate) {
    model::FailoverRequest r;
    if (leader) r.leader = MemberName(*leader);
    if (candidate) r.candidate = MemberName(*candidate);
    r.mod_revision = model::Revision(77);
    cluster().failover = r;
    cluster().failover_revision = model::Revision(77);
    return *this;
  }

  World& data(model::DataDirState state) {
    obs.pg.data_dir = state;
    if (state != model::DataDirState::kValid) {
      obs.pg.control.reset();
      obs.pg.postmaster_pid.reset();
      obs.pg.accepting_connections = false;
    }
    return *this;
  }
  World& valid_data() {
    obs.pg.data_dir = model::DataDirState::kValid;
    model::ControlData control;
    control.system_identifier = kSysid;
    control.cluster_state = "in archive recovery";
    control.wal_log_hints = true;
    obs.pg.control = control;
    return *this;
  }
  World& primary(std::uint64_t lsn, std::int64_t timeline = 1) {
    valid_data();
    obs.pg.postmaster_pid = 4242;
    obs.pg.accepting_connections = true;
    obs.pg.in_recovery = false;
    obs.pg.standby_signal = false;
    obs.pg.wal_position = Lsn(lsn);
    obs.pg.timeline = model::TimelineId(timeline);
    obs.pg.control->cluster_state = "in production";
    return *this;
  }
  World& replica(std::uint64_t lsn, std::int64_t timeline = 1) {
    valid_data();
    obs.pg.postmaster_pid = 4242;
    obs.pg.accepting_connections = true;
    obs.pg.in_recovery = true;
    obs.pg.standby_signal = true;
    obs.pg.received_lsn = Lsn(lsn);
    obs.pg.replayed_lsn = Lsn(lsn);
    obs.pg.timeline = model::TimelineId(timeline);
    return *this;
  }
  World& stopped() {
    obs.pg.postmaster_pid.reset();
    obs.pg.accepting_connections = false;
    return *this;
  }
  World& not_answering() {
    obs.pg.accepting_connections = false;
    obs.pg.query_error = "connection refused";
    return *this;
  }
  World& peer(const std::string& name, std::uint64_t lsn, bool primary = false,
              bool reachable = true, bool nofailover = false) {
    if (!obs.peers) obs.peers.emplace();
    model::PeerStatus p;
    p.name = MemberName(name);
    p.reachable = reachable;
    p.is_primary = primary;
    p.wal_position = Lsn(lsn);
    p.nofailover = nofailover;
    obs.peers->push_back(p);
    return *this;
  }
  World& no_peers_answered() {
    obs.peers.emplace();
    return *this;
  }
  World& job(JobKind kind, bool may_write = false) {
    obs.job = JobRunning{kind, kNow - std::chrono::seconds(1), may_write};
    return *this;
  }
  World& finished(JobKind kind, bool ok, const std::string& detail = "") {
    obs.job_finished = JobOutcome{kind, ok, detail};
    return *this;
  }
  // A pg_stat_replication row on our (primary) server.
  World& streaming(const std::string& name, std::uint64_t flush, const std::string& sync_state = "async") {
    model::ReplicationConnection row;
    row.application_name = name;
    row.state = "streaming";
    row.sync_state = sync_state;
    row.flush_lsn = Lsn(flush);
    obs.pg.replication.push_back(row);
    return *this;
  }
  World& sync(const std::string& leader, std::vector<std::string> standbys, std::int64_t revision = 55) {
    model::SyncState s;
    s.leader = MemberName(leader);
    for (const auto& n : standbys) s.sync_standby.push_back(MemberName(n));
    s.mod_revision = model::Revision(revision);
    cluster().sync = s;
    return *this;
  }
  World& paused() {
    cfg.paused = true;
    return *this;
  }

  Decision decide() const { return ha::decide(obs, mem, cfg); }
};

// Names of a decision's actions, in order: {"acquire_leader", "promote"}.
inline std::vector<std::string> action_names(const Decision& d) {
  std::vector<std::string> out;
  for (const auto& a : d.actions) out.push_back(action_name(a));
  return out;
}

// One row of a decision table: a sentence, the world, the expected reason and actions.
struct Row {
  std::string behaviour;
  std::function<void(World&)> setup;
  Reason reason;
  std::vector<std::string> actions;
};

inline std::string describe(const Decision& d) {
  std::string out = std::string(reason_name(d.reason)) + " [";
  for (const auto& a : action_names(d)) out += a + " ";
  return out + "] " + d.detail;
}

}  // namespace pghalo::ha::testing

// Runs every row of a table as one test per row.
#define PGHALO_DECISION_TABLE(Suite, rows)                                                  \
  class Suite : public ::testing::TestWithParam<::pghalo::ha::testing::Row> {};             \
  TEST_P(Suite, DecidesAsTheTableSays) {                                                    \
    const auto& row = GetParam();                                                           \
    ::pghalo::ha::testing::World w;                                                         \
    row.setup(w);                                                                           \
    auto d = w.decide();                                                                    \
    EXPECT_EQ(::pghalo::ha::reason_name(d.reason), ::pghalo::ha::reason_name(row.reason))   \
        << row.behaviour << ": " << ::pghalo::ha::testing::describe(d);                      \
    EXPECT_EQ(::pghalo::ha::testing::action_names(d), row.actions)                          \
        << row.behaviour << ": " << ::pghalo::ha::testing::describe(d);                      \
  }                                                                                         \
  INSTANTIATE_TEST_SUITE_P(Rows, Suite, ::testing::ValuesIn(rows),                          \
                           [](const auto& row_info) { return "row" + std::to_string(row_info.index); })
