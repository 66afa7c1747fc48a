// The vocabulary of the pure HA core: what one cycle observes (Observation), what it remembers
// between cycles (Memory), the effective settings (HaConfig), and what it decides (Decision: a
// list of Actions, a stable Reason, and when PostgreSQL must stop accepting writes).
//
// No I/O, no clocks, no threads: time arrives in Observation::now. Value types.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "ha/reason.h"
#include "model/cluster.h"
#include "model/member.h"
#include "model/postgres.h"

namespace pghalo::ha {

using model::LeaseId;
using model::Lsn;
using model::MemberName;
using model::PgState;
using model::Role;

struct HaConfig {
  MemberName name;
  model::Tags tags;
  std::chrono::seconds ttl{30};
  std::chrono::seconds loop_wait{10};
  std::chrono::seconds retry_timeout{10};
  std::uint64_t maximum_lag_on_failover = 1048576;
  bool check_timeline = false;
  std::chrono::seconds primary_start_timeout{300};
  bool use_pg_rewind = false;
  bool use_slots = true;
  bool may_bootstrap = true;  // the local config has a bootstrap section
  bool paused = false;
  bool failsafe_mode = false;
  // Synchronous replication (spec 2.14).
  bool synchronous_mode = false;
  bool synchronous_mode_strict = false;
  int synchronous_node_count = 1;
  long long maximum_lag_on_syncnode = -1;  // bytes; <= 0: no limit
  // Writes stop this long before the lease could expire in etcd (clock-rate drift, the time to
  // signal the postmaster, etcd's own timer granularity).
  Duration fencing_margin{2000};
};

// Long actions run by the agent's job runner while cycles go on.
enum class JobKind {
  kBootstrap,    // initdb, start, create users
  kClone,        // pg_basebackup from a member, then start as a replica
  kStart,        // start PostgreSQL (as primary or replica, see StartPostgres)
  kRejoin,       // check divergence from the leader, pg_rewind if needed, start as its replica
  kPromote,      // pg_ctl promote and wait until it accepts writes
  kStop,         // stop PostgreSQL in some mode
  kFollow,       // point recovery at another upstream and reload
  kReinitialize, // wipe the data directory and clone again
  kRestart,      // stop and start PostgreSQL in the same role (an operator's request)
};

std::string_view job_kind_name(JobKind kind);

struct JobRunning {
  JobKind kind;
  MonoTime started_at;
  bool may_write = false;  // the job can leave PostgreSQL accepting writes (start as primary,
                           // promote, bootstrap): the fence must cover it
};

struct JobOutcome {
  JobKind kind;
  bool succeeded = false;
  std::string detail;
};

struct Observation {
  MonoTime now{};
  WallTime wall_now{};

  // The cluster from etcd; nullopt when etcd could not be read this cycle (dcs_error says why).
  std::optional<model::ClusterState> cluster;
  std::string dcs_error;

  // This agent's lease and how long etcd will surely keep it (last confirmed keepalive).
  std::optional<LeaseId> lease;
  MonoTime lease_valid_until{};

  model::PgObservation pg;

  std::optional<JobRunning> job;           // a long action in progress
  std::optional<JobOutcome> job_finished;  // delivered once, in the cycle after a job ended

  // Peer statuses, delivered once, in the cycle right after a FetchPeerStatus action.
  std::optional<std::vector<model::PeerStatus>> peers;

  // This process won the `initialize` race and has not yet published the system identifier.
  bool won_initialize = false;

