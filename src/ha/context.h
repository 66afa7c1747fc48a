// Ctx: the inputs of one decision and the questions every situation asks about them
// ("do we hold the lock?", "who leads?"). Internal to the HA core. Pure; not thread-safe.
#pragma once

#include <string>

#include "ha/decision.h"

namespace pghalo::ha {

class Ctx {
 public:
  Ctx(const Observation& o, const Memory& m, const HaConfig& c) : obs(o), mem(m), cfg(c) {}

  const Observation& obs;
  const Memory& mem;
  const HaConfig& cfg;

  bool has_cluster() const { return obs.cluster.has_value(); }
  const model::ClusterState& cluster() const { return *obs.cluster; }

  // The leader key names us (whichever lease it is on).
  bool holds_lock() const { return has_cluster() && cluster().is_leader(cfg.name); }
  // ... and it is bound to our current lease, so it lives exactly as long as our lease.
  bool lock_on_our_lease() const {
    return holds_lock() && obs.lease && cluster().leader->lease == *obs.lease;
  }
  std::optional<MemberName> leader_name() const {
    if (!has_cluster() || !cluster().leader) return std::nullopt;
    return cluster().leader->name;
  }
  const model::Member* member(const MemberName& name) const {
    return has_cluster() ? cluster().member(name) : nullptr;
  }
  const model::Member* self_member() const { return member(cfg.name); }

  // The member names other than us, in name order.
  std::vector<MemberName> other_members() const;

  bool is_primary() const { return obs.pg.is_primary(); }
  bool is_replica() const { return obs.pg.is_replica(); }
  Lsn my_position() const { return obs.pg.position(); }

  // A decision that keeps everything as it is, with this reason.
  Decision make(Reason reason, std::string detail = {}) const;
  std::string name() const { return cfg.name.value; }
};

// Situations: each handles one state of the world; decide() picks exactly one.
Decision decide_dcs_unavailable(const Ctx& ctx);
Decision decide_failsafe(const Ctx& ctx, const std::string& why);
Decision decide_job_in_progress(const Ctx& ctx);
Decision decide_bootstrapping(const Ctx& ctx);
Decision decide_uninitialized(const Ctx& ctx);
Decision decide_postgres_down(const Ctx& ctx);
Decision decide_paused(const Ctx& ctx);
Decision decide_leader_race(const Ctx& ctx);
Decision decide_leading(const Ctx& ctx);
Decision decide_switchover(const Ctx& ctx, Decision base);
Decision decide_following(const Ctx& ctx);
// Synchronous replication steps of a primary leader (sync.cc).
void manage_sync(const Ctx& ctx, Decision& d);
void prepare_sync_for_promotion(const Ctx& ctx, Decision& d);
void prepare_sync_for_start(const Ctx& ctx, Decision& d);

// When the local PostgreSQL must stop accepting writes, given the decision (fence.cc).
Fence compute_fence(const Ctx& ctx, const Decision& decision);
// What the member key publishes (state, role), given the decision (publish_state.cc).
void settle_published_state(const Ctx& ctx, Decision& decision);

}  // namespace pghalo::ha
