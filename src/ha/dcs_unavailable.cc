// Situation: etcd could not be read this cycle (spec 2.7).
// A primary stays writable only while the lease it holds the lock on is provably alive; the
// fence (fence.cc) stops writes before it can expire, and this decision turns the stopped server
// into a read-only replica without upstream. Replicas never promote without the lock.
#include "ha/context.h"

namespace pghalo::ha {

// failsafe_mode (spec 2.7): a primary that reaches every member of `/failsafe` over their REST
// API, and has each of them accept it as the leader, stays primary without etcd. Each accepting
// member stays out of the leader race for ttl after the call, so the primary may write until
// the call's send time + ttl - margin (fence.cc). One unreachable member ends it.
Decision decide_failsafe(const Ctx& ctx, const std::string& why) {
  std::vector<MemberName> others;
  for (const auto& [name, url] : ctx.mem.failsafe_members) {
    if (name != ctx.cfg.name) others.push_back(name);
  }
  const auto& round = ctx.obs.failsafe_round;
  MonoTime failsafe_until = round ? round->sent_at + ctx.cfg.ttl - ctx.cfg.fencing_margin : MonoTime{};
  bool lease_is_ours = ctx.mem.leader_lease && ctx.obs.lease && *ctx.mem.leader_lease == *ctx.obs.lease;
  MonoTime lease_until = ctx.obs.lease_valid_until - ctx.cfg.fencing_margin;
  Decision d = [&] {
    if (round && round->all_accepted && ctx.obs.now < failsafe_until) {
      return ctx.make(Reason::kFailsafeActive, why + "; every member accepted us as the leader");
    }
    if (lease_is_ours && ctx.obs.now < lease_until) return ctx.make(Reason::kDcsUnavailableLeaseValid, why);
    Decision demote = ctx.make(Reason::kDcsUnavailableDemote,
                               why + "; not every member confirmed us in failsafe mode, refusing writes");
    demote.actions.push_back(StopPostgres{StopMode::kImmediate});
    demote.memory.following.reset();
    return demote;
  }();
  if (d.reason != Reason::kDcsUnavailableDemote) d.actions.push_back(PostFailsafe{others});
  return d;
}

Decision decide_dcs_unavailable(const Ctx& ctx) {
  const std::string why = ctx.obs.dcs_error.empty() ? "etcd unreachable" : ctx.obs.dcs_error;
  if (ctx.cfg.paused) return ctx.make(Reason::kDcsUnavailablePaused, why);
  if (ctx.obs.job) return ctx.make(Reason::kJobInProgress, why);

  const auto& pg = ctx.obs.pg;
  if (pg.is_primary() && ctx.cfg.failsafe_mode) return decide_failsafe(ctx, why);
  if (pg.is_primary()) {
    bool lease_is_ours = ctx.mem.leader_lease && ctx.obs.lease &&
                         *ctx.mem.leader_lease == *ctx.obs.lease;
    MonoTime writable_until = ctx.obs.lease_valid_until - ctx.cfg.fencing_margin;
    if (lease_is_ours && ctx.obs.now < writable_until) {
      return ctx.make(Reason::kDcsUnavailableLeaseValid, why);
    }
    Decision d = ctx.make(Reason::kDcsUnavailableDemote,
                          why + "; the leader lease can no longer be proven, refusing writes");
    d.actions.push_back(StopPostgres{StopMode::kImmediate});
    d.memory.following.reset();
    return d;
  }
  if (!pg.running() && pg.data_dir == model::DataDirState::kValid) {
    // Typically right after the fence stopped a primary: serve reads, accept no writes.
    Decision d = ctx.make(Reason::kDcsUnavailableStartReadOnly, why);
    d.actions.push_back(StartPostgres{false, std::nullopt});
    d.memory.following.reset();
    return d;
  }
  return ctx.make(Reason::kDcsUnavailable, why);
}

}  // namespace pghalo::ha
