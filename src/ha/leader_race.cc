// Situation: nobody holds the leader key and our PostgreSQL runs (spec 2.5). Only the healthiest
// eligible member takes the lock: a running primary keeps it; otherwise we ask every other
// member for its WAL position (one FetchPeerStatus round, answers arrive next cycle) and race only
// if none is a primary and none eligible is ahead. Equal positions race; etcd's create-if-absent
// picks one winner.
#include <algorithm>

#include "ha/context.h"

namespace pghalo::ha {
namespace {

Decision acquire(const Ctx& ctx, Reason reason, std::string detail = {}) {
  Decision d = ctx.make(reason, std::move(detail));
  d.actions.push_back(AcquireLeader{});
  d.wake_in = Duration(0);  // the next cycle promotes (or follows the winner) at once
  return d;
}

// While nobody leads, a member that deferred to a peer looks again this soon rather than after
// loop_wait: two replicas that read each other's positions a few milliseconds apart (one still
// replaying the old primary's shutdown checkpoint) can each find the other ahead, and both would
// then sit out a whole loop_wait with no primary. The winner's lock wakes us through the watch.
constexpr Duration kLeaderlessRecheck = std::chrono::seconds(1);

Decision defer(const Ctx& ctx, Reason reason, std::string detail) {
  Decision d = ctx.make(reason, std::move(detail));
  d.wake_in = kLeaderlessRecheck;
  return d;
}

bool eligible(const model::PeerStatus& p) {
  return p.reachable && !p.nofailover && !p.watchdog_failed;
}

// Compares us against the peers' answers. `exclude` is skipped (the former leader during a
// manual failover).
// In synchronous mode only `/sync`'s members are compared (its former leader being ahead is
// expected: it had commits its standbys acknowledged only in part).
bool compared(const Ctx& ctx, const MemberName& name) {
  const auto& sync = ctx.cluster().sync;
  if (!ctx.cfg.synchronous_mode || !sync || !sync->leader) return true;
  return sync->lists(name);
}

std::optional<Decision> lose_to_peers(const Ctx& ctx, const std::optional<MemberName>& exclude) {
  Lsn mine = ctx.my_position();
  for (const auto& p : *ctx.obs.peers) {
    if (p.name == ctx.cfg.name || (exclude && p.name == *exclude) || !p.reachable) continue;
    if (!p.is_primary && !compared(ctx, p.name)) continue;
    if (p.is_primary) {
      return defer(ctx, Reason::kNotHealthiestPeerIsPrimary, p.name.value + " is running as a primary");
    }
    if (eligible(p) && p.wal_position.value > mine.value) {
      return defer(ctx, Reason::kNotHealthiestPeerAhead,
                      p.name.value + " is ahead (" + std::to_string(p.wal_position.value) + " > " +
                          std::to_string(mine.value) + ")");
    }
  }
  return std::nullopt;
}

Decision fetch_peers(const Ctx& ctx) {
  Decision d = ctx.make(Reason::kFetchingPeerStatus);
  std::vector<MemberName> targets = ctx.other_members();
  // failsafe_mode: the old leader may be alive without a member key (etcd was unreachable for
  // it); ask everyone in /failsafe too, so a primary still running blocks the race.
  if (ctx.cfg.failsafe_mode) {
    for (const auto& [name, url] : ctx.mem.failsafe_members) {
      if (name != ctx.cfg.name && !ctx.member(name)) targets.push_back(name);
    }
  }
  d.actions.push_back(FetchPeerStatus{targets});
  d.wake_in = Duration(0);
  return d;
}

std::optional<Decision> manual_failover(const Ctx& ctx) {
  const auto& request = *ctx.cluster().failover;
  if (request.candidate && *request.candidate == ctx.cfg.name) {
    return acquire(ctx, Reason::kManualFailoverCandidate);
  }
  if (!ctx.obs.peers) return fetch_peers(ctx);
  if (request.candidate) {
    for (const auto& p : *ctx.obs.peers) {
      if (p.name == *request.candidate && eligible(p)) {
        return defer(ctx, Reason::kManualFailoverOtherCandidate,
                        "letting the requested candidate " + p.name.value + " take over");
      }
    }
  }
  // The candidate is gone or ineligible: the healthiest of the rest, without the lag rule.
  if (auto lost = lose_to_peers(ctx, request.leader)) return lost;
  return acquire(ctx, Reason::kAcquiringLock, "manual failover: the requested candidate is unavailable");
}

// A member whose timeline is behind the cluster's (`/history`, or the timeline another member
// publishes) must not lead, primary or replica, named candidate or not: it missed the last
// promotion (or forked off before it), so leading would drop that timeline's writes and reuse
// its number for another history — replicas of either history would then stream WAL that does
// not match theirs (simulator seeds 7, 64, 143: Patroni leaves this to check_timeline, off by
// default).
std::optional<Decision> stale_timeline(const Ctx& ctx) {
  std::int64_t cluster_tl = ctx.cluster().history_timeline();
  for (const auto& [name, m] : ctx.cluster().members) {
    if (m.timeline) cluster_tl = std::max(cluster_tl, m.timeline->value);
  }
  std::int64_t my_tl = ctx.obs.pg.timeline.value;
  if (cluster_tl <= 0 || my_tl <= 0 || my_tl >= cluster_tl) return std::nullopt;
  return ctx.make(Reason::kStaleTimeline, "timeline " + std::to_string(my_tl) +
                                              " is behind the cluster's " + std::to_string(cluster_tl));
}

}  // namespace

Decision decide_leader_race(const Ctx& ctx) {
  const auto& cluster = ctx.cluster();
  if (auto stale = stale_timeline(ctx)) return *stale;
  if (ctx.is_primary()) return acquire(ctx, Reason::kAcquiringLockAsPrimary);
  if (!ctx.cfg.tags.can_failover()) return ctx.make(Reason::kNotEligibleNofailover);
  if (ctx.obs.failsafe_leader && *ctx.obs.failsafe_leader != ctx.cfg.name &&
      ctx.obs.now < ctx.obs.failsafe_leader_until) {
    return ctx.make(Reason::kFailsafeLeaderAlive,
                    ctx.obs.failsafe_leader->value + " reached us in failsafe mode; not racing");
  }
  const auto& sync = cluster.sync;
  bool sync_listed = sync && sync->leader;
  if (ctx.cfg.synchronous_mode && sync_listed && *sync->leader != ctx.cfg.name &&
      !sync->lists(ctx.cfg.name)) {
    return ctx.make(Reason::kNotSynchronousStandby,
                    "synchronous mode: only " + sync->leader->value + "'s synchronous standbys may take over");
  }
  if (ctx.cfg.failsafe_mode && !ctx.mem.failsafe_members.empty() &&
      !ctx.mem.failsafe_members.count(ctx.cfg.name)) {
    return ctx.make(Reason::kNotListedInFailsafe);
  }
  if (cluster.has_failover_request()) return *manual_failover(ctx);

  Lsn mine = ctx.my_position();
  std::uint64_t lag = model::lsn_distance(cluster.status.optime, mine);
  if (lag > ctx.cfg.maximum_lag_on_failover) {
    return ctx.make(Reason::kTooFarBehind, "lagging " + std::to_string(lag) + " bytes behind the last known leader position");
  }
  if (!ctx.obs.peers) return fetch_peers(ctx);
  if (auto lost = lose_to_peers(ctx, std::nullopt)) return *lost;
  return acquire(ctx, Reason::kAcquiringLock);
}

}  // namespace pghalo::ha
