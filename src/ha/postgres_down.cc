// Situation: the data directory is valid but PostgreSQL is not running (spec 2.11): after a
// crash, after the fence stopped it, after a switchover stop, or when the agent starts.
// The lock holder restarts it as primary (or gives the lock up when it cannot start); anyone else
// rejoins the leader as a replica — with a divergence check, so a former primary is rewound.
#include "ha/context.h"

namespace pghalo::ha {
namespace {

bool start_failed(const Ctx& ctx) {
  const auto& f = ctx.obs.job_finished;
  return f && !f->succeeded && (f->kind == JobKind::kStart || f->kind == JobKind::kRejoin);
}

Decision as_lock_holder(const Ctx& ctx) {
  if (ctx.mem.releasing_for_switchover) {
    Decision d = ctx.make(Reason::kReleasingLockAfterSwitchover);
    d.actions.push_back(ReleaseLeader{});
    d.memory.releasing_for_switchover = false;
    d.memory.leader_lease.reset();
    d.wake_in = Duration(0);
    return d;
  }
  if (start_failed(ctx)) {
    Decision d = ctx.make(Reason::kStartFailedReleasingLock,
                          "PostgreSQL did not start: " + ctx.obs.job_finished->detail);
    d.actions.push_back(ReleaseLeader{});
    d.memory.leader_lease.reset();
    d.memory.start_began_at.reset();
    d.memory.role = Role::kDemoted;
    d.wake_in = Duration(0);
    return d;
  }
  Decision d = ctx.make(Reason::kStartingAsLeader);
  if (!ctx.lock_on_our_lease()) d.actions.push_back(RefreshLeader{});
  d.actions.push_back(StartPostgres{true, std::nullopt});
  d.memory.following.reset();
  if (!d.memory.start_began_at) d.memory.start_began_at = ctx.obs.now;
  return d;
}

}  // namespace

Decision decide_postgres_down(const Ctx& ctx) {
  if (ctx.cfg.paused) {
    Decision d = ctx.make(Reason::kPausedPostgresStopped);
    if (ctx.holds_lock()) d.actions.push_back(ReleaseLeader{});
    return d;
  }
  if (ctx.holds_lock()) return as_lock_holder(ctx);

  Decision d = [&] {
    auto leader = ctx.leader_name();
    if (leader && ctx.member(*leader) && !ctx.member(*leader)->conn_url.empty()) {
      Decision rejoin = ctx.make(Reason::kRejoiningLeader, "rejoining " + leader->value);
      rejoin.actions.push_back(Rejoin{*leader});
      rejoin.memory.following = *leader;
      rejoin.memory.rejoin_pending = false;
      return rejoin;
    }
    Decision alone = ctx.make(Reason::kStartingReplicaWithoutLeader);
    alone.actions.push_back(StartPostgres{false, std::nullopt});
    alone.memory.following.reset();
    return alone;
  }();
  d.memory.releasing_for_switchover = false;
  d.memory.start_began_at.reset();
  if (start_failed(ctx)) {
    // Do not hammer a server that cannot start: try again after a cycle.
    d.detail += " (previous attempt failed: " + ctx.obs.job_finished->detail + ")";
  }
  return d;
}

}  // namespace pghalo::ha
