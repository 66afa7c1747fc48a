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

// The control file says the server last ran as a primary (it crashed, was stopped, or the fence
// killed it, but it never was a standby since). Only such a data directory may start as the
// primary again: a standby's started without standby.signal ends its recovery on the timeline it
// replayed, writable with no promotion and no new timeline, so the history forks wherever another
// member wrote on that timeline past our position (simulator seeds 40, 260, 5287: the lock
// holder's promote was fenced, or its postmaster crashed, before the promotion happened). Unknown
// states count as a standby: promoting once more costs a timeline number, never a fork.
bool last_ran_as_primary(const model::PgObservation& pg) {
  if (!pg.control) return false;
  const std::string& state = pg.control->cluster_state;
  return state == "in production" || state == "shut down" || state == "in crash recovery" ||
         state == "shutting down";
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
  bool as_primary = last_ran_as_primary(ctx.obs.pg);
  Decision d = ctx.make(as_primary ? Reason::kStartingAsLeader : Reason::kStartingStandbyAsLeader);
  if (!ctx.lock_on_our_lease()) d.actions.push_back(RefreshLeader{});
  d.actions.push_back(StartPostgres{as_primary, std::nullopt});
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
