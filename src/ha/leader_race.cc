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

// A peer on an older timeline than ours is not healthier for being further in its WAL: the part
// past our timeline's fork point is not on our history (a former primary that went on writing
// after the promotion it missed), and such a peer refuses the lock itself (stale_timeline), so
// deferring to it left the cluster without a primary for ever (simulator seeds 3612, 7247, 7399,
// 7918). Positions compare only along one history.
bool on_older_timeline(const Ctx& ctx, const model::PeerStatus& p) {
  std::int64_t mine = ctx.obs.pg.timeline.value;
  return p.timeline && mine > 0 && p.timeline->value > 0 && p.timeline->value < mine;
}

// `exclude` is skipped altogether (the former leader during a manual failover); `ignore_ahead`
// only for being ahead (a requested candidate that let its turn pass: its WAL position must not
// block the rest again, but a primary it runs still does).
std::optional<Decision> lose_to_peers(const Ctx& ctx, const std::optional<MemberName>& exclude,
                                      const std::optional<MemberName>& ignore_ahead = std::nullopt) {
  Lsn mine = ctx.my_position();
  for (const auto& p : *ctx.obs.peers) {
    if (p.name == ctx.cfg.name || (exclude && p.name == *exclude) || !p.reachable) continue;
    if (!p.is_primary && !compared(ctx, p.name)) continue;
    if (p.is_primary) {
      return defer(ctx, Reason::kNotHealthiestPeerIsPrimary, p.name.value + " is running as a primary");
    }
    if (ignore_ahead && p.name == *ignore_ahead) continue;
    if (eligible(p) && p.wal_position.value > mine.value && !on_older_timeline(ctx, p)) {
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

// The requested candidate had ttl since this member first saw the request without a leader,
// and nobody took the lock: it cannot or will not (its own rules refuse it, e.g. it lost its data
// or is not /sync's standby), and deferring to it any longer leaves the cluster without a primary
// for ever (simulator seeds 38, 342, 371, 387).
bool candidate_expired(const Ctx& ctx) {
  const auto& seen = ctx.mem.failover_seen;
  return seen && seen->revision == ctx.cluster().failover_revision &&
         ctx.obs.now - seen->since > ctx.cfg.ttl;
}

std::optional<Decision> manual_failover(const Ctx& ctx) {
  const auto& request = *ctx.cluster().failover;
  if (request.candidate && *request.candidate == ctx.cfg.name) {
    return acquire(ctx, Reason::kManualFailoverCandidate);
  }
  if (!ctx.obs.peers) return fetch_peers(ctx);
  bool expired = request.candidate && candidate_expired(ctx);
  if (request.candidate && !expired) {
    for (const auto& p : *ctx.obs.peers) {
      if (p.name == *request.candidate && eligible(p)) {
        return defer(ctx, Reason::kManualFailoverOtherCandidate,
                        "letting the requested candidate " + p.name.value + " take over");
      }
    }
  }
  // The candidate is gone, ineligible or let its turn pass: the healthiest of the rest, without
  // the lag rule.
  if (auto lost = lose_to_peers(ctx, request.leader, expired ? request.candidate : std::nullopt)) {
    return lost;
  }
  if (!expired) {
    return acquire(ctx, Reason::kAcquiringLock, "manual failover: the requested candidate is unavailable");
  }
  // The winner clears the request, or as the leader it would hand over to that candidate again.
  Decision d = acquire(ctx, Reason::kManualFailoverExpired,
                       "the requested candidate " + request.candidate->value +
                           " did not take the lock within ttl; taking it instead");
  d.actions.push_back(ClearFailoverRequest{ctx.cluster().failover_revision});
  return d;
}

// A member whose timeline is behind one a live member may hold must not lead, primary or
// replica, named candidate or not: it missed the last promotion (or forked off before it), so
// leading would drop that timeline's writes while their holder is still there to lead (simulator
// seeds 7, 64, 143: Patroni leaves this to check_timeline, off by default). Live = a member key
// in etcd: one publishing a newer timeline, or, for /history's timeline, one with data that
// publishes none because its PostgreSQL is down for the moment; not one that may never lead.
//
// When nobody live may hold the newest timeline (its holders lost their data or left), a replica
// races as in any asynchronous failover (simulator seeds 24, 105, 154, ...: otherwise the
// cluster stays without a primary for ever); its promotion goes above every timeline number the
// cluster used (Promote::above_timeline, leading.cc), so no number is reused. A running primary
// stays bound to /history as well: it cannot leave its timeline without a promotion, so it waits
// for the fence to stop it and races again as a replica.
std::int64_t newest_live_timeline(const Ctx& ctx) {
  std::int64_t history_tl = ctx.cluster().history_timeline();
  std::int64_t newest = 0;
  bool history_held = ctx.is_primary();
  for (const auto& [name, m] : ctx.cluster().members) {
    // A member that may never lead cannot take its timeline's writes anywhere (simulator seed
    // 2889: a nofailover replica on the newest timeline kept /sync's leader out for ever).
    if (!m.tags.can_failover()) continue;
    if (m.timeline) newest = std::max(newest, m.timeline->value);
    bool may_hold = m.timeline ? m.timeline->value >= history_tl
                               : name != ctx.cfg.name && m.role != Role::kUninitialized;
    history_held = history_held || may_hold;
  }
  return history_held ? std::max(newest, history_tl) : newest;
}

std::optional<Decision> stale_timeline(const Ctx& ctx) {
  std::int64_t newest = newest_live_timeline(ctx);
  std::int64_t my_tl = ctx.obs.pg.timeline.value;
  if (newest <= 0 || my_tl <= 0 || my_tl >= newest) return std::nullopt;
  return ctx.make(Reason::kStaleTimeline, "timeline " + std::to_string(my_tl) +
                                              " is behind timeline " + std::to_string(newest) +
                                              ", which a live member may hold");
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
