// Situation: maintenance mode (`pause: true` in /config, spec 2.10). No automatic start, stop,
// promote or demote; the lock follows the running primary: it takes a free lock and gives the
// lock up when it stops being primary.
#include "ha/context.h"

namespace pghalo::ha {

Decision decide_paused(const Ctx& ctx) {
  bool primary = ctx.is_primary();
  if (!ctx.cluster().has_leader()) {
    if (!primary) return ctx.make(Reason::kPausedNoAction);
    Decision d = ctx.make(Reason::kPausedAcquiringLock);
    d.actions.push_back(AcquireLeader{});
    return d;
  }
  if (!ctx.holds_lock()) return ctx.make(Reason::kPausedNoAction);
  if (!primary) {
    Decision d = ctx.make(Reason::kPausedReleasingLock);
    d.actions.push_back(ReleaseLeader{});
    d.memory.leader_lease.reset();
    return d;
  }
  Decision d = ctx.make(Reason::kPausedLeader,
                        "PAUSE: no action. I am (" + ctx.name() + "), the leader with the lock");
  if (!ctx.lock_on_our_lease()) {
    d.actions.push_back(RefreshLeader{});
  } else {
    d.memory.leader_lease = ctx.obs.lease;
  }
  Lsn optime = ctx.obs.pg.wal_position;
  if (optime.value != ctx.cluster().status.optime.value) d.actions.push_back(PublishLeaderStatus{optime});
  return d;
}

}  // namespace pghalo::ha
