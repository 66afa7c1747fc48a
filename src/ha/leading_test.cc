#include <gtest/gtest.h>

#include "ha/testing.h"

namespace pghalo::ha {
namespace {
using testing::Row;
using testing::World;

const std::vector<Row> kLeading = {
    {"the leader with the lock and a primary has nothing to do but publish",
     [](World& w) { w.leader("node1").primary(5000).optime(5000); }, Reason::kLeaderHealthy,
     {"sync_replication_slots"}},
    {"the leader publishes a new optime when the WAL moved",
     [](World& w) { w.leader("node1").primary(6000).optime(5000); }, Reason::kLeaderHealthy,
     {"publish_leader_status", "sync_replication_slots"}},
    {"without use_slots no slots are managed",
     [](World& w) {
       w.leader("node1").primary(5000).optime(5000);
       w.cfg.use_slots = false;
     },
     Reason::kLeaderHealthy, {}},
    {"the leader key on an older lease of ours is moved to the current lease",
     [](World& w) { w.leader("node1", 999).primary(5000).optime(5000); }, Reason::kMovingLockToNewLease,
     {"refresh_leader", "sync_replication_slots"}},
    {"holding the lock as a replica promotes",
     [](World& w) { w.leader("node1").replica(5000); }, Reason::kPromoting, {"promote"}},
    {"a new timeline without its history line rebuilds the history",
     [](World& w) { w.leader("node1").primary(5000, 2).optime(5000); }, Reason::kLeaderHealthy,
     {"update_history", "sync_replication_slots"}},
    {"a history that ends with the previous timeline is left alone",
     [](World& w) {
       w.leader("node1").primary(5000, 2).optime(5000);
       w.cluster().history = std::vector<model::HistoryEntry>{{model::TimelineId(1), Lsn(4000), "", {}, {}}};
     },
     Reason::kLeaderHealthy, {"sync_replication_slots"}},
    {"failsafe mode: the leader publishes every member's api_url in /failsafe",
     [](World& w) {
       w.leader("node1").primary(5000).optime(5000);
       w.cfg.failsafe_mode = true;
     },
     Reason::kLeaderHealthy, {"sync_replication_slots", "publish_failsafe"}},
};
PGHALO_DECISION_TABLE(LeadingTable, kLeading);

TEST(LeadingTest, RemembersTheLeaseTheLockIsHeldOn) {
  World w;
  w.leader("node1").primary(5000).optime(5000);
  auto d = w.decide();
  ASSERT_TRUE(d.memory.leader_lease.has_value());
  EXPECT_EQ(d.memory.leader_lease->value, testing::kOurLease);
}

// Simulator seed 24: a replica from timeline 1 won the race after the only member on timeline 3
// lost its data; /history still says 3 (and a member may publish it): the promotion goes above.
TEST(LeadingTest, Seed24PromotionGoesAboveEveryTimelineTheClusterUsed) {
  World w;
  w.leader("node1").replica(5000, 1);
  w.cluster().history = std::vector<model::HistoryEntry>{{model::TimelineId(1), Lsn(3000), "", {}, {}},
                                                         {model::TimelineId(2), Lsn(4000), "", {}, {}}};
  Decision d = w.decide();
  const auto* promote = d.find<Promote>();
  ASSERT_NE(promote, nullptr);
  EXPECT_EQ(promote->above_timeline, 3);
  w.cluster().members[MemberName("node2")].timeline = model::TimelineId(4);
  Decision again = w.decide();
  ASSERT_NE(again.find<Promote>(), nullptr);
  EXPECT_EQ(again.find<Promote>()->above_timeline, 4);
}

TEST(LeadingTest, SlotsAreKeptForEveryOtherMember) {
  World w;
  w.leader("node1").primary(5000).optime(5000);
  auto d = w.decide();
  const auto* slots = d.find<SyncReplicationSlots>();
  ASSERT_NE(slots, nullptr);
  EXPECT_EQ(slots->members, (std::vector<MemberName>{MemberName("node2"), MemberName("node3")}));
}

}  // namespace
}  // namespace pghalo::ha
