#include <gtest/gtest.h>

#include "ha/testing.h"

namespace pghalo::ha {
namespace {
using testing::Row;
using testing::World;

const std::vector<Row> kFollowing = {
    {"a replica already following the leader does nothing",
     [](World& w) {
       w.leader("node2").replica(1000);
       w.mem.following = MemberName("node2");
     },
     Reason::kFollowingLeader, {}},
    {"a replica learns of a new leader and points replication at it",
     [](World& w) {
       w.leader("node3").replica(1000);
       w.mem.following = MemberName("node2");
     },
     Reason::kFollowingNewLeader, {"follow_leader"}},
    {"a replica that follows nobody yet starts following the leader",
     [](World& w) { w.leader("node2").replica(1000); }, Reason::kFollowingNewLeader, {"follow_leader"}},
    {"a primary while another member holds the lock is stopped at once",
     [](World& w) { w.leader("node2").primary(5000); }, Reason::kDemotingLostLock, {"stop_postgres"}},
    {"a former primary the fence left read-only is stopped to rejoin, not merely repointed",
     [](World& w) {
       w.leader("node2").replica(1000);
       w.mem.rejoin_pending = true;
     },
     Reason::kStoppingToRejoin, {"stop_postgres"}},
    {"a replica stuck behind the leader's timeline, not streaming, is stopped to rejoin",
     [](World& w) {
       w.leader("node2").replica(1000, 2);
       w.cluster().members[MemberName("node2")].timeline = model::TimelineId(3);
       w.mem.following = MemberName("node2");
     },
     Reason::kStoppingToRejoin, {"stop_postgres"}},
    {"a replica on the leader's timeline that is not streaming yet is left alone",
     [](World& w) {
       w.leader("node2").replica(1000, 3);
       w.cluster().members[MemberName("node2")].timeline = model::TimelineId(3);
       w.mem.following = MemberName("node2");
     },
     Reason::kFollowingLeader, {}},
    {"a leader without a member key is waited for",
     [](World& w) { w.leader("node2").no_member("node2").replica(1000); }, Reason::kLeaderMemberUnknown,
     {}},
};
PGHALO_DECISION_TABLE(FollowingTable, kFollowing);

TEST(FollowingTest, DemotionUsesAnImmediateStop) {
  World w;
  w.leader("node2").primary(5000);
  auto d = w.decide();
  EXPECT_EQ(d.find<StopPostgres>()->mode, StopMode::kImmediate);
  EXPECT_TRUE(d.fence.armed);
  EXPECT_EQ(d.fence.writable_until, testing::kNow);
}

TEST(FollowingTest, APrimaryStaysMarkedUntilItRejoins) {
  World w;
  w.leader("node2").primary(5000);
  EXPECT_TRUE(w.decide().memory.rejoin_pending);  // it ran as a primary: divergence possible

  World down;
  down.leader("node2").replica(1000).stopped();
  down.mem.rejoin_pending = true;
  auto d = down.decide();
  EXPECT_EQ(d.reason, Reason::kRejoiningLeader);
  EXPECT_FALSE(d.memory.rejoin_pending);  // the rejoin checks divergence and rewinds
}

}  // namespace
}  // namespace pghalo::ha
