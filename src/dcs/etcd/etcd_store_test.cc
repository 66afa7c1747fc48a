#include "dcs/etcd/etcd_store.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_kv.h"

namespace pghalo::dcs::etcd {
namespace {

using fakes::FakeKv;
using fakes::KvCall;
using model::MemberName;

const MemberName kNode1("node1");
const MemberName kNode2("node2");
constexpr char kLeader[] = "/service/pglab/leader";

class EtcdStoreTest : public testing::Test {
 protected:
  ManualClock clock_;
  FakeKv kv_{clock_};
  EtcdStore store1_{kv_, clock_, "/service", "pglab"};
  EtcdStore store2_{kv_, clock_, "/service/", "pglab"};

  std::string leader_value() {
    auto kv = kv_.get(kLeader);
    return kv ? kv->value : "<absent>";
  }
  LeaseId leader_lease() { return kv_.get(kLeader)->lease; }
};

TEST_F(EtcdStoreTest, AcquireTakesAnAbsentLockOnOurLease) {
  auto held = store1_.acquire_leader(kNode1);
  ASSERT_TRUE(held.ok());
  EXPECT_TRUE(*held);
  EXPECT_EQ(leader_value(), "node1");
  EXPECT_EQ(leader_lease(), *store1_.current_lease());
}

TEST_F(EtcdStoreTest, AcquireFailsCleanlyWhileAnotherMemberHoldsTheLock) {
  ASSERT_TRUE(*store1_.acquire_leader(kNode1));
  auto held = store2_.acquire_leader(kNode2);
  ASSERT_TRUE(held.ok());
  EXPECT_FALSE(*held);
  EXPECT_EQ(leader_value(), "node1");
}

TEST_F(EtcdStoreTest, AcquireGrantsANewLeaseOnceWhenEtcdForgotOurs) {
  ASSERT_TRUE(store1_.keepalive().ok());
  LeaseId old = *store1_.current_lease();
  ASSERT_TRUE(kv_.lease_revoke(old, seconds(1)).ok());
  auto held = store1_.acquire_leader(kNode1);
  ASSERT_TRUE(held.ok()) << held.error().message;
  EXPECT_TRUE(*held);
  EXPECT_NE(*store1_.current_lease(), old);
  EXPECT_EQ(leader_lease(), *store1_.current_lease());
}

TEST_F(EtcdStoreTest, RefreshWritesNothingWhileTheViewShowsOurLockOnOurLease) {
  ASSERT_TRUE(*store1_.acquire_leader(kNode1));
  int txns = kv_.calls(KvCall::kTxn);
  auto held = store1_.refresh_leader(kNode1);
  ASSERT_TRUE(held.ok());
  EXPECT_TRUE(*held);
  EXPECT_EQ(kv_.calls(KvCall::kTxn), txns);
}

TEST_F(EtcdStoreTest, RefreshKeepsTheLeaseAliveAndFailsWhenEtcdCannotConfirmIt) {
  ASSERT_TRUE(*store1_.acquire_leader(kNode1));
  clock_.advance(seconds(20));
  ASSERT_TRUE(*store1_.refresh_leader(kNode1));
  EXPECT_EQ(store1_.last_confirmation()->sent_at, clock_.now());
  clock_.advance(seconds(20));
  EXPECT_EQ(leader_value(), "node1");  // 40 s after acquiring, alive thanks to the refresh
  kv_.fail_next(1, make_error(ErrorCode::kUnavailable, "no quorum"), KvCall::kKeepalive);
  auto held = store1_.refresh_leader(kNode1);
  ASSERT_FALSE(held.ok());
  EXPECT_EQ(held.error().code, ErrorCode::kUnavailable);
}

TEST_F(EtcdStoreTest, RefreshAfterTheLeaseExpiredTakesTheLockBackOnANewLeaseIfStillFree) {
  ASSERT_TRUE(*store1_.acquire_leader(kNode1));
  clock_.advance(seconds(31));
  auto held = store1_.refresh_leader(kNode1);
  ASSERT_TRUE(held.ok());
  EXPECT_TRUE(*held);
  EXPECT_TRUE(store1_.last_confirmation()->newly_granted);
  EXPECT_EQ(leader_lease(), *store1_.current_lease());
}

TEST_F(EtcdStoreTest, ATtlChangeTakesANewLeaseAndRefreshMovesTheLockToIt) {
  ASSERT_TRUE(*store1_.acquire_leader(kNode1));
  LeaseId old = *store1_.current_lease();
  store1_.set_timing({seconds(60), seconds(10)});
  auto confirmation = store1_.keepalive();
  ASSERT_TRUE(confirmation.ok());
  EXPECT_TRUE(confirmation->newly_granted);
  EXPECT_EQ(confirmation->ttl, seconds(60));
  EXPECT_NE(confirmation->lease, old);
  auto held = store1_.refresh_leader(kNode1);
  ASSERT_TRUE(held.ok());
  EXPECT_TRUE(*held);
  EXPECT_EQ(leader_lease(), confirmation->lease);
  // The old lease expiring no longer takes the lock with it.
  clock_.advance(seconds(31));
  ASSERT_TRUE(store1_.keepalive().ok());
  EXPECT_EQ(leader_value(), "node1");
}

TEST_F(EtcdStoreTest, RefreshRecreatesAVanishedLockButNeverOverwritesAnotherLeader) {
  ASSERT_TRUE(*store1_.acquire_leader(kNode1));
  kv_.put_direct("/unrelated", "x");
  ASSERT_TRUE(kv_.delete_range({kLeader, ""}, seconds(1)).ok());
  ASSERT_TRUE(store1_.read_cluster().ok());
  auto recreated = store1_.refresh_leader(kNode1);
  ASSERT_TRUE(recreated.ok());
  EXPECT_TRUE(*recreated);
  EXPECT_EQ(leader_value(), "node1");

  kv_.put_direct(kLeader, "node2", kv_.grant_direct(30));
  ASSERT_TRUE(store1_.read_cluster().ok());
  auto held = store1_.refresh_leader(kNode1);
  ASSERT_TRUE(held.ok());
  EXPECT_FALSE(*held);
  EXPECT_EQ(leader_value(), "node2");
}

TEST_F(EtcdStoreTest, ReleaseDeletesTheLockOnlyWhenItIsOurs) {
  ASSERT_TRUE(*store1_.acquire_leader(kNode1));
  auto not_ours = store2_.release_leader(kNode2);
  ASSERT_TRUE(not_ours.ok());
  EXPECT_FALSE(*not_ours);
  EXPECT_EQ(leader_value(), "node1");
  auto released = store1_.release_leader(kNode1);
  ASSERT_TRUE(released.ok());
  EXPECT_TRUE(*released);
  EXPECT_EQ(leader_value(), "<absent>");
}

TEST_F(EtcdStoreTest, LeaseExpiryDeletesTheLockAndTheMemberKey) {
  ASSERT_TRUE(store1_.publish_member(kNode1, {{"role", "master"}}).ok());
  ASSERT_TRUE(*store1_.acquire_leader(kNode1));
  clock_.advance(seconds(29));
  EXPECT_EQ(leader_value(), "node1");
  clock_.advance(seconds(1));
  auto state = store2_.read_cluster();
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(state->leader);
  EXPECT_TRUE(state->members.empty());
  auto confirmation = store1_.keepalive();
  ASSERT_TRUE(confirmation.ok());
  EXPECT_TRUE(confirmation->newly_granted);
  auto taken = store2_.acquire_leader(kNode2);
  ASSERT_TRUE(taken.ok());
  EXPECT_TRUE(*taken);
}

TEST_F(EtcdStoreTest, KeepaliveConfirmsTheLeaseFromTheTimeItWasSent) {
  auto first = store1_.keepalive();
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->newly_granted);
  clock_.advance(seconds(10));
  auto second = store1_.keepalive();
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->newly_granted);
  EXPECT_EQ(second->lease, first->lease);
  EXPECT_EQ(second->valid_until(), clock_.now() + seconds(30));
  EXPECT_EQ(store1_.last_confirmation()->sent_at, clock_.now());
}

