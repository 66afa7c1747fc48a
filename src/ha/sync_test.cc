#include <gtest/gtest.h>

#include "ha/testing.h"

namespace pghalo::ha {
namespace {
using testing::Row;
using testing::World;

void sync_leader(World& w) {
  w.leader("node1").primary(5000).optime(5000);
  w.cfg.synchronous_mode = true;
  w.cfg.use_slots = false;  // keeps the rows to the sync actions
}

SetSynchronousStandbyNames names(std::vector<std::string> n, bool strict = false) {
  SetSynchronousStandbyNames s;
  for (const auto& x : n) s.names.push_back(MemberName(x));
  s.strict = strict;
  return s;
}

const std::vector<Row> kSync = {
    {"sync mode: the leader first owns /sync with nobody listed",
     [](World& w) { sync_leader(w); w.streaming("node2", 5000); }, Reason::kLeaderHealthy, {"write_sync"}},
    {"sync mode: then synchronous_standby_names names the best streaming standby",
     [](World& w) { sync_leader(w); w.sync("node1", {}).streaming("node2", 4000).streaming("node3", 5000); },
     Reason::kLeaderHealthy, {"set_synchronous_standby_names"}},
    {"sync mode: a standby PostgreSQL confirms as sync is published in /sync",
     [](World& w) {
       sync_leader(w);
       w.sync("node1", {}).streaming("node3", 5000, "sync").streaming("node2", 4000);
       w.mem.sync_standby_names = names({"node3"});
     },
     Reason::kLeaderHealthy, {"write_sync"}},
    {"sync mode: nothing to do when /sync and PostgreSQL agree",
     [](World& w) {
       sync_leader(w);
       w.sync("node1", {"node3"}).streaming("node3", 5000, "sync").streaming("node2", 4000);
       w.mem.sync_standby_names = names({"node3"});
     },
     Reason::kLeaderHealthy, {}},
    {"sync mode: a standby that is no longer wanted leaves /sync before synchronous_standby_names",
     [](World& w) {
       sync_leader(w);
       w.sync("node1", {"node3"}).streaming("node2", 5000);  // node3 disconnected
       w.mem.sync_standby_names = names({"node3"});
     },
     Reason::kLeaderHealthy, {"write_sync"}},
    {"sync mode: a nosync member is never chosen",
     [](World& w) {
       sync_leader(w);
       w.sync("node1", {}).streaming("node2", 5000);
       w.cluster().members[MemberName("node2")].tags.nosync = true;
       w.mem.sync_standby_names = names({});
     },
     Reason::kLeaderHealthy, {}},
    {"strict mode with no standby waits for any standby ('*')",
     [](World& w) {
       sync_leader(w);
       w.cfg.synchronous_mode_strict = true;
       w.sync("node1", {});
     },
     Reason::kLeaderHealthy, {"set_synchronous_standby_names"}},
    {"sync mode off: the leader deletes its /sync and clears synchronous_standby_names",
     [](World& w) {
       w.leader("node1").primary(5000).optime(5000).sync("node1", {"node2"});
       w.cfg.use_slots = false;
       w.mem.sync_standby_names = names({"node2"});
     },
     Reason::kLeaderHealthy, {"delete_sync", "set_synchronous_standby_names"}},
    {"seed 2889: sync mode off: the leader also deletes the /sync a former leader left",
     [](World& w) {
       w.leader("node1").primary(5000).optime(5000).sync("node3", {"node2"});
       w.cfg.use_slots = false;
     },
     Reason::kLeaderHealthy, {"delete_sync"}},
    {"sync mode: promotion first empties /sync",
     [](World& w) {
       w.leader("node1").replica(5000).sync("node3", {"node1"});
       w.cfg.synchronous_mode = true;
     },
     Reason::kPromoting, {"write_sync", "promote"}},
    {"sync mode: a member /sync does not list may not take over",
     [](World& w) {
       w.replica(5000).sync("node3", {"node2"});
       w.cfg.synchronous_mode = true;
     },
     Reason::kNotSynchronousStandby, {}},
    {"sync mode: the listed standby takes over even behind the former leader",
     [](World& w) {
       w.replica(5000).sync("node3", {"node1"}).peer("node3", 9000).peer("node2", 9000);
       w.cfg.synchronous_mode = true;
     },
     Reason::kAcquiringLock, {"acquire_leader"}},
};
PGHALO_DECISION_TABLE(SyncTable, kSync);

TEST(SyncTest, TheBestStandbyIsTheFurthestAhead) {
  World w;
  sync_leader(w);
  w.sync("node1", {}).streaming("node2", 4000).streaming("node3", 5000);
  auto d = w.decide();
  const auto* set = d.find<SetSynchronousStandbyNames>();
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->names, (std::vector<MemberName>{MemberName("node3")}));
  EXPECT_EQ(d.memory.sync_standby_names, *set);
}

TEST(SyncTest, StrictModeWithoutStandbysMeansAnyStandby) {
  World w;
  sync_leader(w);
  w.cfg.synchronous_mode_strict = true;
  w.sync("node1", {});
  auto d = w.decide();
  ASSERT_NE(d.find<SetSynchronousStandbyNames>(), nullptr);
  EXPECT_TRUE(d.find<SetSynchronousStandbyNames>()->strict);
}

TEST(SyncTest, SynchronousNodeCountPicksSeveral) {
  World w;
  sync_leader(w);
  w.cfg.synchronous_node_count = 2;
  w.sync("node1", {}).streaming("node2", 4000).streaming("node3", 5000);
  auto d = w.decide();
  EXPECT_EQ(d.find<SetSynchronousStandbyNames>()->names,
            (std::vector<MemberName>{MemberName("node2"), MemberName("node3")}));
}

// Simulator seed 122: after its host crashed, the leader's new agent process started PostgreSQL as
// the primary without synchronous_standby_names, so in strict mode it acknowledged commits that
// node2, the standby /sync lists, never received. It must start waiting for the listed standby.
TEST(SyncTest, Seed122ALeaderStartingPostgresWaitsForTheStandbySyncLists) {
  World w;
  w.leader("node1").primary(5000).stopped();
  w.cfg.synchronous_mode = true;
  w.cfg.synchronous_mode_strict = true;
  w.sync("node1", {"node2"});
  Decision d = w.decide();
  EXPECT_EQ(d.reason, Reason::kStartingAsLeader);
  ASSERT_TRUE(d.memory.sync_standby_names.has_value());
  EXPECT_EQ(*d.memory.sync_standby_names, names({"node2"}));
}

TEST(SyncTest, Seed122StrictModeWithNobodyListedStartsWaitingForAnyStandby) {
  World w;
  w.leader("node1").primary(5000).stopped();
  w.cfg.synchronous_mode = true;
  w.cfg.synchronous_mode_strict = true;
  w.sync("node1", {});
  Decision d = w.decide();
  ASSERT_TRUE(d.memory.sync_standby_names.has_value());
  EXPECT_EQ(*d.memory.sync_standby_names, names({}, true));
}

// Simulator seeds 391 and 990: a paused leader's agent was restarted; with no memory of
// synchronous_standby_names it rewrote the primary's files without any and reloaded, and the
// primary acknowledged commits that the standbys /sync lists never received.
TEST(SyncTest, Seed391ARestartedAgentTakesThePrimaryToWaitForWhomSyncLists) {
  World w;
  w.leader("node1").primary(5000).optime(5000).paused();
  w.cfg.synchronous_mode = true;
  w.cfg.synchronous_node_count = 2;
  w.sync("node1", {"node2", "node3"});
  Decision d = w.decide();
  EXPECT_EQ(d.reason, Reason::kPausedLeader);
  ASSERT_TRUE(d.memory.sync_standby_names.has_value());
  EXPECT_EQ(*d.memory.sync_standby_names,
            (SetSynchronousStandbyNames{{MemberName("node2"), MemberName("node3")}, false, 2}));
}

TEST(SyncTest, Seed391WhatMemoryKnowsWinsAndAReplicaAssumesNothing) {
  World w;
  w.leader("node1").primary(5000).optime(5000).paused();
  w.cfg.synchronous_mode = true;
  w.sync("node1", {"node2"});
  w.mem.sync_standby_names = names({"node3"});
  EXPECT_EQ(*w.decide().memory.sync_standby_names, names({"node3"}));
  World replica;
  replica.leader("node2").replica(5000);
  replica.cfg.synchronous_mode = true;
  EXPECT_FALSE(replica.decide().memory.sync_standby_names.has_value());
}

}  // namespace
}  // namespace pghalo::ha
