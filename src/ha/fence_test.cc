#include <gtest/gtest.h>

#include "ha/testing.h"

namespace pghalo::ha {
namespace {
using testing::World;

TEST(FenceTest, APrimaryLeaderMayWriteUntilTheLeaseMinusTheMargin) {
  World w;
  w.leader("node1").primary(5000).optime(5000);
  auto d = w.decide();
  EXPECT_EQ(d.fence, Fence::until(w.obs.lease_valid_until - w.cfg.fencing_margin));
}

TEST(FenceTest, AReplicaIsNeverFenced) {
  World w;
  w.leader("node2").replica(1000);
  EXPECT_FALSE(w.decide().fence.armed);
}

TEST(FenceTest, APrimaryWithoutTheLockMustStopNow) {
  World w;
  w.leader("node3").primary(5000);
  EXPECT_EQ(w.decide().fence, Fence::until(testing::kNow));
}

TEST(FenceTest, PromotionIsCoveredByTheLease) {
  World w;
  w.leader("node1").replica(5000);
  auto d = w.decide();
  ASSERT_TRUE(d.has<Promote>());
  EXPECT_EQ(d.fence, Fence::until(w.obs.lease_valid_until - w.cfg.fencing_margin));
}

TEST(FenceTest, AJobThatMayWriteIsCoveredWhileItRuns) {
  World w;
  w.leader("node1").replica(5000).not_answering().job(JobKind::kPromote, true);
  EXPECT_TRUE(w.decide().fence.armed);
  World lost;
  lost.leader("node2").replica(5000).not_answering().job(JobKind::kPromote, true);
  EXPECT_EQ(lost.decide().fence, Fence::until(testing::kNow));
}

TEST(FenceTest, AReplicaStartingWithoutTheLockIsNotFenced) {
  World w;
  w.leader("node2").replica(1000).not_answering().job(JobKind::kStart, false);
  EXPECT_FALSE(w.decide().fence.armed);
}

TEST(FenceTest, AnUnansweringFormerPrimaryStaysFenced) {
  World w;
  w.leader("node1").primary(5000).not_answering();
  w.mem.was_primary = true;
  EXPECT_TRUE(w.decide().fence.armed);
}

TEST(FenceTest, AnExpiredLeaseFencesImmediately) {
  World w;
  w.leader("node1").primary(5000).optime(5000);
  w.obs.lease_valid_until = testing::kNow - std::chrono::seconds(5);
  auto d = w.decide();
  EXPECT_TRUE(d.fence.armed);
  EXPECT_LE(d.fence.writable_until, testing::kNow);
}

}  // namespace
}  // namespace pghalo::ha