TEST_F(EtcdStoreTest, AFailedKeepaliveKeepsTheLeaseForTheNextTry) {
  ASSERT_TRUE(store1_.keepalive().ok());
  LeaseId lease = *store1_.current_lease();
  kv_.fail_next(1, make_error(ErrorCode::kUnavailable, "down"), KvCall::kKeepalive);
  EXPECT_EQ(store1_.keepalive().error().code, ErrorCode::kUnavailable);
  auto again = store1_.keepalive();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->lease, lease);
  EXPECT_FALSE(again->newly_granted);
}

TEST_F(EtcdStoreTest, ALostAcquireReplyAfterTheCommitReadsBackAsHeld) {
  kv_.drop_replies(1, KvCall::kTxn);
  auto held = store1_.acquire_leader(kNode1);
  ASSERT_TRUE(held.ok()) << held.error().message;
  EXPECT_TRUE(*held);
  EXPECT_EQ(kv_.calls(KvCall::kTxn), 1);  // resolved by reading, not by a second txn
  auto other = store2_.acquire_leader(kNode2);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(*other);  // no second leader
  auto refreshed = store1_.refresh_leader(kNode1);
  ASSERT_TRUE(refreshed.ok());
  EXPECT_TRUE(*refreshed);  // and the lock is not stuck: we keep refreshing it
}

