#include "tests/fakes/fake_kv.h"

#include <gtest/gtest.h>

namespace pghalo::fakes {
namespace {

using etcd::Compare;
using etcd::CompareTarget;
using etcd::PutOp;
using etcd::TxnRequest;
constexpr Duration kTimeout = std::chrono::seconds(1);

class FakeKvTest : public testing::Test {
 protected:
  ManualClock clock_;
  FakeKv kv_{clock_};
};

TEST_F(FakeKvTest, TracksRevisionsAndVersionsLikeEtcd) {
  auto first = kv_.put({"/a", "1", {}}, kTimeout);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, model::Revision(2));
  ASSERT_TRUE(kv_.put({"/a", "2", {}}, kTimeout).ok());
  auto a = kv_.get("/a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->create_revision, model::Revision(2));
  EXPECT_EQ(a->mod_revision, model::Revision(3));
  EXPECT_EQ(a->version, 2);
}

TEST_F(FakeKvTest, ExpiringALeaseDeletesItsKeysInOneRevision) {
  auto lease = kv_.lease_grant(10, kTimeout);
  ASSERT_TRUE(lease.ok());
  ASSERT_TRUE(kv_.put({"/a", "1", lease->id}, kTimeout).ok());
  ASSERT_TRUE(kv_.put({"/b", "1", lease->id}, kTimeout).ok());
  clock_.advance(std::chrono::seconds(9));
  ASSERT_TRUE(kv_.lease_keepalive(lease->id, kTimeout).ok());
  clock_.advance(std::chrono::seconds(9));
  EXPECT_TRUE(kv_.get("/a"));
  clock_.advance(std::chrono::seconds(1));
  EXPECT_FALSE(kv_.get("/a"));
  EXPECT_FALSE(kv_.get("/b"));
  EXPECT_EQ(kv_.revision(), model::Revision(4));
  auto keepalive = kv_.lease_keepalive(lease->id, kTimeout);
  ASSERT_TRUE(keepalive.ok());
  EXPECT_FALSE(keepalive->has_value());
}

TEST_F(FakeKvTest, NestedTxnRunsOnTheFailureBranchInOneRevision) {
  kv_.put_direct("/other", "x");
  auto nested = std::make_shared<TxnRequest>();
  nested->compare = {Compare{"/leader", CompareTarget::kCreate, 0, ""}};
  nested->success = {PutOp{"/leader", "me", {}}};
  TxnRequest request;
  request.compare = {Compare{"/leader", CompareTarget::kValue, 0, "me"}};
  request.success = {PutOp{"/leader", "me", {}}};
  request.failure = {nested, PutOp{"/log", "y", {}}};
  auto response = kv_.txn(request, kTimeout);
  ASSERT_TRUE(response.ok());
  EXPECT_FALSE(response->succeeded);
  ASSERT_EQ(response->responses.size(), 2u);
  EXPECT_EQ(response->responses[0].nested_succeeded, true);
  EXPECT_EQ(kv_.get("/leader")->mod_revision, kv_.get("/log")->mod_revision);
}

TEST_F(FakeKvTest, TxnPuttingOnAMissingLeaseChangesNothing) {
  TxnRequest request;
  request.success = {PutOp{"/a", "1", {}}, PutOp{"/b", "1", model::LeaseId(42)}};
  auto response = kv_.txn(request, kTimeout);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(kv_.get("/a"));
}

TEST_F(FakeKvTest, DroppedReplyAppliesTheWriteButAnswersTimeout) {
  kv_.drop_replies(1, KvCall::kPut);
  auto put = kv_.put({"/a", "1", {}}, kTimeout);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, ErrorCode::kTimeout);
  EXPECT_TRUE(kv_.get("/a"));
  EXPECT_TRUE(kv_.put({"/a", "2", {}}, kTimeout).ok());
}

TEST_F(FakeKvTest, FailedCallsAreNotAppliedAndUnavailabilityLastsUntilReenabled) {
  kv_.fail_next(2, make_error(ErrorCode::kUnavailable, "boom"));
  EXPECT_FALSE(kv_.put({"/a", "1", {}}, kTimeout).ok());
  EXPECT_FALSE(kv_.range("/a", "", false, kTimeout).ok());
  EXPECT_FALSE(kv_.get("/a"));
  kv_.set_available(false);
  EXPECT_EQ(kv_.put({"/a", "1", {}}, kTimeout).error().code, ErrorCode::kUnavailable);
  kv_.set_available(true);
  EXPECT_TRUE(kv_.put({"/a", "1", {}}, kTimeout).ok());
  EXPECT_EQ(kv_.calls(KvCall::kPut), 3);
}

TEST_F(FakeKvTest, WatchReplaysBufferedEventsAndCancelsBelowTheCompaction) {
  kv_.put_direct("/p/a", "1");                                 // rev 2
  kv_.put_direct("/q", "1");                                   // rev 3, outside the prefix
  kv_.put_direct("/p/b", "1");                                 // rev 4
  ASSERT_TRUE(kv_.delete_range({"/p/a", ""}, kTimeout).ok());  // rev 5
  std::atomic<bool> stop{false};
  std::vector<etcd::WatchBatch> seen;
  auto collect = [&](const etcd::WatchBatch& b) {
    seen.push_back(b);
    return true;
  };
  auto status = kv_.watch("/p/", "/p0", model::Revision(3), collect, stop);
  EXPECT_EQ(status.error().code, ErrorCode::kUnavailable);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].events[0].kv.key, "/p/b");
  EXPECT_EQ(seen[1].events[0].type, etcd::WatchEvent::Type::kDelete);

  kv_.compact(model::Revision(4));
  seen.clear();
  EXPECT_TRUE(kv_.watch("/p/", "/p0", model::Revision(2), collect, stop).ok());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].canceled);
  EXPECT_EQ(seen[0].compact_revision, model::Revision(4));
}

}  // namespace
}  // namespace pghalo::fakes

namespace pghalo::fakes {
namespace {

TEST(FakeKvLeaseTest, ANewEtcdLeaderRestartsEveryLeaseCountdown) {
  ManualClock clock;
  FakeKv kv(clock);
  EXPECT_FALSE(kv.next_lease_expiry());
  auto lease = kv.grant_direct(10);
  kv.put_direct("/a", "1", lease);
  EXPECT_EQ(kv.next_lease_expiry(), clock.now() + std::chrono::seconds(10));
  clock.advance(std::chrono::seconds(8));
  kv.refresh_all_leases();
  EXPECT_EQ(kv.next_lease_expiry(), clock.now() + std::chrono::seconds(10));
  clock.advance(std::chrono::seconds(9));
  EXPECT_TRUE(kv.get("/a")) << "the countdown restarted 9 s ago";
  clock.advance(std::chrono::seconds(1));
  EXPECT_FALSE(kv.get("/a"));
}

}  // namespace
}  // namespace pghalo::fakes