namespace pghalo::ha {
namespace {

// Simulator seeds 99 and 175: a paused primary cut off from etcd kept accepting writes after its
// lease expired; the operator resumed the cluster and another member took the lock.
TEST(FenceTest, Seed175APausedPrimaryThatCannotReadEtcdIsFencedAtItsLease) {
  testing::World w;
  w.leader("node1").primary(5000).optime(5000).paused();
  w.mem.leader_lease = LeaseId(testing::kOurLease);
  w.no_cluster();
  auto d = w.decide();
  EXPECT_EQ(d.reason, Reason::kDcsUnavailablePaused);
  EXPECT_EQ(d.fence, Fence::until(w.obs.lease_valid_until - w.cfg.fencing_margin));

  testing::World confirmed;
  confirmed.leader("node3").primary(5000).optime(5000).paused();
  EXPECT_FALSE(confirmed.decide().fence.armed)
      << "etcd confirms the pause and the primary does not lead: the operator owns it";
}

// Simulator seed 870: a restarted agent's first cycle found the key on its old process's lease
// and blocked in the RefreshLeader that moves it; the old lease expired meanwhile and another
// member promoted, while the fence, set on the new lease, let the old primary go on writing.
TEST(FenceTest, Seed870TheKeyOnAnOlderLeaseIsProvenOnlyForTheMargin) {
  testing::World w;
  w.leader("node1", 999).primary(5000).optime(5000);
  auto d = w.decide();
  EXPECT_EQ(d.reason, Reason::kMovingLockToNewLease);
  EXPECT_EQ(d.fence, Fence::until(testing::kNow + w.cfg.fencing_margin));
  ASSERT_TRUE(d.wake_in.has_value());
  EXPECT_LT(*d.wake_in, w.cfg.fencing_margin) << "the next cycle fences on our own lease in time";

  testing::World paused;
  paused.leader("node1", 999).primary(5000).optime(5000).paused();
  auto p = paused.decide();
  EXPECT_EQ(p.fence, Fence::until(testing::kNow + paused.cfg.fencing_margin));
  ASSERT_TRUE(p.wake_in.has_value()) << "a paused leader's restart must not be fenced a loop later";
  EXPECT_LT(*p.wake_in, paused.cfg.fencing_margin);
}

// Simulator seed 4411: the leader's promotion ended while its cycle was blocked on etcd, then a
// backend crashed: the cycle saw a promote that succeeded and a server in crash recovery, and
// since the server had last answered as a replica, nothing said it would come up writable. Crash
// recovery ended into a primary with the fence disarmed, after the lease had expired.
TEST(FenceTest, Seed4411APromotionThatEndedCountsAsAPrimaryBeforeTheServerAnswers) {
  testing::World w;
  w.leader("node1").replica(5000).optime(5000).not_answering().finished(JobKind::kPromote, true);
  w.mem.leader_lease = LeaseId(testing::kOurLease);
  w.no_cluster("sim etcd: request timed out (network partition)");
  auto d = w.decide();
  EXPECT_TRUE(d.memory.was_primary);
  EXPECT_EQ(d.fence, Fence::until(w.obs.lease_valid_until - w.cfg.fencing_margin));

  // The next cycle, still without an answer, remembers it.
  testing::World next;
  next.leader("node1").replica(5000).optime(5000).not_answering();
  next.mem = d.memory;
  next.no_cluster("sim etcd: request timed out (network partition)");
  EXPECT_TRUE(next.decide().fence.armed);

  testing::World failed;
  failed.leader("node1").replica(5000).optime(5000).not_answering().finished(JobKind::kPromote, false);
  EXPECT_FALSE(failed.decide().memory.was_primary) << "a failed promotion proves nothing";
}

// Simulator seed 387: the paused leader's host froze for longer than ttl; meanwhile the operator
// resumed the cluster and the leader key expired. The fence, disarmed while paused, let the
// primary accept writes without the lock the moment the host came back. A paused leader renews
// its lease every cycle, so it is fenced on it as any leader is.
TEST(FenceTest, Seed387APausedLeaderIsFencedAtItsLeaseToo) {
  testing::World w;
  w.leader("node1").primary(5000).optime(5000).paused();
  auto d = w.decide();
  EXPECT_EQ(d.reason, Reason::kPausedLeader);
  EXPECT_EQ(d.fence, Fence::until(w.obs.lease_valid_until - w.cfg.fencing_margin));

  testing::World acquiring;
  acquiring.primary(5000).paused();
  auto a = acquiring.decide();
  EXPECT_EQ(a.reason, Reason::kPausedAcquiringLock);
  EXPECT_EQ(a.fence, Fence::until(acquiring.obs.lease_valid_until - acquiring.cfg.fencing_margin));
}

}  // namespace
}  // namespace pghalo::ha

namespace pghalo::ha {
namespace {

// Simulator seeds 1771 and 419: a postmaster that did not answer yet (a start that outlived
// pg_ctl's timeout, crash recovery) and had no standby.signal came up as a primary while another
// member held the lock. The fence needed `was_primary`, which a fresh agent process (1771: the
// leader's agent was SIGKILLed during its start-as-primary job) or one that never saw its server
// answer (419) does not have. The data directory tells it instead.
TEST(FenceTest, Seed1771AnUnansweringPostmasterWithoutStandbySignalIsFencedWithoutMemory) {
  testing::World w;
  w.leader("node3").primary(5000).not_answering();
  ASSERT_FALSE(w.mem.was_primary);
  auto d = w.decide();
  EXPECT_EQ(d.reason, Reason::kPostgresNotReady);
  EXPECT_EQ(d.fence, Fence::until(testing::kNow)) << "another member leads: stop it now";

  testing::World leading;
  leading.leader("node1").primary(5000).not_answering();
  EXPECT_EQ(leading.decide().fence,
            Fence::until(leading.obs.lease_valid_until - leading.cfg.fencing_margin))
      << "the leader's own primary-to-be is covered by its lease";

  testing::World etcd_gone;
  etcd_gone.primary(5000).not_answering();
  etcd_gone.no_cluster();
  EXPECT_EQ(etcd_gone.decide().fence, Fence::until(testing::kNow))
      << "a fresh process that cannot read etcd cannot prove the lock";

  testing::World standby;
  standby.leader("node3").replica(5000).not_answering();
  EXPECT_FALSE(standby.decide().fence.armed) << "standby.signal: it comes up as a standby";

  testing::World paused;
  paused.leader("node3").primary(5000).not_answering().paused();
  EXPECT_FALSE(paused.decide().fence.armed)
      << "paused: the operator owns a primary that does not lead";
}

}  // namespace
}  // namespace pghalo::ha
