// Situation: we lead and `/failover` holds a request (spec 2.9). Honour it only if some member
// can take over: otherwise clear it. Honouring = stop PostgreSQL (a fast shutdown writes the
// shutdown checkpoint and streams it to the replicas), then release the lock
// (postgres_down.cc) so the candidate wins the next race.
#include "ha/context.h"

namespace pghalo::ha {
namespace {

Decision reject(const Ctx& ctx, Decision d, Reason reason, const std::string& why) {
  d.reason = reason;
  d.detail = why;
  d.actions.push_back(ClearFailoverRequest{ctx.cluster().failover_revision});
  return d;
}

bool candidate_ok(const Ctx& ctx, const model::PeerStatus& p) {
  if (!p.reachable || p.nofailover || p.watchdog_failed || p.is_primary) return false;
  std::uint64_t lag = model::lsn_distance(ctx.obs.pg.wal_position, p.wal_position);
  return lag <= ctx.cfg.maximum_lag_on_failover;
}

}  // namespace

Decision decide_switchover(const Ctx& ctx, Decision d) {
  const model::FailoverRequest& request = *ctx.cluster().failover;
  const Duration loop_wait = ctx.cfg.loop_wait;

  if (request.scheduled_text && !request.scheduled_at) {
    return reject(ctx, std::move(d), Reason::kSwitchoverRejected,
                  "unparsable scheduled_at '" + *request.scheduled_text + "'");
  }
  if (request.scheduled_at) {
    auto until = std::chrono::duration_cast<Duration>(*request.scheduled_at - ctx.obs.wall_now);
    if (until > loop_wait) {
      d.reason = Reason::kSwitchoverScheduled;
      d.detail = "switchover scheduled in " + std::to_string(until.count() / 1000) + " s";
      d.wake_in = until - loop_wait;
      return d;
    }
    if (until < -(loop_wait * 3 / 2)) {
      return reject(ctx, std::move(d), Reason::kSwitchoverRejected,
                    "the scheduled time passed long ago; discarding the request");
    }
    if (until > Duration(0)) {
      d.reason = Reason::kSwitchoverScheduled;
      d.wake_in = until;
      return d;
    }
  }
  if (request.leader && *request.leader != ctx.cfg.name) {
    return reject(ctx, std::move(d), Reason::kSwitchoverRejected,
                  "leader name does not match: the request names " + request.leader->value);
  }
  if (request.candidate && *request.candidate == ctx.cfg.name) {
    return reject(ctx, std::move(d), Reason::kSwitchoverRejected,
                  ctx.name() + " is already the leader");
  }
  if (!ctx.obs.peers) {
    std::vector<MemberName> targets;
    if (request.candidate) {
      targets.push_back(*request.candidate);
    } else {
      targets = ctx.other_members();
    }
    d.reason = Reason::kSwitchoverCheckingCandidates;
    d.detail = reason_summary(d.reason);
    d.actions.push_back(FetchPeerStatus{targets});
    d.wake_in = Duration(0);
    return d;
  }
  for (const auto& p : *ctx.obs.peers) {
    if (request.candidate && p.name != *request.candidate) continue;
    if (!ctx.member(p.name) || !candidate_ok(ctx, p)) continue;
    Decision demote = ctx.make(Reason::kSwitchoverDemoting,
                               "switchover to " + (request.candidate ? request.candidate->value
                                                                     : std::string("the best replica")));
    demote.actions.push_back(StopPostgres{StopMode::kFast});
    demote.memory.releasing_for_switchover = true;
    return demote;
  }
  return reject(ctx, std::move(d), Reason::kSwitchoverNoCandidate,
                request.candidate ? "candidate " + request.candidate->value + " cannot take over"
                                  : "no member can take over");
}

}  // namespace pghalo::ha
