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

}  // namespace
}  // namespace pghalo::ha
