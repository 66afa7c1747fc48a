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
