// Situation: we hold the leader key and PostgreSQL answers (spec 2.6). Keep the key on our
// lease, promote if PostgreSQL is still a replica, publish the optime and history, keep one
// replication slot per member, and hand over when a switchover is requested (switchover.cc).
#include <algorithm>

#include "ha/context.h"

namespace pghalo::ha {
namespace {

// /history must end with the timeline we switched from (spec 1.3.4).
bool history_is_stale(const Ctx& ctx) {
  std::int64_t tl = ctx.obs.pg.timeline.value;
  if (tl <= 1) return false;
  const auto& history = ctx.cluster().history;
  return !history || history->empty() || history->back().timeline.value != tl - 1;
}

// The newest timeline etcd knows of: /history's, or one a member publishes.
std::int64_t newest_known_timeline(const Ctx& ctx) {
  std::int64_t newest = ctx.cluster().history_timeline();
  for (const auto& [name, m] : ctx.cluster().members) {
    if (m.timeline) newest = std::max(newest, m.timeline->value);
  }
  return newest;
}

}  // namespace

Decision decide_leading(const Ctx& ctx) {
  if (!ctx.is_primary()) {
    Decision d = ctx.make(Reason::kPromoting, "promoting " + ctx.name() + " to primary");
    if (!ctx.lock_on_our_lease()) d.actions.push_back(RefreshLeader{});
    // Above every timeline number the cluster used, even those whose holders are gone (a
    // replica that raced from an older timeline, leader_race.cc): PostgreSQL alone would pick
    // the number after its own.
    d.actions.push_back(Promote{newest_known_timeline(ctx)});
    prepare_sync_for_promotion(ctx, d);
    if (ctx.lock_on_our_lease()) d.memory.leader_lease = ctx.obs.lease;
    d.memory.following.reset();
    return d;
  }

  Decision d = ctx.make(Reason::kLeaderHealthy,
                        "no action. I am (" + ctx.name() + "), the leader with the lock");
  if (!ctx.lock_on_our_lease()) {
    d.reason = Reason::kMovingLockToNewLease;
    d.detail = reason_summary(d.reason);
    d.actions.push_back(RefreshLeader{});
    d.wake_in = Duration(0);
  } else {
    d.memory.leader_lease = ctx.obs.lease;
  }
  d.memory.following.reset();
  d.memory.start_began_at.reset();

  Lsn optime = ctx.obs.pg.wal_position;
  if (optime.value != ctx.cluster().status.optime.value) {
    d.actions.push_back(PublishLeaderStatus{optime});
  }
  if (history_is_stale(ctx)) d.actions.push_back(UpdateHistory{});
  if (ctx.cfg.use_slots) d.actions.push_back(SyncReplicationSlots{ctx.other_members()});
  manage_sync(ctx, d);
  if (ctx.cfg.failsafe_mode) {
    std::map<MemberName, std::string> everyone;
    for (const auto& [name, m] : ctx.cluster().members) everyone[name] = m.api_url;
    if (!ctx.cluster().failsafe || *ctx.cluster().failsafe != everyone) {
      d.actions.push_back(PublishFailsafe{everyone});
    }
  }

  if (ctx.cluster().has_failover_request()) {
    return decide_switchover(ctx, std::move(d));
  }
  return d;
}

}  // namespace pghalo::ha