  // failsafe_mode (spec 2.7). The answer of the last POST /failsafe round this member sent while
  // etcd was unreachable: when it was sent and whether every member accepted it.
  struct FailsafeRound {
    MonoTime sent_at{};
    bool all_accepted = false;
  };
  std::optional<FailsafeRound> failsafe_round;
  // A leader that reached us with POST /failsafe while etcd was down, and until when its
  // heartbeat keeps us out of the leader race (ttl after we received it).
  std::optional<MemberName> failsafe_leader;
  MonoTime failsafe_leader_until{};
};

enum class StopMode { kFast, kImmediate };

// ---- Actions ---------------------------------------------------------------------------------

// etcd
struct AcquireLeader {};
struct RefreshLeader {};  // move the leader key to our current lease (after a lease re-grant)
struct ReleaseLeader {};
struct TakeLeaderAfterBootstrap {};
struct RaceInitialize {};
struct SetInitialize {
  std::string system_identifier;
};
struct DeleteInitialize {};
struct PublishBootstrapConfig {};  // write bootstrap.dcs to /config
struct ClearFailoverRequest {
  model::Revision expected;
};
struct PublishLeaderStatus {
  Lsn optime;
};
struct UpdateHistory {};  // rebuild /history from the local timeline history files
struct FetchPeerStatus {
  std::vector<MemberName> members;
};
// failsafe_mode: the leader's POST /failsafe to these members (etcd unreachable).
struct PostFailsafe {
  std::vector<MemberName> members;
};
// failsafe_mode: the leader keeps `/failsafe` = every member's api_url (spec 1.3.8).
struct PublishFailsafe {
  std::map<MemberName, std::string> members;
};
// Synchronous replication (spec 2.14): `/sync` and synchronous_standby_names.
struct WriteSync {
  std::vector<MemberName> standbys;  // sorted; empty: "sync_standby": null
  model::Revision expected;          // 0: the key must not exist
};
struct DeleteSync {
  model::Revision expected;
};
struct SetSynchronousStandbyNames {
  std::vector<MemberName> names;  // sorted; empty with `strict`: '*' (any standby)
  bool strict = false;
  int count = 1;
  bool operator==(const SetSynchronousStandbyNames&) const = default;
};
// PostgreSQL, inline (fast)
struct SyncReplicationSlots {
  std::vector<MemberName> members;  // one physical slot each
};
// PostgreSQL, jobs
struct Bootstrap {};
struct Clone {
  MemberName source;
};
struct StartPostgres {
  bool as_primary = false;
  std::optional<MemberName> upstream;  // replica: whom to stream from (none: no upstream)
};
struct Rejoin {
  MemberName leader;
};
struct Promote {
  // The new timeline must be above this one: the newest the cluster used, whose holders may be
  // gone (leader_race.cc). 0: PostgreSQL's own choice.
  std::int64_t above_timeline = 0;
};
struct StopPostgres {
  StopMode mode = StopMode::kFast;
};
struct FollowLeader {
  std::optional<MemberName> leader;
};
// The agent cannot go on (e.g. system identifier mismatch): stop and exit with this message.
struct Fatal {
  std::string message;
};

using Action =
    std::variant<AcquireLeader, RefreshLeader, ReleaseLeader, TakeLeaderAfterBootstrap,
                 RaceInitialize, SetInitialize, DeleteInitialize, PublishBootstrapConfig,
                 ClearFailoverRequest, PublishLeaderStatus, UpdateHistory, FetchPeerStatus,
                 PostFailsafe, PublishFailsafe, WriteSync, DeleteSync, SetSynchronousStandbyNames,
                 SyncReplicationSlots, Bootstrap, Clone, StartPostgres, Rejoin, Promote,
                 StopPostgres, FollowLeader, Fatal>;

std::string action_name(const Action& action);
// The job an action starts, if it is one.
std::optional<JobKind> job_of(const Action& action);

// ---- Memory ----------------------------------------------------------------------------------

struct Memory {
  PgState state = PgState::kStopped;  // published in the member key
  Role role = Role::kUninitialized;   // published while PostgreSQL does not answer
  bool was_primary = false;           // PostgreSQL answered as a primary last time it answered
  // PostgreSQL ran as a primary since it last rejoined a leader: it may hold WAL the leader
  // lacks, so it must go through the rejoin (divergence check, pg_rewind) before following.
  bool rejoin_pending = false;
  std::optional<LeaseId> leader_lease;         // the lease we last held the leader key on
  std::optional<MemberName> following;         // upstream we configured
  bool releasing_for_switchover = false;       // stopped PG for a switchover; release next
  int clone_failures = 0;
  MonoTime next_clone_at{};
  std::optional<MonoTime> start_began_at;      // PostgreSQL start while holding the lock
  // The members of `/failsafe` in the last view of etcd: whom a leader must reach, and whom a
  // replica must ask, while failsafe_mode is on (spec 2.7).
  std::map<MemberName, std::string> failsafe_members;
  // What synchronous_standby_names was last set to (nullopt: never set by this process).
  std::optional<SetSynchronousStandbyNames> sync_standby_names;
  // The /failover request (by the key's revision) and when we first saw it with nobody leading:
  // a candidate it names gets ttl from then to take the lock (leader_race.cc).
  struct SeenRequest {
    model::Revision revision;
    MonoTime since{};
  };
  std::optional<SeenRequest> failover_seen;
};

// ---- Decision --------------------------------------------------------------------------------

// When the local PostgreSQL must stop accepting writes. The fencing thread enforces it.
struct Fence {
  bool armed = false;
  MonoTime writable_until{};  // when armed: SIGQUIT the postmaster at this instant

  static Fence disarmed() { return {}; }
  static Fence until(MonoTime t) { return {true, t}; }
  bool operator==(const Fence&) const = default;
};

struct Decision {
  std::vector<Action> actions;
  Reason reason = Reason::kNoAction;
  std::string detail;  // one sentence for the log
  Memory memory;
  Fence fence;
  std::optional<Duration> wake_in;  // run the next cycle sooner than loop_wait

  bool has(auto predicate) const {
    for (const auto& a : actions) {
      if (predicate(a)) return true;
    }
    return false;
  }
  template <typename A>
  bool has() const {
    for (const auto& a : actions) {
      if (std::holds_alternative<A>(a)) return true;
    }
    return false;
  }
  template <typename A>
  const A* find() const {
    for (const auto& a : actions) {
      if (auto* p = std::get_if<A>(&a)) return p;
    }
    return nullptr;
  }
};

}  // namespace pghalo::ha