TEST_F(EtcdStoreTest, ALostAcquireRequestReadsBackAsNotHeld) {
  kv_.fail_next(1, make_error(ErrorCode::kTimeout, "no reply"), KvCall::kTxn);
  auto held = store1_.acquire_leader(kNode1);
  ASSERT_TRUE(held.ok());
  EXPECT_FALSE(*held);
  EXPECT_EQ(leader_value(), "<absent>");
}

TEST_F(EtcdStoreTest, ALostReplyWithAFailedReadBackIsAnUnknownOutcome) {
  kv_.drop_replies(1, KvCall::kTxn);
  kv_.fail_next(1, make_error(ErrorCode::kUnavailable, "down"), KvCall::kRange);
  auto held = store1_.acquire_leader(kNode1);
  ASSERT_FALSE(held.ok());
  EXPECT_EQ(held.error().code, ErrorCode::kTimeout);
  auto state = store1_.read_cluster();  // the next read tells the truth
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state->is_leader(kNode1));
}

TEST_F(EtcdStoreTest, ALostRefreshReplyIsResolvedByReadingTheLock) {
  ASSERT_TRUE(*store1_.acquire_leader(kNode1));
  store1_.set_timing({seconds(20), seconds(10)});
  ASSERT_TRUE(store1_.keepalive().ok());
  kv_.drop_replies(1, KvCall::kTxn);
  auto held = store1_.refresh_leader(kNode1);
  ASSERT_TRUE(held.ok());
  EXPECT_TRUE(*held);
  EXPECT_EQ(leader_lease(), *store1_.current_lease());
}

TEST_F(EtcdStoreTest, ALostReleaseReplyCountsAsReleasedWhenTheLockIsGone) {
  ASSERT_TRUE(*store1_.acquire_leader(kNode1));
  kv_.drop_replies(1, KvCall::kTxn);
  auto released = store1_.release_leader(kNode1);
  ASSERT_TRUE(released.ok());
  EXPECT_TRUE(*released);
  EXPECT_EQ(leader_value(), "<absent>");
}

TEST_F(EtcdStoreTest, OnlyOneMemberWinsTheInitializeRace) {
  auto first = store1_.race_initialize();
  auto second = store2_.race_initialize();
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  EXPECT_EQ(kv_.get("/service/pglab/initialize")->value, "");
  ASSERT_TRUE(store1_.set_initialize("7712584199298505757").ok());
  EXPECT_EQ(store2_.read_cluster()->initialize, "7712584199298505757");
  ASSERT_TRUE(store1_.delete_initialize().ok());
  EXPECT_FALSE(store2_.read_cluster()->initialize);
}

TEST_F(EtcdStoreTest, AnAmbiguousInitializeReplyIsTreatedAsLost) {
  kv_.drop_replies(1, KvCall::kTxn);
  auto won = store1_.race_initialize();
  ASSERT_TRUE(won.ok());
  EXPECT_FALSE(*won);
  kv_.fail_next(1, make_error(ErrorCode::kTimeout, "no reply"), KvCall::kTxn);
  EXPECT_FALSE(*store2_.race_initialize());
}

TEST_F(EtcdStoreTest, AnInitializeRequestThatNeverArrivedIsRetriedOnce) {
  kv_.fail_next(1, make_error(ErrorCode::kTimeout, "no reply"), KvCall::kTxn);
  auto won = store1_.race_initialize();
  ASSERT_TRUE(won.ok());
  EXPECT_TRUE(*won);
}

