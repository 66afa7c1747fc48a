// The fencing rule (design.md section 2): PostgreSQL may accept writes only while this member
// provably holds the leader lock. Proof = the leader key names us and our lease, confirmed by a
// keepalive sent at some instant S, cannot expire in etcd before S + ttl; we stop writes at
// S + ttl - fencing_margin. The fencing thread enforces the deadline even if the loop stalls.
#include <algorithm>

#include "ha/context.h"

namespace pghalo::ha {
namespace {

bool may_accept_writes(const Ctx& ctx, const Decision& d) {
  const auto& pg = ctx.obs.pg;
  if (pg.is_primary()) return true;
  // A postmaster that does not answer may come up as a primary any moment: one we saw answer as
  // a primary (this cycle's memory, which already counts a promotion that just ended:
  // publish_state.cc), or one whose data directory has no standby.signal. The second needs no
  // memory: a fresh agent process (simulator seed 1771: the leader's agent was SIGKILLed during
  // its start-as-primary job and came back after another member had taken over) or one that never
  // saw its PostgreSQL answer (seed 419: a start that outlived pg_ctl's timeout, then crash
  // recovery) fenced nothing, and recovery ended into a second writable primary.
  if (pg.running() && !pg.accepting_connections &&
      (d.memory.was_primary || pg.unanswering_primary())) {
    return true;
  }
  if (ctx.obs.job && ctx.obs.job->may_write) return true;
  if (d.has<Promote>() || d.has<Bootstrap>()) return true;
  if (const auto* start = d.find<StartPostgres>(); start && start->as_primary) return true;
  return false;
}

bool leadership_provable(const Ctx& ctx, const Decision& d) {
  if (!ctx.has_cluster()) {
    // etcd unreadable: the lock is still ours if the lease we held it on is still alive.
    return ctx.mem.leader_lease && ctx.obs.lease && *ctx.mem.leader_lease == *ctx.obs.lease;
  }
  // The key names us: nobody else can create it until it is deleted. When it is on an older
  // lease of ours, RefreshLeader moves it in this same cycle (or the next shows we lost it).
  // AcquireLeader as a running primary is provisional the same way: losing the race is seen by
  // the immediate next cycle, which demotes.
  return ctx.holds_lock() || d.has<AcquireLeader>();
}

}  // namespace

Fence compute_fence(const Ctx& ctx, const Decision& d) {
  // Bootstrapping: `initialize` is ours and no other member can become primary of a cluster
  // that does not exist yet.
  if (ctx.obs.won_initialize || !may_accept_writes(ctx, d)) return Fence::disarmed();
  // Maintenance mode: the operator owns a primary that does not lead, as long as etcd confirms
  // the pause. One that leads renews its lease every cycle and is fenced on it as usual: a host
  // frozen for longer than ttl may come back to a resumed cluster whose lock expired (simulator
  // seed 387). When etcd cannot be read, the cluster may have been resumed meanwhile and another
  // member may take the expiring lock: the lease rule applies (simulator seeds 99 and 175).
  if (ctx.cfg.paused && ctx.has_cluster() && !leadership_provable(ctx, d)) return Fence::disarmed();
  MonoTime until = ctx.obs.now;
  if (leadership_provable(ctx, d)) {
    until = ctx.obs.lease_valid_until - ctx.cfg.fencing_margin;
    // The key is still on an older lease (typically a restarted agent's first cycle): when that
    // lease expires is unknown here, and the RefreshLeader that moves the key may block on etcd
    // for retry_timeout meanwhile (simulator seed 870: the old lease expired, another member
    // promoted, and ours still accepted writes). Only the margin, until the next cycle (at once,
    // decide.cc) fences on our own lease.
    if (ctx.holds_lock() && !ctx.lock_on_our_lease()) {
      until = std::min(until, ctx.obs.now + ctx.cfg.fencing_margin);
    }
  }
  // failsafe_mode: every member accepted us as the leader and stays out of the race for ttl.
  if (d.reason == Reason::kFailsafeActive) {
    until = std::max(until, ctx.obs.failsafe_round->sent_at + ctx.cfg.ttl - ctx.cfg.fencing_margin);
  }
  return Fence::until(until);
}

}  // namespace pghalo::ha
