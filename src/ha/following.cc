// Situation: another member holds the leader key and our PostgreSQL answers. A primary here is
// a split-brain risk: the fence has already stopped writes; stop it and rejoin as a replica
// (rewinding if it diverged). A replica makes sure it streams from the current leader.
#include "ha/context.h"

namespace pghalo::ha {

Decision decide_following(const Ctx& ctx) {
  MemberName leader = *ctx.leader_name();
  if (ctx.is_primary()) {
    Decision d = ctx.make(Reason::kDemotingLostLock,
                          "demoting: " + leader.value + " holds the leader lock");
    d.actions.push_back(StopPostgres{StopMode::kImmediate});
    d.memory.following.reset();
    d.memory.leader_lease.reset();
    d.wake_in = Duration(0);
    return d;
  }
  const model::Member* leader_member = ctx.member(leader);
  if (!leader_member || leader_member->conn_url.empty()) {
    return ctx.make(Reason::kLeaderMemberUnknown,
                    "waiting for " + leader.value + " to publish its member key");
  }
  if (ctx.mem.rejoin_pending) {
    // Typically the fence stopped us while etcd was out of reach and we came back read-only
    // without upstream: merely pointing replication at the new leader would leave our extra WAL
    // in place and the replica stuck on the old timeline. The rejoin checks and rewinds.
    Decision d = ctx.make(Reason::kStoppingToRejoin,
                          "this server was a primary since it last followed a leader; stopping it "
                          "to rejoin " + leader.value + " (pg_rewind if it diverged)");
    d.actions.push_back(StopPostgres{StopMode::kFast});
    d.memory.following.reset();
    d.wake_in = Duration(0);
    return d;
  }
  const auto& pg = ctx.obs.pg;
  if (ctx.mem.following == leader && !pg.streaming() && leader_member->timeline &&
      pg.timeline.value < leader_member->timeline->value) {
    // A replica can receive WAL from its old primary that the promoted member never got (a
    // one-way cut: the old primary still sends). Past the fork it can never stream from the new
    // timeline; the rejoin finds out and rewinds, or simply restarts it when it has not diverged.
    Decision d = ctx.make(Reason::kStoppingToRejoin,
                          "not streaming, on timeline " + std::to_string(pg.timeline.value) +
                              " behind the leader's " +
                              std::to_string(leader_member->timeline->value) +
                              "; stopping to rejoin " + leader.value +
                              " (pg_rewind if it diverged)");
    d.actions.push_back(StopPostgres{StopMode::kFast});
    d.memory.following.reset();
    d.wake_in = Duration(0);
    return d;
  }
  if (ctx.mem.following != leader) {
    Decision d = ctx.make(Reason::kFollowingNewLeader, "following the new leader " + leader.value);
    d.actions.push_back(FollowLeader{leader});
    d.memory.following = leader;
    return d;
  }
  return ctx.make(Reason::kFollowingLeader, "no action. I am (" + ctx.name() +
                                                "), a secondary, and following a leader (" +
                                                leader.value + ")");
}

}  // namespace pghalo::ha
