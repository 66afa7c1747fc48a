#include <gtest/gtest.h>

#include "ha/testing.h"

namespace pghalo::ha {
namespace {
using testing::World;

TEST(PublishStateTest, ARunningReplicaIsPublishedAsRunningReplica) {
  World w;
  w.leader("node2").replica(1000);
  auto d = w.decide();
  EXPECT_EQ(d.memory.state, PgState::kRunning);
  EXPECT_EQ(d.memory.role, Role::kReplica);
}

TEST(PublishStateTest, CloningIsPublishedAsCreatingReplica) {
  World w;
  w.data(model::DataDirState::kEmpty).leader("node2");
  auto d = w.decide();
  EXPECT_EQ(d.memory.state, PgState::kCreatingReplica);
  EXPECT_EQ(d.memory.role, Role::kUninitialized);
}

TEST(PublishStateTest, PromotionIsPublishedAsPromoted) {
  World w;
  w.leader("node1").replica(1000);
  auto d = w.decide();
  EXPECT_EQ(d.memory.role, Role::kPromoted);
}

TEST(PublishStateTest, AServerThatStoppedByItselfIsStartedAgainAtOnce) {
  World w;
  w.leader("node2").replica(1000).stopped();
  w.mem.state = PgState::kRunning;
  EXPECT_EQ(w.decide().memory.state, PgState::kStarting);  // the same cycle restarts it
}

// Patroni publishes "stopped" for a paused member whose server is down: in maintenance mode the
// operator may well have stopped it by hand (compat test against a live Patroni replica).
TEST(PublishStateTest, APausedMemberWhoseServerStoppedIsStopped) {
  World w;
  w.leader("node2").replica(1000).stopped();
  w.mem.state = PgState::kRunning;
  w.cfg.paused = true;
  EXPECT_EQ(w.decide().memory.state, PgState::kStopped);
}

TEST(PublishStateTest, AStoppedFormerPrimaryWithoutTheLockIsDemoted) {
  World w;
  w.leader("node2").primary(5000).stopped().paused();
  w.mem.was_primary = true;
  EXPECT_EQ(w.decide().memory.role, Role::kDemoted);
}

}  // namespace
}  // namespace pghalo::ha
