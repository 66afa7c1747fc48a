// Scenario tests of the real Agent + ha::decide in a MiniCluster (fakes for etcd, PostgreSQL and
// peers, a manual clock): the seed's failure tests at the agent level, deterministically.
#include <gtest/gtest.h>

#include "mini_cluster.h"

namespace pghalo::agent {
namespace {

using fakes::MiniCluster;
using namespace std::chrono_literals;

bool healthy(MiniCluster& c) {
  return c.leader() && c.running_primaries().size() == 1 &&
         c.running_primaries()[0] == *c.leader() && c.streaming_replicas().size() == 2;
}

TEST(AgentClusterTest, ThreeEmptyMembersBootstrapExactlyOneClusterAndTwoReplicas) {
  MiniCluster c;
  ASSERT_TRUE(c.run_until([&] { return healthy(c); }, 120s)) << "leader=" << c.leader().value_or("-");
  std::string sysid = c.server("node1").system_identifier;
  int initdbs = 0;
  for (auto& n : c.nodes) {
    EXPECT_EQ(c.server(n->name).system_identifier, sysid) << n->name;
    if (c.server(n->name).clones == 0) ++initdbs;
  }
  EXPECT_EQ(initdbs, 1);
  EXPECT_EQ(c.kv.get("/db/postgres/initialize")->value, sysid);
  EXPECT_TRUE(c.kv.get("/db/postgres/config").has_value());
}

TEST(AgentClusterTest, KilledPrimaryIsReplacedAfterItsLeaseExpiresWithNoAcknowledgedRowLost) {
  MiniCluster c;
  ASSERT_TRUE(c.run_until([&] { return healthy(c); }, 120s));
  std::string old = *c.leader();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c.world.write(old, "row" + std::to_string(i)));
  c.world.replicate();
  c.kill_node(old);
  MonoTime killed = c.clock.now();
  ASSERT_TRUE(c.run_until([&] { return c.leader() && *c.leader() != old && c.running_primaries().size() == 1; }, 60s));
  std::string fresh = *c.leader();
  auto took = c.clock.now() - killed;
  EXPECT_LE(took, 31s + 1s);
  EXPECT_EQ(c.server(fresh).rows.size(), 10u);
  ASSERT_TRUE(c.world.write(fresh, "after failover"));
}

TEST(AgentClusterTest, GracefulStopOfThePrimaryHandsOverWithoutWaitingForTheLease) {
  MiniCluster c;
  ASSERT_TRUE(c.run_until([&] { return healthy(c); }, 120s));
  std::string old = *c.leader();
  c.stop_agent(old);
  MonoTime stopped = c.clock.now();
  ASSERT_TRUE(c.run_until([&] { return c.leader() && *c.leader() != old && c.running_primaries().size() == 1; }, 60s));
  EXPECT_LT(c.clock.now() - stopped, 12s) << "took about a loop_wait, not the ttl";
}

TEST(AgentClusterTest, AStoppedStandbyDoesNotDisturbThePrimary) {
  MiniCluster c;
  ASSERT_TRUE(c.run_until([&] { return healthy(c); }, 120s));
  std::string lead = *c.leader();
  std::string standby = lead == "node2" ? "node3" : "node2";
  c.stop_agent(standby);
  c.run_until([] { return false; }, 60s);
  EXPECT_EQ(c.leader(), lead);
  EXPECT_TRUE(c.world.write(lead, "still writable"));
}

TEST(AgentClusterTest, FormerPrimaryRejoinsAsAReplicaThroughRewind) {
  MiniCluster c;
  ASSERT_TRUE(c.run_until([&] { return healthy(c); }, 120s));
  std::string old = *c.leader();
  c.kill_agent(old);
  // The orphaned primary keeps accepting a write nobody replicates: it diverges.
  ASSERT_TRUE(c.world.write(old, "divergent"));
  (void)c.node(old).pg->stop(pg::StopMode::kImmediate, 1s);
  ASSERT_TRUE(c.run_until([&] {
    return c.leader() && *c.leader() != old && c.running_primaries().size() == 1;
  }, 60s));
  std::string fresh = *c.leader();
  ASSERT_TRUE(c.world.write(fresh, "on the new timeline"));
  c.start_agent(old);
  ASSERT_TRUE(c.run_until([&] { return healthy(c); }, 60s));
  EXPECT_EQ(c.server(old).rewinds, 1);
  bool has_new = false, has_divergent = false;
  for (const auto& [lsn, payload] : c.server(old).rows) {
    has_new |= payload == "on the new timeline";
    has_divergent |= payload == "divergent";
  }
  EXPECT_TRUE(has_new);
  EXPECT_FALSE(has_divergent);
}

TEST(AgentClusterTest, APrimaryCutOffFromEtcdStopsWritesBeforeItsLeaseExpires) {
  MiniCluster c;
  ASSERT_TRUE(c.run_until([&] { return healthy(c); }, 120s));
  std::string old = *c.leader();
  c.kv.set_available(false);  // everyone loses etcd (quorum loss)
  MonoTime cut = c.clock.now();
  ASSERT_TRUE(c.run_until([&] { return c.running_primaries().empty(); }, 40s));
  EXPECT_LT(c.clock.now() - cut, 30s) << "writes stopped before the ttl ran out";
  c.run_until([] { return false; }, 20s);
  EXPECT_TRUE(c.running_primaries().empty()) << "no replica promoted without etcd";
  c.kv.set_available(true);
  ASSERT_TRUE(c.run_until([&] { return healthy(c); }, 120s));
}

// Simulator seeds 110 and 679: a primary's agent was SIGKILLed and restarted before its fence
// would fire, but the new process armed no fence until its first decision, and that cycle
// blocked in etcd calls (a partition that began after the kill) past the old deadline: the
// primary stayed writable after its lease expired. The new process now re-arms the fence its
// predecessor recorded before any etcd call, so writes stop in time even if no cycle ends.
TEST(AgentClusterTest, Seed679ARestartedAgentRearmsItsPredecessorsFenceBeforeItsFirstCycle) {
  MiniCluster c;
  ASSERT_TRUE(c.run_until([&] { return healthy(c); }, 120s));
  std::string old = *c.leader();
  ha::Fence armed = c.node(old).fencer->fence();
  ASSERT_TRUE(armed.armed);
  c.kill_agent(old);
  c.start_agent(old);
  EXPECT_EQ(c.node(old).fencer->fence(), armed) << "armed at construction, before any etcd call";
  // Its first cycle never ends (blocked in etcd): park the agent while the clock runs.
  auto blocked = std::move(c.node(old).agent);
  ASSERT_TRUE(c.run_until([&] { return c.running_primaries().empty(); }, 40s));
  EXPECT_GE(c.clock.now(), armed.writable_until);
  EXPECT_EQ(c.leader(), old) << "writes stopped while its lease still held the key";
}

// Simulator seed 3702: a primary's agent was restarted while a backend crash had its server in
// crash recovery. The new process had never seen the server answer, so its first decision did
// not count it as a primary and lifted the inherited fence; crash recovery ended into a primary
// while the loop was blocked, and it outlived the lease. The inherited fence now holds until
// PostgreSQL answers (or the decision fences it itself).
TEST(AgentClusterTest, Seed3702TheInheritedFenceHoldsWhilePostgresDoesNotAnswer) {
  MiniCluster c;
  ASSERT_TRUE(c.run_until([&] { return healthy(c); }, 120s));
  std::string old = *c.leader();
  ha::Fence armed = c.node(old).fencer->fence();
  ASSERT_TRUE(armed.armed);
  c.kill_agent(old);
  c.server(old).accepting = false;  // crash recovery
  c.start_agent(old);
  c.step();  // its first cycle
  // Still fenced, no later than the inherited deadline: by the inherited fence itself, or by the
  // decision's own (a server without standby.signal that does not answer may become a primary,
  // and the key is still on the old process's lease).
  EXPECT_TRUE(c.node(old).fencer->fence().armed);
  EXPECT_LE(c.node(old).fencer->fence().writable_until, armed.writable_until);
  c.server(old).accepting = true;  // recovery ended into a primary: the next cycle knows it
  ASSERT_TRUE(c.run_until([&] { return c.node(old).fencer->fence().writable_until > armed.writable_until; }, 15s));
  EXPECT_TRUE(c.node(old).fencer->fence().armed);
  EXPECT_GT(c.node(old).fencer->fence().writable_until, armed.writable_until) << "fenced on its own lease";
}

}  // namespace
}  // namespace pghalo::agent