TEST_F(EtcdStoreTest, ConfigWritesCompareTheModRevisionWhenGiven) {
  ASSERT_TRUE(*store1_.write_config({{"ttl", 30}}, std::nullopt));
  Revision rev = store1_.read_cluster()->config_revision;
  EXPECT_FALSE(*store2_.write_config({{"ttl", 40}}, Revision(rev.value - 1)));
  EXPECT_TRUE(*store2_.write_config({{"ttl", 40}}, rev));
  kv_.drop_replies(1, KvCall::kTxn);
  auto lost = store1_.write_config({{"ttl", 50}}, store1_.read_cluster()->config_revision);
  ASSERT_TRUE(lost.ok());
  EXPECT_TRUE(*lost);
  EXPECT_EQ((*store1_.read_cluster()->config)["ttl"], 50);
}

TEST_F(EtcdStoreTest, EveryWriteReadsBackThroughTheCodec) {
  ASSERT_TRUE(
      store1_.publish_member(kNode1, {{"timeline", 2}, {"role", "master"}, {"conn_url", "c"}})
          .ok());
  EXPECT_EQ(kv_.get("/service/pglab/members/node1")->value,
            R"({"conn_url":"c","role":"master","timeline":2})");
  EXPECT_EQ(kv_.get("/service/pglab/members/node1")->lease, *store1_.current_lease());
  ASSERT_TRUE(*store1_.write_failover(
      {{"scheduled_at", "2023-05-02T10:11:12+00:00"}, {"member", "b"}, {"leader", "a"}},
      std::nullopt));
  EXPECT_EQ(kv_.get("/service/pglab/failover")->value,
            R"({"leader":"a","member":"b","scheduled_at":"2023-05-02T10:11:12+00:00"})");
  ASSERT_TRUE(*store1_.write_sync({{"sync_standby", "node2"}, {"leader", "node1"}}, std::nullopt));
  ASSERT_TRUE(
      store1_.write_history(nlohmann::json::array({nlohmann::json::array({1, 100, "r"})})).ok());
  ASSERT_TRUE(store1_.write_status({{"slots", {{"s", 1}}}, {"optime", 5}}).ok());
  EXPECT_EQ(kv_.get("/service/pglab/status")->value, R"({"optime":5,"slots":{"s":1}})");
  ASSERT_TRUE(store1_.write_failsafe({{"node1", "http://h/patroni"}}).ok());
  auto state = store2_.read_cluster();
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state->problems.empty());
  EXPECT_EQ(state->member(kNode1)->timeline, model::TimelineId(2));
  EXPECT_EQ(state->failover->candidate, MemberName("b"));
  EXPECT_TRUE(state->sync->lists(kNode2));
  EXPECT_EQ(state->history_timeline(), 2);
  EXPECT_EQ(state->status.optime, model::Lsn(5));
  EXPECT_EQ(state->failsafe->at(kNode1), "http://h/patroni");

  Revision sync_rev = state->sync->mod_revision;
  EXPECT_FALSE(*store1_.delete_sync(Revision(sync_rev.value + 100)));
  EXPECT_TRUE(*store1_.delete_sync(sync_rev));
  ASSERT_TRUE(store1_.delete_member(kNode1).ok());
  EXPECT_TRUE(store2_.read_cluster()->members.empty());
}

TEST_F(EtcdStoreTest, PublishingAfterTheLeaseExpiredUnnoticedGrantsANewOne) {
  ASSERT_TRUE(store1_.keepalive().ok());
  LeaseId old = *store1_.current_lease();
  clock_.advance(seconds(31));
  ASSERT_TRUE(store1_.publish_member(kNode1, {{"role", "replica"}}).ok());
  EXPECT_NE(*store1_.current_lease(), old);
  EXPECT_TRUE(kv_.get("/service/pglab/members/node1"));
}

TEST_F(EtcdStoreTest, RemoveClusterDeletesOnlyThisClustersPrefix) {
  kv_.put_direct("/service/pglab2/leader", "x");
  ASSERT_TRUE(*store1_.acquire_leader(kNode1));
  ASSERT_TRUE(store1_.set_initialize("1").ok());
  ASSERT_TRUE(store1_.remove_cluster().ok());
  EXPECT_FALSE(kv_.get(kLeader));
  EXPECT_TRUE(kv_.get("/service/pglab2/leader"));
}

TEST_F(EtcdStoreTest, ErrorsFromAnUnreachableEtcdSurfaceAsUnavailable) {
  kv_.set_available(false);
  EXPECT_EQ(store1_.read_cluster().error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store1_.keepalive().error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store1_.acquire_leader(kNode1).error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace pghalo::dcs::etcd
