#include "dcs/etcd/watcher.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_kv.h"

namespace pghalo::dcs::etcd {
namespace {

using fakes::FakeKv;

class WatcherTest : public testing::Test {
 protected:
  ManualClock clock_;
  FakeKv kv_{clock_};
  SeededRandom random_{7};
  std::vector<unsigned> seen_;
  Watcher watcher_{kv_, KeyLayout("/service", "pglab"), random_,
                   [this](unsigned c) { seen_.push_back(c); }};

  unsigned step_and_collect() {
    seen_.clear();
    (void)watcher_.step();
    unsigned all = 0;
    for (unsigned c : seen_) all |= c;
    return all;
  }
};

TEST_F(WatcherTest, ReportsTheKindOfEachChangeSinceTheLastRevision) {
  kv_.put_direct("/service/pglab/leader", "node1");
  EXPECT_EQ(step_and_collect(), 0u);  // the first read establishes the revision
  kv_.put_direct("/service/pglab/config", "{}");
  kv_.put_direct("/service/pglab/members/node2", "{}");
  kv_.put_direct("/service/other/leader", "x");
  EXPECT_EQ(step_and_collect(), kConfigChanged | kMembersChanged | kMemberAdded);
  kv_.put_direct("/service/pglab/failover", "{}");
  kv_.put_direct("/service/pglab/sync", "{}");
  kv_.put_direct("/service/pglab/status", "{}");
  kv_.put_direct("/service/pglab/history", "[]");
  EXPECT_EQ(step_and_collect(), kFailoverChanged | kSyncChanged | kStatusChanged | kOtherChanged);
}

// The leader wakes on a new member key to create its replication slot at once; a member's
// routine update of its own key must not wake anyone (every cycle writes one).
TEST_F(WatcherTest, ANewMemberKeyIsReportedApartFromUpdates) {
  kv_.put_direct("/service/pglab/leader", "node1");
  (void)watcher_.step();
  kv_.put_direct("/service/pglab/members/node2", "{}");
  EXPECT_EQ(step_and_collect(), kMembersChanged | kMemberAdded);
  kv_.put_direct("/service/pglab/members/node2", "{\"state\":\"running\"}");
  EXPECT_EQ(step_and_collect(), kMembersChanged);
}

TEST_F(WatcherTest, ALeaseMoveOfTheSameLeaderIsNotALeaderChange) {
  kv_.put_direct("/service/pglab/leader", "node1");
  (void)watcher_.step();
  kv_.put_direct("/service/pglab/leader", "node1", kv_.grant_direct(30));
  EXPECT_EQ(step_and_collect(), 0u);
  kv_.put_direct("/service/pglab/leader", "node2");
  EXPECT_EQ(step_and_collect(), kLeaderChanged);
}

TEST_F(WatcherTest, TheLeaderLeaseExpiringReportsLeaderDeleted) {
  kv_.put_direct("/service/pglab/leader", "node1", kv_.grant_direct(30));
  (void)watcher_.step();
  clock_.advance(seconds(30));
  kv_.expire_leases();
  EXPECT_EQ(step_and_collect(), kLeaderDeleted);
}

TEST_F(WatcherTest, ResumesFromTheLastSeenRevisionAfterAFailure) {
  (void)watcher_.step();
  kv_.put_direct("/service/pglab/config", "{}");
  (void)watcher_.step();
  Revision seen = watcher_.last_revision();
  kv_.fail_next(1, make_error(ErrorCode::kUnavailable, "member died"), fakes::KvCall::kWatch);
  kv_.put_direct("/service/pglab/failover", "{}");
  EXPECT_EQ(step_and_collect(), 0u);
  EXPECT_EQ(watcher_.last_revision(), seen);
  EXPECT_EQ(step_and_collect(), kFailoverChanged);  // nothing missed, nothing repeated
}

TEST_F(WatcherTest, ACompactedRevisionRereadsEverything) {
  (void)watcher_.step();
  kv_.put_direct("/service/pglab/config", "{}");
  kv_.put_direct("/service/pglab/config", "{\"ttl\":20}");
  kv_.compact(kv_.revision());
  EXPECT_EQ(step_and_collect(), kEverything);
  kv_.put_direct("/service/pglab/sync", "{}");
  EXPECT_EQ(step_and_collect(), kSyncChanged);
}

TEST_F(WatcherTest, BacksOffExponentiallyWithJitterUpToTwoSeconds) {
  Duration previous_cap{0};
  for (int i = 0; i < 8; ++i) {
    Duration pause = watcher_.next_backoff();
    Duration cap = std::min<Duration>(Duration(2000), Duration(100) * (1 << i));
    EXPECT_GE(pause, cap / 2);
    EXPECT_LE(pause, cap);
    EXPECT_GE(cap, previous_cap);
    previous_cap = cap;
  }
}

TEST_F(WatcherTest, StopEndsTheThreadEvenWhileEtcdIsDown) {
  kv_.set_available(false);
  watcher_.start();
  watcher_.stop();  // bounded: the backoff wait wakes on stop
  SUCCEED();
}

}  // namespace
}  // namespace pghalo::dcs::etcd
