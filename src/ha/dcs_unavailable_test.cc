#include <gtest/gtest.h>

#include "ha/testing.h"

namespace pghalo::ha {
namespace {
using testing::Row;
using testing::World;

// The leader whose lock was confirmed on lease kOurLease, now cut off from etcd.
void cut_off_leader(World& w) {
  w.primary(5000).no_cluster();
  w.mem.leader_lease = LeaseId(testing::kOurLease);
}

const std::vector<Row> kDcsUnavailable = {
    {"a primary whose lease is still provably valid keeps running",
     [](World& w) { cut_off_leader(w); }, Reason::kDcsUnavailableLeaseValid, {}},
    {"a primary whose lease is inside the fencing margin refuses writes",
     [](World& w) {
       cut_off_leader(w);
       w.obs.lease_valid_until = testing::kNow + std::chrono::milliseconds(1500);
     },
     Reason::kDcsUnavailableDemote, {"stop_postgres"}},
    {"a primary whose lease expired refuses writes",
     [](World& w) {
       cut_off_leader(w);
       w.obs.lease_valid_until = testing::kNow - std::chrono::seconds(1);
     },
     Reason::kDcsUnavailableDemote, {"stop_postgres"}},
    {"a primary that never held the lock on this lease refuses writes",
     [](World& w) {
       cut_off_leader(w);
       w.mem.leader_lease = LeaseId(7);
     },
     Reason::kDcsUnavailableDemote, {"stop_postgres"}},
    {"a replica does nothing without etcd (never promotes)",
     [](World& w) { w.replica(1000).no_cluster(); }, Reason::kDcsUnavailable, {}},
    {"a stopped server starts read-only without upstream",
     [](World& w) { w.replica(1000).stopped().no_cluster(); }, Reason::kDcsUnavailableStartReadOnly,
     {"start_postgres"}},
    {"paused: nothing happens without etcd",
     [](World& w) {
       cut_off_leader(w);
       w.obs.lease_valid_until = testing::kNow - std::chrono::seconds(1);
       w.paused();
     },
     Reason::kDcsUnavailablePaused, {}},
    {"a running job is left to finish",
     [](World& w) { w.replica(1000).no_cluster().job(JobKind::kClone); }, Reason::kJobInProgress, {}},
    {"failsafe: a primary every member accepted stays primary after its lease",
     [](World& w) {
       cut_off_leader(w);
       w.cfg.failsafe_mode = true;
       w.mem.failsafe_members = {{MemberName("node1"), "a"}, {MemberName("node2"), "b"}};
       w.obs.lease_valid_until = testing::kNow - std::chrono::seconds(1);
       w.obs.failsafe_round = Observation::FailsafeRound{testing::kNow - std::chrono::seconds(1), true};
     },
     Reason::kFailsafeActive, {"post_failsafe"}},
    {"failsafe: a primary not every member accepted demotes once its lease is gone",
     [](World& w) {
       cut_off_leader(w);
       w.cfg.failsafe_mode = true;
       w.obs.lease_valid_until = testing::kNow - std::chrono::seconds(1);
       w.obs.failsafe_round = Observation::FailsafeRound{testing::kNow - std::chrono::seconds(1), false};
     },
     Reason::kDcsUnavailableDemote, {"stop_postgres"}},
    {"failsafe: the first cycle without etcd asks the members while the lease holds",
     [](World& w) {
       cut_off_leader(w);
       w.cfg.failsafe_mode = true;
     },
     Reason::kDcsUnavailableLeaseValid, {"post_failsafe"}},
    {"failsafe: an old round does not count",
     [](World& w) {
       cut_off_leader(w);
       w.cfg.failsafe_mode = true;
       w.obs.lease_valid_until = testing::kNow - std::chrono::seconds(1);
       w.obs.failsafe_round = Observation::FailsafeRound{testing::kNow - std::chrono::seconds(40), true};
     },
     Reason::kDcsUnavailableDemote, {"stop_postgres"}},
};
PGHALO_DECISION_TABLE(DcsUnavailableTable, kDcsUnavailable);

TEST(DcsUnavailableTest, FailsafeExtendsTheFenceFromTheRoundNotTheLease) {
  World w;
  cut_off_leader(w);
  w.cfg.failsafe_mode = true;
  w.obs.lease_valid_until = testing::kNow - std::chrono::seconds(1);
  MonoTime sent = testing::kNow - std::chrono::seconds(1);
  w.obs.failsafe_round = Observation::FailsafeRound{sent, true};
  auto d = w.decide();
  EXPECT_EQ(d.fence, Fence::until(sent + w.cfg.ttl - w.cfg.fencing_margin));
}

TEST(DcsUnavailableTest, FenceStaysAtTheLeaseDeadline) {
  World w;
  cut_off_leader(w);
  auto d = w.decide();
  ASSERT_TRUE(d.fence.armed);
  EXPECT_EQ(d.fence.writable_until, w.obs.lease_valid_until - w.cfg.fencing_margin);
}

TEST(DcsUnavailableTest, ReadOnlyStartHasNoUpstream) {
  World w;
  w.replica(1000).stopped().no_cluster();
  auto d = w.decide();
  EXPECT_FALSE(d.find<StartPostgres>()->as_primary);
  EXPECT_FALSE(d.find<StartPostgres>()->upstream.has_value());
}

}  // namespace
}  // namespace pghalo::ha
