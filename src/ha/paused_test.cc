#include <gtest/gtest.h>

#include "ha/testing.h"

namespace pghalo::ha {
namespace {
using testing::Row;
using testing::World;

const std::vector<Row> kPaused = {
    {"paused: a primary without a leader key takes the free lock",
     [](World& w) { w.primary(5000).paused(); }, Reason::kPausedAcquiringLock, {"acquire_leader"}},
    {"paused: a replica without a leader key does not race",
     [](World& w) { w.replica(5000).paused(); }, Reason::kPausedNoAction, {}},
    {"paused: the lock holder that is no longer primary releases the lock",
     [](World& w) { w.leader("node1").replica(5000).paused(); }, Reason::kPausedReleasingLock,
     {"release_leader"}},
    {"paused: the primary leader keeps the lock and publishes its optime",
     [](World& w) { w.leader("node1").primary(5000).optime(4000).paused(); }, Reason::kPausedLeader,
     {"publish_leader_status"}},
    {"paused: a primary while another member holds the lock is left alone",
     [](World& w) { w.leader("node2").primary(5000).paused(); }, Reason::kPausedNoAction, {}},
    {"paused: a switchover request is not processed automatically",
     [](World& w) { w.leader("node1").primary(5000).optime(5000).paused().failover("node1", "node2"); },
     Reason::kPausedLeader, {}},
};
PGHALO_DECISION_TABLE(PausedTable, kPaused);

TEST(PausedTest, ThePrimaryIsNeverFencedWhilePaused) {
  World w;
  w.leader("node2").primary(5000).paused();
  EXPECT_FALSE(w.decide().fence.armed);
}

}  // namespace
}  // namespace pghalo::ha
